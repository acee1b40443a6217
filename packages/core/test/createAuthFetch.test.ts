import { createMockAuthServer, createTestToken } from '@latchkey/testing'
import { HttpResponse, http } from 'msw'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, createAuthFetch, oauth2Refresh } from '../src'
import {
  API,
  bearer,
  type ClientOptions,
  refreshingClient,
  type Seen,
  sleep,
  useRecordingApi,
} from './support/api'

const backend = useRecordingApi()
const { seen, valid, clients, server } = backend
afterEach(() => {
  vi.restoreAllMocks()
})

let clock = Date.UTC(2030, 0, 1)
const now = () => clock
const setup = (options?: ClientOptions) => refreshingClient(backend, now, options)

describe('createAuthFetch', () => {
  describe('attaching the token', () => {
    it('sends Authorization: Bearer <token> to an allowed origin', async () => {
      const { auth, first } = setup()
      const api = createAuthFetch(auth, { origins: [API] })
      const res = await api(`${API}/me`)
      expect(res.status).toBe(200)
      expect(seen).toMatchObject([{ authorization: `Bearer ${first}`, method: 'GET' }])
    })

    it('sends no token to an origin that is not allowed', async () => {
      const { auth, refresh } = setup()
      const api = createAuthFetch(auth, { origins: [API] })
      const res = await api('https://other.example.com/me')
      expect(res.status).toBe(401)
      expect(seen).toMatchObject([{ authorization: null }])
      expect(refresh).not.toHaveBeenCalled()
    })

    it.each([
      ['an object', { Authorization: 'Basic abc', 'X-Trace': 't' }],
      ['an object with a lowercase key', { authorization: 'Basic abc', 'x-trace': 't' }],
      ['a Headers', new Headers({ Authorization: 'Basic abc', 'X-Trace': 't' })],
      [
        'an array',
        [
          ['authorization', 'Basic abc'],
          ['x-trace', 't'],
        ] as [string, string][],
      ],
    ])("keeps the caller's Authorization header given as %s", async (_, headers) => {
      const { auth, refresh } = setup({ revoked: true })
      const api = createAuthFetch(auth, { origins: [API] })
      const res = await api(`${API}/me`, { headers })
      // The caller's credentials were rejected: not ours to refresh.
      expect(res.status).toBe(401)
      expect(seen).toMatchObject([{ authorization: 'Basic abc', header: 't' }])
      expect(refresh).not.toHaveBeenCalled()
    })

    it("keeps the Authorization header of a Request, and init headers replace the Request's", async () => {
      const { auth } = setup()
      const api = createAuthFetch(auth, { origins: [API] })
      await api(new Request(`${API}/a`, { headers: { Authorization: 'Basic abc' } }))
      await api(new Request(`${API}/b`, { headers: { Authorization: 'Basic abc' } }), {
        headers: { 'X-Trace': 't' },
      })
      expect(seen).toMatchObject([
        { authorization: 'Basic abc' },
        { authorization: bearer(auth), header: 't' },
      ])
    })

    it.each([
      ['an object', { 'X-Trace': 't' }],
      ['a Headers', new Headers({ 'X-Trace': 't' })],
      ['an array', [['X-Trace', 't']] as [string, string][]],
    ])('adds the token next to other headers given as %s, without changing them', async (_, headers) => {
      const { auth } = setup()
      const before = JSON.stringify(headers instanceof Headers ? [...headers] : headers)
      await createAuthFetch(auth, { origins: [API] })(`${API}/me`, { headers })
      expect(seen).toMatchObject([{ authorization: bearer(auth), header: 't' }])
      expect(JSON.stringify(headers instanceof Headers ? [...headers] : headers)).toBe(before)
    })

    it('turns a fetch that throws synchronously into a rejection, like fetch itself', async () => {
      const { auth } = setup()
      const boom = new TypeError('sync failure')
      const api = createAuthFetch(auth, {
        origins: [API],
        fetch: () => {
          throw boom
        },
      })
      for (const url of [`${API}/me`, 'https://other.example.com/me']) {
        let result: Promise<Response> | undefined
        expect(() => {
          result = api(url)
        }).not.toThrow()
        await expect(result).rejects.toBe(boom)
      }
    })

    it('sends a valid token without waiting a microtask for it', async () => {
      const { auth, first } = setup()
      let sent: string | null = null
      const api = createAuthFetch(auth, {
        origins: [API],
        fetch: async (_input, init) => {
          sent = new Headers(init?.headers).get('authorization')
          return new Response(null)
        },
      })
      const pending = api(`${API}/me`)
      // The request has left before anything awaited: the hot path reads the token synchronously.
      expect(sent).toBe(`Bearer ${first}`)
      await pending
    })

    it('accepts a string, a URL and a Request', async () => {
      const { auth } = setup()
      const api = createAuthFetch(auth, { origins: [API] })
      await api(`${API}/string`)
      await api(new URL(`${API}/url`))
      await api(new Request(`${API}/request`))
      expect(seen.map((s) => [new URL(s.url).pathname, s.authorization])).toEqual([
        ['/string', bearer(auth)],
        ['/url', bearer(auth)],
        ['/request', bearer(auth)],
      ])
    })

    it("keeps a Request's method, headers, body and signal", async () => {
      const { auth } = setup()
      const api = createAuthFetch(auth, { origins: [API] })
      const request = new Request(`${API}/items`, {
        method: 'PUT',
        headers: { 'X-Trace': 't', 'Content-Type': 'application/json' },
        body: '{"a":1}',
      })
      const res = await api(request)
      expect(res.status).toBe(200)
      expect(seen).toMatchObject([
        {
          method: 'PUT',
          header: 't',
          contentType: 'application/json',
          body: '{"a":1}',
          authorization: bearer(auth),
        },
      ])
      expect(request.headers.has('authorization')).toBe(false)

      const controller = new AbortController()
      controller.abort()
      await expect(api(new Request(`${API}/items`, { signal: controller.signal }))).rejects.toMatchObject({
        name: 'AbortError',
      })
    })

    it('attaches nothing without a session, and a 401 then starts no refresh', async () => {
      const refresh = vi.fn()
      const auth = createAuthClient({ now, refresh })
      clients.push(auth)
      const res = await createAuthFetch(auth, { origins: [API] })(`${API}/me`)
      expect(res.status).toBe(401)
      expect(seen).toMatchObject([{ authorization: null }])
      expect(refresh).not.toHaveBeenCalled()
    })

    it('refreshes a token that is about to expire before sending it', async () => {
      const { auth, refresh, first } = setup()
      clock += 299_000
      await createAuthFetch(auth, { origins: [API] })(`${API}/me`)
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(seen[0]?.authorization).not.toBe(`Bearer ${first}`)
      expect(seen[0]?.authorization).toBe(bearer(auth))
    })

    it('looks up globalThis.fetch at call time, and uses options.fetch when given', async () => {
      const { auth } = setup()
      const mine = vi.fn(async () => new Response('mine'))
      await expect(
        createAuthFetch(auth, { origins: [API], fetch: mine })(`${API}/x`).then((r) => r.text()),
      ).resolves.toBe('mine')
      const api = createAuthFetch(auth, { origins: [API] })
      const stub = vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('stubbed'))
      await expect(api(`${API}/x`).then((r) => r.text())).resolves.toBe('stubbed')
      expect(stub).toHaveBeenCalledTimes(1)
    })
  })

  describe('401 replay', () => {
    const form = () => {
      const f = new FormData()
      f.set('name', 'alice')
      f.set('file', new Blob(['hello'], { type: 'text/plain' }), 'a.txt')
      return f
    }
    it.each<[string, () => RequestInit & { body: BodyInit }]>([
      [
        'a JSON string',
        () => ({ body: JSON.stringify({ a: 1, b: [2] }), headers: { 'Content-Type': 'application/json' } }),
      ],
      ['text', () => ({ body: 'plain text ✓' })],
      ['URLSearchParams', () => ({ body: new URLSearchParams({ a: '1', b: 'x y' }) })],
      ['FormData', () => ({ body: form() })],
      ['a Blob', () => ({ body: new Blob(['{"blob":true}'], { type: 'application/vnd.test+json' }) })],
      ['bytes', () => ({ body: new TextEncoder().encode('bytes') })],
    ])('replays a POST with %s body identically after one refresh', async (_, make) => {
      const { auth, refresh, first } = setup({ revoked: true })
      const res = await createAuthFetch(auth, { origins: [API] })(`${API}/items`, {
        method: 'POST',
        ...make(),
      })
      expect(res.status).toBe(200)
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(seen).toHaveLength(2)
      const [a, b] = seen as [Seen, Seen]
      expect(a.authorization).toBe(`Bearer ${first}`)
      expect(b.authorization).toBe(bearer(auth))
      expect({ ...b, authorization: null }).toEqual({ ...a, authorization: null })
      expect(a.body.length).toBeGreaterThan(0)
    })

    it('replays a Request with a body identically', async () => {
      const { auth, refresh } = setup({ revoked: true })
      const request = new Request(`${API}/items`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json', 'X-Trace': 't' },
        body: '{"patch":true}',
      })
      const res = await createAuthFetch(auth, { origins: [API] })(request)
      expect(res.status).toBe(200)
      expect(refresh).toHaveBeenCalledTimes(1)
      const [a, b] = seen as [Seen, Seen]
      expect(a).toMatchObject({ method: 'PATCH', body: '{"patch":true}', header: 't' })
      expect({ ...b, authorization: null }).toEqual({ ...a, authorization: null })
    })

    it('returns the 401 of a ReadableStream body, which cannot be replayed', async () => {
      const { auth, refresh } = setup({ revoked: true })
      const body = new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('streamed'))
          c.close()
        },
      })
      const init = { method: 'POST', body, duplex: 'half' } as RequestInit
      const res = await createAuthFetch(auth, { origins: [API] })(`${API}/upload`, init)
      expect(res.status).toBe(401)
      expect(seen).toMatchObject([{ body: 'streamed' }])
      expect(refresh).not.toHaveBeenCalled()
    })

    it('returns a second 401 as it is: exactly one replay', async () => {
      const { auth, refresh } = setup({ revoked: true })
      valid.clear()
      server.use(
        http.all(`${API}/*`, async ({ request }) => {
          await backend.record(request)
          return HttpResponse.json({ n: seen.length }, { status: 401 })
        }),
      )
      const res = await createAuthFetch(auth, { origins: [API] })(`${API}/me`)
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ n: 2 })
      expect(seen).toHaveLength(2)
      expect(refresh).toHaveBeenCalledTimes(1)
    })

    it('with retryOn401: false returns the 401 without refreshing', async () => {
      const { auth, refresh } = setup({ revoked: true })
      const res = await createAuthFetch(auth, { origins: [API], retryOn401: false })(`${API}/me`)
      expect(res.status).toBe(401)
      expect(seen).toHaveLength(1)
      expect(refresh).not.toHaveBeenCalled()
    })

    it('returns the original 401 and ends the session when the refresh is rejected', async () => {
      const { auth, refresh, logouts } = setup({
        revoked: true,
        refresh: async () => {
          throw Object.assign(new Error('rejected'), { status: 401 })
        },
      })
      const res = await createAuthFetch(auth, { origins: [API] })(`${API}/me`, { method: 'POST', body: 'x' })
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ error: 'invalid_token', n: 1 })
      expect(seen).toHaveLength(1)
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(logouts).toEqual(['refresh_rejected'])
      expect(auth.getState().status).toBe('unauthenticated')
    })

    it('returns the original 401 when the refresh fails transiently, and keeps the session', async () => {
      const { auth, first } = setup({
        revoked: true,
        refresh: async () => {
          throw Object.assign(new Error('unavailable'), { status: 503 })
        },
      })
      const res = await createAuthFetch(auth, { origins: [API] })(`${API}/me`)
      expect(res.status).toBe(401)
      expect(auth.getState().accessToken).toBe(first)
    })

    it('starts no refresh for a 401 from an origin that is not allowed', async () => {
      const { auth, refresh } = setup()
      const res = await createAuthFetch(auth, { origins: [API] })('https://other.example.com/me')
      expect(res.status).toBe(401)
      expect(refresh).not.toHaveBeenCalled()
    })

    it('settles every waiting request when the refresh endpoint itself answers 401', async () => {
      const mock = createMockAuthServer({ baseUrl: API, now })
      server.use(...mock.handlers)
      const auth = createAuthClient({
        now,
        refresh: oauth2Refresh({ tokenEndpoint: `${API}/oauth/token`, clientId: 'spa' }),
        retry: { attempts: 1 },
      })
      clients.push(auth)
      const logouts: string[] = []
      auth.on('logout', ({ reason }) => logouts.push(reason))
      const api = createAuthFetch(auth, { origins: [API] })
      const login = await fetch(`${API}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
      }).then((r) => r.json())
      auth.setTokens({ accessToken: login.access_token, refreshToken: login.refresh_token })
      expect((await api(`${API}/api/me`)).status).toBe(200)

      mock.revoke()
      const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => api(`${API}/api/item/${i}`)))
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(401))
      expect(mock.calls.refresh).toBe(1)
      expect(logouts).toEqual(['refresh_rejected'])
    })

    it('settles when the refresh call goes through the same fetch to an origin without the token', async () => {
      let api: typeof fetch = fetch
      const auth = createAuthClient({
        now,
        retry: { attempts: 1 },
        refresh: async () => {
          // The token endpoint is not in `origins`: no token is attached, so its 401 starts nothing.
          const res = await api('https://other.example.com/token', { method: 'POST' })
          throw Object.assign(new Error('rejected'), { status: res.status })
        },
      })
      clients.push(auth)
      auth.setTokens({ accessToken: createTestToken({}, { now, expiresIn: 300 }), refreshToken: 'r' })
      api = createAuthFetch(auth, { origins: [API] })
      const res = await api(`${API}/me`)
      expect(res.status).toBe(401)
      expect(seen.map((s) => s.url)).toEqual([`${API}/me`, 'https://other.example.com/token'])
      expect(auth.getState().status).toBe('unauthenticated')
    })

    it('settles after refreshTimeout when the refresh call goes through the same fetch to an allowed origin', async () => {
      let api: typeof fetch = fetch
      const auth = createAuthClient({
        now,
        retry: { attempts: 1 },
        refreshTimeout: 100,
        refresh: async ({ signal }) => {
          // A misuse the README warns about: the refresh waits on a 401 replay that waits on the refresh.
          const res = await api(`${API}/token`, { method: 'POST', signal })
          throw Object.assign(new Error('rejected'), { status: res.status })
        },
      })
      clients.push(auth)
      auth.setTokens({ accessToken: createTestToken({}, { now, expiresIn: 300 }), refreshToken: 'r' })
      api = createAuthFetch(auth, { origins: [API] })
      const started = Date.now()
      const res = await api(`${API}/me`)
      expect(res.status).toBe(401)
      expect(Date.now() - started).toBeGreaterThanOrEqual(90)
      expect(auth.getState().error?.code).toBe('refresh_timeout')
    })

    it('replays a 401 for an older token with the current one, without a refresh', async () => {
      const { auth, refresh, first } = setup()
      let release!: () => void
      const held = new Promise<void>((r) => (release = r))
      backend.delay = async () => held
      const api = createAuthFetch(auth, { origins: [API] })
      const pending = api(`${API}/slow`)
      await vi.waitUntil(() => seen.length === 1)
      await auth.refresh() // somebody else renewed the token while the request was out
      valid.delete(first)
      backend.delay = async () => {}
      release()
      const res = await pending
      expect(res.status).toBe(200)
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(seen.map((s) => s.authorization)).toEqual([`Bearer ${first}`, bearer(auth)])
    })

    it('shares one refresh between 401s however close they arrive to its end (microtask sweep)', async () => {
      for (let k = 0; k < 40; k++) {
        let calls = 0
        const auth = createAuthClient({
          now,
          refresh: async () => ({ accessToken: createTestToken({ n: ++calls }, { now, expiresIn: 300 }) }),
        })
        clients.push(auth)
        const first = createTestToken({ n: 0 }, { now, expiresIn: 300 })
        auth.setTokens({ accessToken: first, refreshToken: 'r' })
        const send = async (input: RequestInfo | URL, init?: RequestInit) => {
          const header = new Headers(init?.headers).get('authorization')
          // The second 401 comes back k microtasks after the first.
          if (String(input).endsWith('/b')) for (let i = 0; i < k; i++) await Promise.resolve()
          return new Response(null, { status: header === `Bearer ${first}` ? 401 : 200 })
        }
        const api = createAuthFetch(auth, { origins: [API], fetch: send })
        const statuses = (await Promise.all([api(`${API}/a`), api(`${API}/b`)])).map((r) => r.status)
        expect({ k, calls, statuses }).toEqual({ k, calls: 1, statuses: [200, 200] })
      }
    })

    it('returns a late 401 when the client holds no token any more', async () => {
      const { auth, refresh } = setup({ revoked: true })
      let release!: () => void
      const held = new Promise<void>((r) => (release = r))
      backend.delay = async () => held
      const pending = createAuthFetch(auth, { origins: [API] })(`${API}/slow`)
      await vi.waitUntil(() => seen.length === 1)
      await auth.logout()
      release()
      expect((await pending).status).toBe(401)
      expect(refresh).not.toHaveBeenCalled()
      expect(seen).toHaveLength(1)
    })

    it("never replays a late 401 with another user's token", async () => {
      const { auth, refresh } = setup({ revoked: true })
      let release!: () => void
      const held = new Promise<void>((r) => (release = r))
      backend.delay = async () => held
      const pending = createAuthFetch(auth, { origins: [API] })(`${API}/transfer`, {
        method: 'POST',
        body: 'alice',
      })
      await vi.waitUntil(() => seen.length === 1)
      await auth.logout()
      const bob = createTestToken({ sub: 'bob' }, { now, expiresIn: 300 })
      valid.add(bob)
      auth.setTokens({ accessToken: bob, refreshToken: 'rb' })
      release()
      expect((await pending).status).toBe(401)
      expect(seen).toHaveLength(1)
      expect(refresh).not.toHaveBeenCalled()
    })

    it('starts no second refresh for late 401s after a failed one, but does for a request sent later', async () => {
      let fail = true
      const { auth, refresh } = setup({
        revoked: true,
        refreshDelay: 30,
        refresh: async () => {
          if (fail) throw Object.assign(new Error('unavailable'), { status: 503 })
        },
      })
      const api = createAuthFetch(auth, { origins: [API] })
      const first = api(`${API}/first`)
      await vi.waitUntil(() => refresh.mock.calls.length === 1, { interval: 1 })
      // The others leave while the refresh runs, and their 401s arrive after it has failed.
      backend.delay = async (request) => {
        if (!request.url.endsWith('/first')) await sleep(40 + Math.random() * 50)
      }
      const late = Array.from({ length: 20 }, (_, i) => api(`${API}/late/${i}`))
      const responses = await Promise.all([first, ...late])
      expect(responses.map((r) => r.status)).toEqual(Array(21).fill(401))
      expect(refresh).toHaveBeenCalledTimes(1)

      fail = false
      backend.delay = async () => {}
      expect((await api(`${API}/after`)).status).toBe(200)
      expect(refresh).toHaveBeenCalledTimes(2)
    })
  })

  describe('abort', () => {
    it('rejects a request whose signal aborts while it waits for a refresh; the others and the refresh go on', async () => {
      const { auth, refresh } = setup({ refreshDelay: 60 })
      clock += 299_000 // the token is about to expire: every request waits for the refresh
      const api = createAuthFetch(auth, { origins: [API] })
      const controller = new AbortController()
      const aborted = api(`${API}/a`, { signal: controller.signal })
      const others = [api(`${API}/b`), api(new Request(`${API}/c`))]
      await sleep(10)
      controller.abort()
      await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
      expect((await Promise.all(others)).map((r) => r.status)).toEqual([200, 200])
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(refresh.mock.calls[0]?.[0].signal.aborted).toBe(false)
      expect(seen.map((s) => new URL(s.url).pathname).sort()).toEqual(['/b', '/c'])
    })

    it('rejects a request whose signal aborts while it waits for the refresh after a 401', async () => {
      const { auth, refresh } = setup({ revoked: true, refreshDelay: 60 })
      const api = createAuthFetch(auth, { origins: [API] })
      const controller = new AbortController()
      const aborted = api(new Request(`${API}/a`, { signal: controller.signal, method: 'POST', body: 'a' }))
      const other = api(`${API}/b`, { method: 'POST', body: 'b' })
      await vi.waitUntil(() => refresh.mock.calls.length === 1)
      controller.abort()
      await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
      expect((await other).status).toBe(200)
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(refresh.mock.calls[0]?.[0].signal.aborted).toBe(false)
      expect(seen.map((s) => s.body).sort()).toEqual(['a', 'b', 'b'])
    })

    it('rejects at once, sending nothing, when the signal is already aborted', async () => {
      const { auth } = setup()
      const reason = new Error('gone')
      await expect(
        createAuthFetch(auth, { origins: [API] })(`${API}/a`, { signal: AbortSignal.abort(reason) }),
      ).rejects.toBe(reason)
      expect(seen).toHaveLength(0)
    })
  })

  describe("a Request's body", () => {
    /** A fetch answering `statuses` in turn, that reads every body it is sent. */
    function answering(...statuses: number[]) {
      const bodies: string[] = []
      const send = async (input: RequestInfo | URL, init?: RequestInit) => {
        bodies.push(await new Request(input, init).text())
        return new Response('x', { status: statuses.shift() ?? 200 })
      }
      return { send, bodies }
    }
    /** Captures the copies createAuthFetch makes of a Request, to see whether they are released. */
    function copies() {
      const made: Request[] = []
      const clone = Request.prototype.clone
      vi.spyOn(Request.prototype, 'clone').mockImplementation(function (this: Request) {
        const copy = clone.call(this)
        made.push(copy)
        return copy
      })
      return made
    }

    it('keeps a copy for the replay and sends the same body twice', async () => {
      const { auth } = setup()
      const made = copies()
      const { send, bodies } = answering(401, 200)
      const api = createAuthFetch(auth, { origins: [API], fetch: send })
      const res = await api(new Request(`${API}/a`, { method: 'POST', body: 'payload' }))
      expect(res.status).toBe(200)
      expect(bodies).toEqual(['payload', 'payload'])
      expect(made).toHaveLength(1)
    })

    it.each([
      ['the request succeeds', [200], 'ok'],
      ['the refresh fails', [401], 'refresh fails'],
    ])('releases the copy when %s', async (_, statuses, mode) => {
      const failing = async () => {
        throw Object.assign(new Error('down'), { status: 503 })
      }
      const { auth } = setup(mode === 'refresh fails' ? { refresh: failing } : {})
      const made = copies()
      const { send } = answering(...statuses)
      const api = createAuthFetch(auth, { origins: [API], fetch: send })
      const res = await api(new Request(`${API}/a`, { method: 'POST', body: 'payload' }))
      expect(res.status).toBe(statuses[0])
      expect(made).toHaveLength(1)
      // Cancelling a body disturbs it: the copy's stream was released, not left waiting.
      await vi.waitUntil(() => made[0]?.bodyUsed)
    })
  })

  describe('hot path', () => {
    it('with a valid token constructs no Request and hands fetch the caller’s input', async () => {
      const { auth } = setup()
      const send = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => new Response('ok'))
      const api = createAuthFetch(auth, { origins: [API], fetch: send })
      const request = new Request(`${API}/r`)
      const url = new URL(`${API}/u`)
      const constructed = vi.fn()
      const Original = globalThis.Request
      vi.stubGlobal(
        'Request',
        new Proxy(Original, {
          construct(target, args) {
            constructed()
            return Reflect.construct(target, args)
          },
        }),
      )
      try {
        const body = JSON.stringify({ a: 1 })
        await api(`${API}/s`, { method: 'POST', body })
        await api(url)
        await api(request)
        expect(constructed).not.toHaveBeenCalled()
        // A URL object goes out as its string at the call (the app may change the object later), as fetch
        // reads it.
        expect(send.mock.calls.map((c) => c[0])).toEqual([`${API}/s`, url.href, request])
        expect(send.mock.calls[2]?.[0]).toBe(request)
        expect(send.mock.calls[0]?.[1]).toEqual({
          method: 'POST',
          body,
          headers: { Authorization: bearer(auth) },
        })
      } finally {
        vi.unstubAllGlobals()
      }
    })

    it('parses the URL of an origin once, then uses the cached verdict', async () => {
      const { auth } = setup()
      const api = createAuthFetch(auth, { origins: [API], fetch: async () => new Response('ok') })
      const parsed = vi.fn()
      vi.stubGlobal(
        'URL',
        new Proxy(URL, {
          construct(target, args) {
            parsed()
            return Reflect.construct(target, args)
          },
        }),
      )
      try {
        for (let i = 0; i < 20; i++) await api(`${API}/items/${i}?page=${i}`)
        await api('https://other.example.com/a')
        await api('https://other.example.com/b')
        expect(parsed).toHaveBeenCalledTimes(2)
      } finally {
        vi.unstubAllGlobals()
      }
    })
  })
})
