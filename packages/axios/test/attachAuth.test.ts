import { Readable } from 'node:stream'
import { createAuthClient } from '@latchkey/core'
import axios, { AxiosError, type AxiosInstance } from 'axios'
import { HttpResponse, http } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import {
  API,
  bearer,
  type ClientOptions,
  refreshingClient,
  type Seen,
  sleep,
  useRecordingApi,
} from '../../core/test/support/api'
import { attachAuth } from '../src'

const backend = useRecordingApi()
const { seen, valid, clients, server } = backend

let clock = Date.UTC(2030, 0, 1)
const now = () => clock

function setup(options?: ClientOptions) {
  const client = refreshingClient(backend, now, options)
  const instance = axios.create({ baseURL: API })
  const detach = attachAuth(instance, client.auth, { origins: [API] })
  return { ...client, api: instance, detach }
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error as AxiosError,
  )

describe('attachAuth', () => {
  describe('attaching the token', () => {
    it('sets Authorization: Bearer <token> on requests to an allowed origin', async () => {
      const { api, first } = setup()
      const res = await api.get('/me', { headers: { 'X-Trace': 't' } })
      expect(res.status).toBe(200)
      expect(seen).toMatchObject([
        { method: 'GET', url: `${API}/me`, authorization: `Bearer ${first}`, header: 't' },
      ])
    })

    it('sends no token to another origin, and its 401 starts no refresh', async () => {
      const { api, refresh } = setup()
      const error = await rejection(api.get('https://other.example.com/me'))
      expect(error.response?.status).toBe(401)
      expect(seen).toMatchObject([{ authorization: null }])
      expect(refresh).not.toHaveBeenCalled()
    })

    it.each([
      ['per request', (api: AxiosInstance) => api.get('/me', { headers: { Authorization: 'Basic abc' } })],
      ['in lowercase', (api: AxiosInstance) => api.get('/me', { headers: { authorization: 'Basic abc' } })],
      [
        'as instance defaults',
        (api: AxiosInstance) => {
          api.defaults.headers.common.Authorization = 'Basic abc'
          return api.get('/me')
        },
      ],
      [
        'through the auth option',
        (api: AxiosInstance) => api.get('/me', { auth: { username: 'a', password: 'b' } }),
      ],
    ])("keeps the caller's Authorization header set %s", async (_, call) => {
      const { api, refresh } = setup({ revoked: true })
      const error = await rejection(call(api))
      expect(error.response?.status).toBe(401)
      expect(seen).toHaveLength(1)
      expect(seen[0]?.authorization).toMatch(/^Basic /)
      expect(refresh).not.toHaveBeenCalled()
    })

    it('copes with an earlier interceptor that left plain headers behind', async () => {
      const { auth } = setup()
      const api = axios.create({ baseURL: API })
      api.interceptors.request.use((config) => {
        config.headers = { ...config.headers.toJSON(), 'X-Trace': 't' } as never
        return config
      })
      attachAuth(api, auth, { origins: [API] })
      await api.get('/me')
      expect(seen).toMatchObject([{ authorization: bearer(auth), header: 't' }])
    })

    it('refreshes a token that is about to expire before sending it', async () => {
      const { api, auth, refresh, first } = setup()
      clock += 299_000
      await api.get('/me')
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(seen[0]?.authorization).not.toBe(`Bearer ${first}`)
      expect(seen[0]?.authorization).toBe(bearer(auth))
    })

    it('attaches nothing without a session', async () => {
      const auth = createAuthClient({ now })
      clients.push(auth)
      const api = axios.create()
      attachAuth(api, auth, { origins: [API] })
      await rejection(api.get(`${API}/me`))
      expect(seen).toMatchObject([{ authorization: null }])
    })
  })

  describe('401 replay', () => {
    const form = () => {
      const f = new FormData()
      f.set('name', 'alice')
      f.set('file', new Blob(['hello'], { type: 'text/plain' }), 'a.txt')
      return f
    }
    it.each<[string, () => { data: unknown; headers?: Record<string, string> }]>([
      ['a JSON object', () => ({ data: { a: 1, b: [2, { c: 'ü' }] } })],
      ['a JSON string', () => ({ data: '{"raw":true}', headers: { 'Content-Type': 'application/json' } })],
      ['text', () => ({ data: 'plain text ✓', headers: { 'Content-Type': 'text/plain' } })],
      ['URLSearchParams', () => ({ data: new URLSearchParams({ a: '1', b: 'x y' }) })],
      ['FormData', () => ({ data: form() })],
      ['a Blob', () => ({ data: new Blob(['{"blob":true}'], { type: 'application/vnd.test+json' }) })],
    ])('replays a POST with %s body identically after one refresh', async (_, make) => {
      const { api, auth, refresh, first } = setup({ revoked: true })
      const res = await api.post('/items', make().data, { headers: { 'X-Trace': 't', ...make().headers } })
      expect(res.status).toBe(200)
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(seen).toHaveLength(2)
      const [a, b] = seen as [Seen, Seen]
      expect(a.authorization).toBe(`Bearer ${first}`)
      expect(b.authorization).toBe(bearer(auth))
      expect({ ...b, authorization: null }).toEqual({ ...a, authorization: null })
      expect(a.body.length).toBeGreaterThan(0)
    })

    it('rethrows the 401 of a stream body, which cannot be replayed', async () => {
      const { api, refresh } = setup({ revoked: true })
      const error = await rejection(api.post('/upload', Readable.from(['streamed'])))
      expect(error.response?.status).toBe(401)
      expect(seen).toMatchObject([{ body: 'streamed' }])
      expect(refresh).not.toHaveBeenCalled()
    })

    it('rethrows a second 401 as the AxiosError: exactly one replay', async () => {
      const { api, refresh } = setup({ revoked: true })
      server.use(
        http.all(`${API}/*`, async ({ request }) => {
          await backend.record(request)
          return HttpResponse.json({ n: seen.length }, { status: 401 })
        }),
      )
      const error = await rejection(api.get('/me'))
      expect(error).toBeInstanceOf(AxiosError)
      expect(error.response?.status).toBe(401)
      expect(error.response?.data).toEqual({ n: 2 })
      expect(seen).toHaveLength(2)
      expect(refresh).toHaveBeenCalledTimes(1)
    })

    it('with retryOn401: false rethrows the 401 without refreshing', async () => {
      const { auth, refresh } = setup({ revoked: true })
      const api = axios.create({ baseURL: API })
      attachAuth(api, auth, { origins: [API], retryOn401: false })
      const error = await rejection(api.get('/me'))
      expect(error.response?.status).toBe(401)
      expect(seen).toHaveLength(1)
      expect(refresh).not.toHaveBeenCalled()
    })

    it('rethrows the original AxiosError and ends the session when the refresh is rejected', async () => {
      const { api, auth, refresh, logouts } = setup({
        revoked: true,
        refresh: async () => {
          throw Object.assign(new Error('rejected'), { status: 401 })
        },
      })
      const error = await rejection(api.post('/items', { a: 1 }))
      expect(error).toBeInstanceOf(AxiosError)
      expect(error.response?.status).toBe(401)
      expect(error.response?.data).toEqual({ error: 'invalid_token', n: 1 })
      expect(seen).toHaveLength(1)
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(logouts).toEqual(['refresh_rejected'])
      expect(auth.getState().status).toBe('unauthenticated')
    })

    it('replays a 401 for an older token with the current one, without a refresh', async () => {
      const { api, auth, refresh, first } = setup()
      let release!: () => void
      const held = new Promise<void>((r) => (release = r))
      backend.delay = async () => held
      const pending = api.get('/slow')
      await vi.waitUntil(() => seen.length === 1)
      await auth.refresh()
      valid.delete(first)
      backend.delay = async () => {}
      release()
      expect((await pending).status).toBe(200)
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(seen.map((s) => s.authorization)).toEqual([`Bearer ${first}`, bearer(auth)])
    })
  })

  describe('abort', () => {
    it('cancels a request whose signal aborts while it waits for a refresh; the others and the refresh go on', async () => {
      const { api, refresh } = setup({ refreshDelay: 60 })
      clock += 299_000
      const controller = new AbortController()
      const aborted = rejection(api.get('/a', { signal: controller.signal }))
      const others = [api.get('/b'), api.get('/c')]
      await sleep(10)
      controller.abort()
      expect(axios.isCancel(await aborted)).toBe(true)
      expect((await Promise.all(others)).map((r) => r.status)).toEqual([200, 200])
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(refresh.mock.calls[0]?.[0].signal.aborted).toBe(false)
      expect(seen.map((s) => new URL(s.url).pathname).sort()).toEqual(['/b', '/c'])
    })

    it('cancels a request whose signal aborts while it waits for the refresh after a 401', async () => {
      const { api, refresh } = setup({ revoked: true, refreshDelay: 60 })
      const controller = new AbortController()
      const aborted = rejection(api.post('/a', 'a', { signal: controller.signal }))
      const other = api.post('/b', 'b')
      await vi.waitUntil(() => refresh.mock.calls.length === 1, { interval: 1 })
      controller.abort()
      const error = await aborted
      expect(axios.isCancel(error)).toBe(true)
      expect((await other).status).toBe(200)
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(refresh.mock.calls[0]?.[0].signal.aborted).toBe(false)
      expect(seen.map((s) => s.body).sort()).toEqual(['a', 'b', 'b'])
    })
  })

  describe('detach', () => {
    it('ejects both interceptors, and calling it twice is harmless', async () => {
      const { api, detach, refresh } = setup({ revoked: true })
      detach()
      detach()
      const error = await rejection(api.get('/me'))
      expect(error.response?.status).toBe(401)
      expect(seen).toMatchObject([{ authorization: null }])
      expect(refresh).not.toHaveBeenCalled()
      expect(api.interceptors.request.handlers?.filter(Boolean)).toEqual([])
      expect(api.interceptors.response.handlers?.filter(Boolean)).toEqual([])
    })
  })

  describe('hot path', () => {
    it('never merges the config (no getUri) and parses each origin once', async () => {
      const { api } = setup()
      const getUri = vi.spyOn(api, 'getUri')
      const parsed = vi.fn()
      const Original = URL
      vi.stubGlobal(
        'URL',
        new Proxy(Original, {
          construct(target, args) {
            parsed()
            return Reflect.construct(target, args)
          },
        }),
      )
      const urls: string[] = []
      try {
        const adapter = async (config: import('axios').InternalAxiosRequestConfig) => {
          urls.push(String(config.headers.get('Authorization')))
          return { data: null, status: 200, statusText: 'OK', headers: {}, config }
        }
        for (let i = 0; i < 20; i++) await api.get(`/items/${i}`, { adapter })
        await api.get('https://other.example.com/a', { adapter })
        await api.get('https://other.example.com/b', { adapter })
        expect(parsed).toHaveBeenCalledTimes(2)
      } finally {
        vi.unstubAllGlobals()
      }
      expect(getUri).not.toHaveBeenCalled()
      expect(urls.filter((u) => u.startsWith('Bearer '))).toHaveLength(20)
    })
  })

  describe("what it adds to axios's config", () => {
    type Config = import('axios').InternalAxiosRequestConfig
    /** The config's own keys as the adapter gets it. */
    const sendThrough = async (api: AxiosInstance) => {
      let keys: string[] = []
      const adapter = async (config: Config) => {
        keys = Reflect.ownKeys(config).map(String).sort()
        return { data: null, status: 200, statusText: 'OK', headers: {}, config }
      }
      await api.get('/me', { adapter })
      return keys
    }

    // axios's config is a dictionary: one key more than these two took a default config past its table's
    // size when axios adds `response` to it, which V8 then grew on every request (bench/overhead.mjs).
    it('adds redact and beforeRedirect, and no other key', async () => {
      const { api } = setup()
      const plain = await sendThrough(axios.create({ baseURL: API }))
      expect(await sendThrough(api)).toEqual([...plain, 'beforeRedirect', 'redact'].sort())
    })

    it('still replays a 401 when a later interceptor hands on a copy of the config', async () => {
      const { api, auth, refresh, first } = setup({ revoked: true })
      api.interceptors.request.use((config) => ({ ...config }) as Config)
      const res = await api.get('/me')
      expect(res.status).toBe(200)
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(seen.map((s) => s.authorization)).toEqual([`Bearer ${first}`, bearer(auth)])
    })
  })
})
