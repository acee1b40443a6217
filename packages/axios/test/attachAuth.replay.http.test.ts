import axios, { Axios, AxiosError, type InternalAxiosRequestConfig } from 'axios'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { liveToken } from '../../core/test/support/clients'
import { useTokenApi } from '../../core/test/support/http'
import { attachAuth } from '../src'

/**
 * attachAuth's replay against a real node:http server on 127.0.0.1: what it carries (the token the
 * rules chose, never another user's; a Buffer body's bytes and nothing else), on axios versions whose
 * config merge drops symbol keys, after detach(), and a caller's Authorization on a config re-sent.
 */

const server = useTokenApi({
  // /step-up: an endpoint that wants the app's own (Basic) credentials, and answers 403 otherwise.
  answer: (hit, res) => {
    if (hit.url !== '/step-up') return false
    res.writeHead(hit.authorization?.startsWith('Basic ') ? 200 : 403).end()
    return true
  },
})
const { hits, valid, raw } = server

afterEach(() => {
  vi.restoreAllMocks()
})

function setup({ refused = false, gated = false, retryOn401 = true } = {}) {
  const client = server.client({ refused, gated })
  const api = axios.create({ baseURL: server.origin })
  const detach = attachAuth(api, client.auth, { origins: [server.origin], retryOn401 })
  return { ...client, api, detach }
}

describe('a caller-set Authorization on a config attachAuth handled before', () => {
  it('is not overwritten when the app re-sends that config with its own Authorization', async () => {
    const { api } = setup()
    // An app's step-up handler (added after attachAuth): a 403 is retried with the app's own credentials.
    api.interceptors.response.use(undefined, (error: AxiosError) => {
      const config = error.config as InternalAxiosRequestConfig & { stepped?: boolean }
      if (error.response?.status !== 403 || config.stepped) throw error
      config.stepped = true
      config.headers.set('Authorization', 'Basic YWRtaW46c2VjcmV0')
      return api.request(config)
    })
    const res = await api.get('/step-up').catch((e: AxiosError) => e.response!)
    // API.md: "An Authorization header the caller set is never overwritten."
    expect(hits.map((h) => h.authorization?.split(' ')[0])).toEqual(['Bearer', 'Basic'])
    expect(res.status).toBe(200)
  })
})

describe('the replay on axios versions inside the peer range (^1.2.0)', () => {
  it('replays with the renewed token when mergeConfig drops symbol keys (axios < 1.19)', async () => {
    // axios before 1.19.0 built the merged config from Object.keys(): symbol-keyed fields (config[SENT])
    // did not survive request(config). Simulated here by dropping them on the way into request().
    const request = Axios.prototype.request
    vi.spyOn(Axios.prototype, 'request').mockImplementation(function (this: Axios, a: any) {
      const strip = (c: any) =>
        c && typeof c === 'object' ? { ...Object.fromEntries(Object.entries(c)) } : c
      return request.call(this, strip(a)) as never
    })
    const { api, auth, refresh, first } = setup({ refused: true })
    const res = await api.get('/me').catch((e: AxiosError) => e.response!)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(hits.map((h) => h.authorization)).toEqual([
      `Bearer ${first}`,
      `Bearer ${auth.getState().accessToken}`,
    ])
    expect(res.status).toBe(200)
  })
})

