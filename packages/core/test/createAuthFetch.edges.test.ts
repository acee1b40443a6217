import { Readable } from 'node:stream'
import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { type AuthClient, createAuthClient, createAuthFetch } from '../src'

/** Edges of the 401 replay and the header check found in review. */
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
})
const tick = () => new Promise((resolve) => setTimeout(resolve, 0))
const API = 'https://api.example.com'
const authorization = (init?: RequestInit) => new Headers(init?.headers).get('authorization')

describe('a late 401 across a change of user', () => {
  it("is not replayed with the next user's token when the user changes while the 401 waits", async () => {
    const clock = Date.UTC(2030, 0, 1)
    const now = () => clock
    let finishRefresh!: (v: { accessToken: string }) => void
    const refresh = () => new Promise<{ accessToken: string }>((resolve) => (finishRefresh = resolve))
    const auth = createAuthClient({ now, refresh, syncTabs: false })
    clients.push(auth)
    const t1 = createTestToken({ sub: 'alice' }, { now })
    auth.setTokens({ accessToken: t1, refreshToken: 'alice-rt' })
    const sent: Array<string | null> = []
    let answerFirst!: (r: Response) => void
    const api = createAuthFetch(auth, {
      origins: [API],
      fetch: (async (_input: unknown, init?: RequestInit) => {
        sent.push(authorization(init))
        if (sent.length === 1) return new Promise<Response>((resolve) => (answerFirst = resolve))
        return new Response('replayed')
      }) as typeof fetch,
    })
    // alice's request leaves with t1; then a newer alice token inside the leeway starts a refresh.
    const pending = api(`${API}/alice/private`, { method: 'POST', body: 'alice-data' })
    await tick()
    auth.setTokens({
      accessToken: createTestToken({ sub: 'alice', iat: undefined, exp: clock / 1000 + 30 }),
      refreshToken: 'alice-rt',
    })
    expect(auth.getState().isRefreshing).toBe(true)
    // The late 401 to t1 waits for that refresh; meanwhile alice signs out and bob signs in.
    answerFirst(new Response('no', { status: 401 }))
    await tick()
    await auth.logout()
    auth.setTokens({ accessToken: createTestToken({ sub: 'bob' }, { now }), refreshToken: 'bob-rt' })
    finishRefresh({ accessToken: createTestToken({ sub: 'alice' }, { now }) })
    const response = await pending
    expect({ sent, status: response.status }).toEqual({ sent: [`Bearer ${t1}`], status: 401 })
  })

  it('is not replayed with a token of a later session when tokens are opaque (no sub to compare)', async () => {
    const auth = createAuthClient({
      syncTabs: false,
      refresh: async () => ({ accessToken: 'new', expiresIn: 3600 }),
    })
    clients.push(auth)
    auth.setTokens({ accessToken: 'alice-opaque', expiresIn: 3600, refreshToken: 'r' })
    const sent: Array<string | null> = []
    let answer!: (r: Response) => void
    const api = createAuthFetch(auth, {
      origins: [API],
      fetch: (async (_input: unknown, init?: RequestInit) => {
        sent.push(authorization(init))
        return sent.length === 1 ? new Promise<Response>((resolve) => (answer = resolve)) : new Response('ok')
      }) as typeof fetch,
    })
    const pending = api(`${API}/alice`, { method: 'DELETE' })
    await tick()
    await auth.logout()
    auth.setTokens({ accessToken: 'bob-opaque', expiresIn: 3600, refreshToken: 'rb' })
    answer(new Response('', { status: 401 }))
    const response = await pending
    expect({ sent, status: response.status }).toEqual({ sent: ['Bearer alice-opaque'], status: 401 })
  })
})

it('replays a 401 from a fetch whose bodies are Node streams (no cancel())', async () => {
  let n = 0
  const auth = createAuthClient({
    syncTabs: false,
    refresh: async () => ({ accessToken: createTestToken({ sub: 'alice', n: ++n }) }),
  })
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'r' })
  const calls: Array<string | null> = []
  // A node-fetch-like response: a status and a Node Readable body.
  const nodeFetch = (async (_input: unknown, init?: RequestInit) => {
    calls.push(authorization(init))
    const status = calls.length === 1 ? 401 : 200
    return {
      status,
      ok: status < 400,
      body: Readable.from(['x']),
      headers: new Headers(),
    } as unknown as Response
  }) as typeof fetch
  const api = createAuthFetch(auth, { origins: [API], fetch: nodeFetch })
  const response = await api(`${API}/me`)
  expect(response.status).toBe(200)
  expect(calls).toHaveLength(2)
  expect(calls[1]).not.toBe(calls[0])
})

