import { createAuthClient, type TokenSet } from '@latchkey/core'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  controlledRefresh,
  countSubscriptions,
  createMockAuthServer,
  createTestToken,
  fakeClock,
  startRefresh,
} from '../src'
import { payload } from './decode'

/** Tests written in a mutation review of @latchkey/testing: each one fails with a change no other test caught. */
const clock = fakeClock()
const mock = createMockAuthServer({ baseUrl: 'http://auth.test', now: clock.now })
// A base URL given with a trailing slash answers on the same routes.
const slashed = createMockAuthServer({ baseUrl: 'http://slash.test/', now: clock.now })
const server = setupServer(...mock.handlers, ...slashed.handlers)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  mock.reset()
  slashed.reset()
})
afterAll(() => server.close())

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })

async function login(base = 'http://auth.test') {
  const res = await post(`${base}/auth/login`, { username: 'alice', password: 'wonderland' })
  expect(res.status).toBe(200)
  return (await res.json()) as { access_token: string; refresh_token: string }
}

/** Settles with what `promise` gave, or 'hung' after `ms` of real time. */
const within = <T>(promise: Promise<T>, ms = 200) =>
  Promise.race([promise, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ms))])

describe('@latchkey/testing (mutation review)', () => {
  // Mutant: answer() kept the calls it had answered, so a later answer went to them and was lost.
  it('controlledRefresh keeps an answer given after the earlier calls were answered for the next call', async () => {
    const control = controlledRefresh()
    const first: TokenSet = { accessToken: 'first' }
    const second: TokenSet = { accessToken: 'second' }
    const call = control.refresh()
    control.settle(first)
    expect(await call).toBe(first)
    control.settle(second)
    expect(await within(control.refresh())).toBe(second)
  })

  // Mutant: the counted unsubscribe lowered the count but left the client's subscription open.
  it('countSubscriptions: unsubscribing really ends the subscription', () => {
    const auth = createAuthClient({ syncTabs: false })
    const { client, active } = countSubscriptions(auth)
    const states: unknown[] = []
    const off = client.subscribe((state) => states.push(state))
    off()
    expect(active()).toBe(0)
    auth.setTokens({ accessToken: createTestToken({ sub: 'ada' }) })
    expect(states).toEqual([])
    auth.destroy()
  })

  // Mutant: /auth/logout read only a refresh_token from the body; the README says "(or of the Bearer token)".
  it('POST /auth/logout with only the access token as Bearer revokes its session', async () => {
    const tokens = await login()
    const res = await post(
      'http://auth.test/auth/logout',
      {},
      { authorization: `Bearer ${tokens.access_token}` },
    )
    expect(res.status).toBe(204)
    const refreshed = await post('http://auth.test/auth/refresh', { refresh_token: tokens.refresh_token })
    expect(refreshed.status).toBe(401)
    expect(await refreshed.json()).toMatchObject({ error: 'invalid_grant' })
  })

  // Mutant: issued() returned its own log, so a test that changed the result changed later ones.
  it('issued() returns copies: changing them changes nothing the mock reports later', async () => {
    await login()
    const list = mock.issued()
    list[0]!.username = 'mallory'
    list.push({ ...list[0]! })
    expect(mock.issued()).toHaveLength(1)
    expect(mock.issued()[0]!.username).toBe('alice')
  })

  // Mutant: base64url() left '+' as it is (base64, not base64url).
  it("createTestToken encodes claims whose base64 has '+' and '/' as base64url", () => {
    // '>>>' is 'Pj4+' and '???' is 'Pz8/' in base64.
    const token = createTestToken({ a: '>>>', b: '???', c: '>?>?>' })
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(payload(token)).toMatchObject({ a: '>>>', b: '???', c: '>?>?>' })
  })

  // Mutant: the base URL kept its trailing slash, so every route was `http://slash.test//auth/...`.
  it('answers on a baseUrl given with a trailing slash', async () => {
    const tokens = await login('http://slash.test')
    const res = await fetch('http://slash.test/api/me', {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(res.status).toBe(200)
    expect(slashed.calls).toMatchObject({ login: 1, api: 1 })
  })

  // Mutant: startRefresh() waited for the next change of isRefreshing, which never comes when the
  // refresh it joins is already in flight.
  it('startRefresh returns at once when the refresh it joins is already in flight', async () => {
    const control = controlledRefresh()
    const auth = createAuthClient({ syncTabs: false, refresh: control.refresh })
    auth.setTokens({ accessToken: createTestToken({ sub: 'ada' }), refreshToken: 'rt' })
    const first = await startRefresh(auth)
    expect(auth.getState().isRefreshing).toBe(true)
    const second = await within(startRefresh(auth))
    expect(second).not.toBe('hung')
    control.settle({ accessToken: createTestToken({ sub: 'ada', n: 2 }) })
    await first.done
    auth.destroy()
  })

  // Mutant: reset() kept a simulated refresh failure; the docs say it clears it.
  it('reset() clears a simulated refresh failure', async () => {
    mock.setRefreshFailure('500')
    mock.reset()
    const tokens = await login()
    const res = await post('http://auth.test/auth/refresh', { refresh_token: tokens.refresh_token })
    expect(res.status).toBe(200)
  })

  // Mutant: the API matched the scheme "Bearer" case-sensitively; auth schemes are case-insensitive (RFC 9110 §11.1).
  it('serves /api/* to a live token sent with the scheme in lower case', async () => {
    const tokens = await login()
    const res = await fetch('http://auth.test/api/me', {
      headers: { authorization: `bearer ${tokens.access_token}` },
    })
    expect(res.status).toBe(200)
  })
})
