import { type AuthClient, createAuthClient, oauth2Refresh } from '@latchkey/core'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createMockAuthServer, fakeClock } from '../src/index'

const clock = fakeClock()
const one = createMockAuthServer({ baseUrl: 'http://one.test', now: clock.now })
// Same host, a path prefix: two issuers behind one gateway.
const two = createMockAuthServer({ baseUrl: 'http://gateway.test/two', accessTtl: 60, now: clock.now })
const three = createMockAuthServer({ baseUrl: 'http://gateway.test/three', now: clock.now })
const server = setupServer(...one.handlers, ...two.handlers, ...three.handlers)
const clients: AuthClient[] = []

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  for (const m of [one, two, three]) m.reset()
  for (const c of clients.splice(0)) c.destroy()
})
afterAll(() => server.close())

function client(base: string) {
  const auth = createAuthClient({
    now: clock.now,
    refresh: oauth2Refresh({ tokenEndpoint: `${base}/oauth/token`, clientId: 'spa' }),
    login: async (credentials: { username: string; password: string }) => {
      const res = await fetch(`${base}/auth/login`, { method: 'POST', body: JSON.stringify(credentials) })
      const body = (await res.json()) as { access_token: string; refresh_token: string }
      return { accessToken: body.access_token, refreshToken: body.refresh_token }
    },
  })
  clients.push(auth)
  return auth
}

describe('createMockAuthServer', () => {
  it('runs several issuers in one msw server, each with its own sessions and counters', async () => {
    const a = client('http://one.test')
    const b = client('http://gateway.test/two')
    const c = client('http://gateway.test/three')
    await a.login({ username: 'alice', password: 'wonderland' })
    await b.login({ username: 'bob', password: 'builder' })
    await c.login({ username: 'alice', password: 'wonderland' })
    const ta = a.getState().accessToken
    await b.refresh()
    expect([one.calls, two.calls, three.calls].map((k) => [k.login, k.refresh])).toEqual([
      [1, 0],
      [1, 1],
      [1, 0],
    ])
    const fetchWith = (base: string, token: string | null) =>
      fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status)
    // Each issuer accepts its own tokens only.
    expect(await fetchWith('http://one.test', ta)).toBe(200)
    expect(await fetchWith('http://gateway.test/two', ta)).toBe(401)
    expect(await fetchWith('http://gateway.test/three', ta)).toBe(401)
    expect(await fetchWith('http://gateway.test/three', c.getState().accessToken)).toBe(200)
    expect(await fetchWith('http://gateway.test/two', c.getState().accessToken)).toBe(401)
    // Revoking at one issuer leaves the others' sessions alone.
    two.revoke()
    expect(await fetchWith('http://gateway.test/two', b.getState().accessToken)).toBe(401)
    expect(await fetchWith('http://one.test', ta)).toBe(200)
    expect(await fetchWith('http://gateway.test/three', c.getState().accessToken)).toBe(200)
    expect(one.issued().map((t) => t.username)).toEqual(['alice'])
    expect(two.issued().map((t) => t.via)).toEqual(['login', 'refresh'])
  })
})