describe('the replay sends the request as first sent (API.md: "the same method, headers and body")', () => {
  // The app's request interceptors are not run again: they did their work on the config it replays.
  const interceptors = (api: ReturnType<typeof axios.create>) => {
    const runs: string[] = []
    // Added before attachAuth, it runs after it (axios runs request interceptors last-added first).
    api.interceptors.request.use((c) => {
      runs.push('prefix')
      c.url = `/v2${c.url}`
      return c
    })
    return runs
  }

  it('a URL an interceptor prefixed, and a body one encoded (added after attachAuth, run before)', async () => {
    const { api, refresh } = setup({ refused: true })
    const runs = interceptors(api)
    api.interceptors.request.use((c) => {
      runs.push('encode')
      c.data = JSON.stringify({ envelope: c.data })
      return c
    })
    const res = await api.post('/items', { a: 1 }).catch((e: AxiosError) => e.response!)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(res.status).toBe(200)
    expect(runs).toEqual(['encode', 'prefix'])
    expect(hits.map((h) => [h.url, h.text, h.headers['content-length']])).toEqual(
      Array(2).fill(['/v2/items', '{"envelope":{"a":1}}', '20']),
    )
  })

  it('a 401 an interceptor answers before anything went out is not replayed (with no body or otherwise)', async () => {
    const { auth, refresh } = server.client({ refused: true })
    const api = axios.create({ baseURL: server.origin })
    let gate = true
    // Added before attachAuth, it runs after it: a client-side gate that answers the first try itself.
    api.interceptors.request.use((c) => {
      if (!gate) return c
      gate = false
      throw new AxiosError('401', 'ERR_BAD_REQUEST', c, null, { status: 401, config: c } as never)
    })
    attachAuth(api, auth, { origins: [server.origin] })
    await expect(api.post('/items', { a: 1 })).rejects.toMatchObject({ response: { status: 401 } })
    expect({ hits: hits.length, refreshes: refresh.mock.calls.length }).toEqual({ hits: 0, refreshes: 0 })
  })

  it('a body a transform makes longer on the replay is sent whole: the first length is not kept', async () => {
    const { api } = setup({ refused: true })
    let sends = 0
    const res = await api
      .post('/items', 'x', { transformRequest: (data: string) => data.repeat(++sends * 10) })
      .catch((e: AxiosError) => e.response!)
    expect(res.status).toBe(200)
    expect(hits.map((h) => [h.text.length, h.headers['content-length']])).toEqual([
      [10, '10'],
      [20, '20'],
    ])
  })
})

describe('replayed bodies', () => {
  it('replays a Node Buffer body byte for byte, and nothing else from the process memory', async () => {
    const { api, refresh } = setup({ refused: true })
    // Small Buffers share Node's 8 KB pool: another part of the app put a secret there just before.
    const other = Buffer.from('password=hunter2')
    const body = Buffer.from('amount=100')
    const res = await api
      .post('/pay', body, { headers: { 'content-type': 'application/octet-stream' } })
      .catch((e: AxiosError) => e.response!)
    expect(other.length).toBe(16)
    expect(refresh).toHaveBeenCalledTimes(1)
    // What reached the server's sockets (the replay's surplus bytes are parsed as another request: 400).
    expect(Buffer.concat(raw).includes('hunter2')).toBe(false)
    expect(hits.map((h) => h.body.toString())).toEqual(['amount=100', 'amount=100'])
    expect(res.status).toBe(200)
  })
})

describe('the token the replay carries', () => {
  it("never carries another user's token: a sign-in as bob while alice's refresh is on its way", async () => {
    const { api, auth, refresh, release } = setup({ refused: true, gated: true })
    // An app interceptor added after attachAuth runs before it and awaits something (a CSRF token, say).
    api.interceptors.request.use(async (config) => config)
    const pending = api.get('/transfer').catch((e: AxiosError) => e.response!)
    await vi.waitUntil(() => refresh.mock.calls.length === 1)
    // Meanwhile alice signs out and bob signs in on this device.
    const bob = liveToken('bob')
    valid.add(bob)
    await auth.logout()
    auth.setTokens({ accessToken: bob, refreshToken: 'rb' })
    release()
    // The request was alice's: the renewer replays a 401 only within the same session and user.
    expect((await pending).status).toBe(401)
    expect(hits.map((h) => h.url)).toEqual(['/transfer'])
    expect(hits.map((h) => h.authorization)).not.toContain(`Bearer ${bob}`)
  })
})

describe('detach() while a 401 waits for its refresh', () => {
  it('does not replay with the token that was just refused', async () => {
    const { api, refresh, release, first, detach } = setup({ refused: true, gated: true })
    const pending = api.get('/me').catch((e: AxiosError) => e)
    await vi.waitUntil(() => refresh.mock.calls.length === 1)
    detach()
    release()
    await pending
    // Sending the refused token again is a wasted request that can only get the same 401.
    expect(hits.map((h) => h.authorization)).toEqual([`Bearer ${first}`, expect.not.stringContaining(first)])
  })
})