it("keeps the caller's Authorization given in headers as a Map (any iterable of pairs)", async () => {
  const auth = createAuthClient({ syncTabs: false })
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'r' })
  let seen: Headers | undefined
  const api = createAuthFetch(auth, {
    origins: [API],
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      seen = new Request(input, init).headers
      return new Response('ok')
    }) as typeof fetch,
  })
  const headers = new Map([
    ['Authorization', 'Basic dXNlcjpwYXNz'],
    ['X-Trace', 'abc'],
  ])
  await api(`${API}/basic`, { headers: headers as unknown as HeadersInit })
  expect({ authorization: seen!.get('authorization'), trace: seen!.get('x-trace') }).toEqual({
    authorization: 'Basic dXNlcjpwYXNz',
    trace: 'abc',
  })
})

it('leaves no listener on the client, however many fetch wrappers an app creates', async () => {
  const auth = createAuthClient({ syncTabs: false })
  clients.push(auth)
  let listeners = 0
  const counted: AuthClient = {
    ...auth,
    on: (type, handler) => {
      listeners++
      return auth.on(type, handler)
    },
    subscribe: (listener) => {
      listeners++
      return auth.subscribe(listener)
    },
  }
  auth.setTokens({ accessToken: 'opaque', expiresIn: 3600, refreshToken: 'r' })
  for (let i = 0; i < 100; i++)
    createAuthFetch(counted, { origins: [API], fetch: async () => new Response('ok') })
  expect(listeners).toBe(0)
  // The session rules still hold through the wrapper: a logout between send and 401 stops the replay.
  let answer!: (r: Response) => void
  const sent: Array<string | null> = []
  const api = createAuthFetch(counted, {
    origins: [API],
    fetch: (async (_input: unknown, init?: RequestInit) => {
      sent.push(authorization(init))
      return sent.length === 1 ? new Promise<Response>((resolve) => (answer = resolve)) : new Response('ok')
    }) as typeof fetch,
  })
  const pending = api(`${API}/x`)
  await tick()
  await auth.logout()
  auth.setTokens({ accessToken: 'other', expiresIn: 3600, refreshToken: 'r2' })
  answer(new Response('', { status: 401 }))
  expect((await pending).status).toBe(401)
  expect(sent).toEqual(['Bearer opaque'])
})

describe('headers given as pairs that can be read once (an iterator, a generator)', () => {
  it('sends them all, with the token, and leaves alone an Authorization among them', async () => {
    const auth = createAuthClient({ syncTabs: false })
    clients.push(auth)
    const t = createTestToken({ sub: 'alice' })
    auth.setTokens({ accessToken: t })
    const got: Array<Array<[string, string]>> = []
    const api = createAuthFetch(auth, {
      origins: [API],
      fetch: (async (_input: unknown, init?: RequestInit) => {
        got.push([...new Headers(init?.headers)])
        return new Response('ok')
      }) as typeof fetch,
    })
    // fetch takes any iterable of pairs (WebIDL sequence); TypeScript's HeadersInit names arrays only.
    const once = (headers: Iterable<[string, string]>) => headers as unknown as HeadersInit
    function* pairs(): Generator<[string, string]> {
      yield ['X-Trace', 't']
    }
    await api(`${API}/a`, { headers: once(new Headers({ 'X-Trace': 't' }).entries()) })
    await api(`${API}/b`, { headers: once(pairs()) })
    await api(`${API}/c`, { headers: once(new Headers({ Authorization: 'Basic YXBwOmtleQ==' }).entries()) })
    await api('https://other.example/d', { headers: once(pairs()) })
    expect(got).toEqual([
      [
        ['authorization', `Bearer ${t}`],
        ['x-trace', 't'],
      ],
      [
        ['authorization', `Bearer ${t}`],
        ['x-trace', 't'],
      ],
      [['authorization', 'Basic YXBwOmtleQ==']],
      [['x-trace', 't']],
    ])
  })
})
