import { type AuthClient, createAuthClient } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import axios, { AxiosError, type InternalAxiosRequestConfig } from 'axios'
import { afterEach, describe, expect, it } from 'vitest'
import { attachAuth } from '../src'

/** Edges of attachAuth found in review: user switches, replayed bodies, URL objects. */
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
})
const tick = () => new Promise((resolve) => setTimeout(resolve, 0))
const API = 'https://api.example.com'
const ok = (config: InternalAxiosRequestConfig, status = 200) => ({
  data: 'ok',
  status,
  statusText: '',
  headers: {},
  config,
})

it("does not replay a late 401 with the next user's token when the user changes while it waits", async () => {
  const clock = Date.UTC(2030, 0, 1)
  const now = () => clock
  let finishRefresh!: (v: { accessToken: string }) => void
  const refresh = () => new Promise<{ accessToken: string }>((resolve) => (finishRefresh = resolve))
  const auth = createAuthClient({ now, refresh, syncTabs: false })
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }, { now }), refreshToken: 'alice-rt' })
  const sent: unknown[] = []
  let answerFirst!: () => void
  const adapter = async (c: InternalAxiosRequestConfig) => {
    sent.push(c.headers.get('Authorization'))
    if (sent.length > 1) return ok(c)
    await new Promise<void>((resolve) => (answerFirst = resolve))
    throw new AxiosError('401', 'ERR_BAD_REQUEST', c, null, ok(c, 401) as never)
  }
  const api = axios.create({ baseURL: API, adapter })
  attachAuth(api, auth, { origins: [API] })
  const pending = api.post('/alice/private', { secret: 1 }).then(
    (r) => r.status,
    (e: AxiosError) => e.response?.status,
  )
  await tick()
  auth.setTokens({
    accessToken: createTestToken({ sub: 'alice', iat: undefined, exp: clock / 1000 + 30 }),
    refreshToken: 'alice-rt',
  })
  answerFirst()
  await tick()
  await auth.logout()
  auth.setTokens({ accessToken: createTestToken({ sub: 'bob' }, { now }), refreshToken: 'bob-rt' })
  finishRefresh({ accessToken: createTestToken({ sub: 'alice' }, { now }) })
  expect(await pending).toBe(401)
  expect(sent).toHaveLength(1)
})

it('replays the same body when transformRequest is not idempotent', async () => {
  let n = 0
  const auth = createAuthClient({
    syncTabs: false,
    refresh: async () => ({ accessToken: createTestToken({ sub: 'alice', n: ++n }) }),
  })
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'r' })
  const bodies: unknown[] = []
  const adapter = async (c: InternalAxiosRequestConfig) => {
    bodies.push(c.data)
    if (bodies.length === 1) throw new AxiosError('401', 'ERR_BAD_REQUEST', c, null, ok(c, 401) as never)
    return ok(c)
  }
  const api = axios.create({
    baseURL: API,
    adapter,
    // An API that wants an envelope (the same goes for qs.stringify, signing, encrypting).
    transformRequest: [(data) => JSON.stringify({ payload: data })],
    headers: { 'Content-Type': 'application/json' },
  })
  attachAuth(api, auth, { origins: [API] })
  await api.post('/orders', { item: 'book', qty: 1 })
  expect(bodies).toEqual(['{"payload":{"item":"book","qty":1}}', '{"payload":{"item":"book","qty":1}}'])
})

describe('a URL object as url', () => {
  it('is checked like its string, on every request', async () => {
    const auth = createAuthClient({ syncTabs: false })
    clients.push(auth)
    auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'r' })
    const seen: unknown[] = []
    const adapter = async (c: InternalAxiosRequestConfig) => {
      seen.push(c.headers.get('Authorization') ?? null)
      return ok(c)
    }
    const api = axios.create({ adapter })
    attachAuth(api, auth, { origins: [API] })
    for (const url of [`${API}/a`, `${API}/b`, 'https://evil.example.com/c'])
      expect((await api.get(new URL(url) as never)).status).toBe(200)
    expect(seen).toEqual([expect.stringMatching(/^Bearer /), expect.stringMatching(/^Bearer /), null])
  })
})

it('waits for the refreshed token and replays a 401 for a request with a signal-like without addEventListener', async () => {
  // axios takes `{ aborted }` objects as signals; they cancel only the request itself, so neither wait
  // may listen on them (nor fail for the lack of addEventListener).
  let n = 0
  let clock = Date.UTC(2030, 0, 1)
  const now = () => clock
  const auth = createAuthClient({
    now,
    syncTabs: false,
    refresh: async () => ({ accessToken: createTestToken({ sub: 'alice', n: ++n }, { now }) }),
  })
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }, { now }), refreshToken: 'r' })
  const sent: unknown[] = []
  const adapter = async (c: InternalAxiosRequestConfig) => {
    sent.push(c.headers.get('Authorization'))
    if (sent.length === 2) throw new AxiosError('401', 'ERR_BAD_REQUEST', c, null, ok(c, 401) as never)
    return ok(c)
  }
  const api = axios.create({ baseURL: API, adapter })
  attachAuth(api, auth, { origins: [API] })
  const signal = { aborted: false } as never
  // The token is within the refresh leeway: the request waits for a renewed one.
  clock += 3_590_000
  expect((await api.get('/me', { signal })).status).toBe(200)
  expect(n).toBe(1)
  // Its 401 is answered by a refresh and a replay with the next token.
  expect((await api.get('/me', { signal })).status).toBe(200)
  expect(n).toBe(2)
  const tokens = [1, 2].map((k) => `Bearer ${createTestToken({ sub: 'alice', n: k }, { now })}`)
  expect(sent).toEqual([tokens[0], tokens[0], tokens[1]])
})

it('waits for the refreshed token for a request whose signal-like has addEventListener but no removeEventListener', async () => {
  // The wait listens to it and, once the token came, would take the listener off: a signal-like that
  // cannot must not leave a rejected promise nobody handles behind (vitest fails the run on one).
  let clock = Date.UTC(2030, 0, 1)
  const now = () => clock
  const auth = createAuthClient({
    now,
    syncTabs: false,
    refresh: async () => ({ accessToken: createTestToken({ sub: 'alice', n: 1 }, { now }) }),
  })
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }, { now }), refreshToken: 'r' })
  const sent: unknown[] = []
  const api = axios.create({
    baseURL: API,
    adapter: async (c: InternalAxiosRequestConfig) => {
      sent.push(c.headers.get('Authorization'))
      return ok(c)
    },
  })
  attachAuth(api, auth, { origins: [API] })
  const listeners: unknown[] = []
  const signal = { aborted: false, addEventListener: (_: string, f: unknown) => listeners.push(f) } as never
  clock += 3_590_000
  expect((await api.get('/me', { signal })).status).toBe(200)
  expect(listeners).toHaveLength(1)
  expect(sent).toEqual([`Bearer ${createTestToken({ sub: 'alice', n: 1 }, { now })}`])
  await tick()
})
