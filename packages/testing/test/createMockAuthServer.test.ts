import { createAuthClient, oauth2Refresh } from '@latchkey/core'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createMockAuthServer, fakeClock } from '../src/index'
import { payload } from './decode'

const clock = fakeClock()
const mock = createMockAuthServer({ baseUrl: 'http://auth.test', accessTtl: 60, now: clock.now })
const server = setupServer(...mock.handlers)

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  mock.reset()
  clock.set(Date.UTC(2030, 0, 1))
  server.resetHandlers()
})
afterAll(() => server.close())

const post = (path: string, body: unknown, form = false) =>
  fetch(`http://auth.test${path}`, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body),
  })

interface TokenBody {
  access_token: string
  refresh_token?: string
  expires_in: number
  token_type: string
}

async function login(username = 'alice', password = 'wonderland'): Promise<TokenBody> {
  const res = await post('/auth/login', { username, password })
  expect(res.status).toBe(200)
  return (await res.json()) as TokenBody
}

const refresh = (refreshToken: string) => post('/auth/refresh', { refresh_token: refreshToken })
const api = (token?: string) =>
  fetch('http://auth.test/api/data', token ? { headers: { authorization: `Bearer ${token}` } } : {})

describe('createMockAuthServer', () => {
  it('logs a demo user in with an access token carrying their claims', async () => {
    const body = await login()
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 60, refresh_token: expect.any(String) })
    const iat = clock.now() / 1000
    expect(payload(body.access_token)).toMatchObject({
      sub: 'alice',
      roles: ['user', 'admin'],
      iat,
      exp: iat + 60,
    })
    expect(mock.calls.login).toBe(1)
  })

  it('answers 401 invalid_credentials to a wrong password', async () => {
    const res = await post('/auth/login', { username: 'alice', password: 'nope' })
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: 'invalid_credentials' })
  })

  it('knows no user by a name every object inherits (constructor, toString), with or without a password', async () => {
    for (const username of ['constructor', 'toString', '__proto__']) {
      const res = await post('/auth/login', { username })
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'invalid_credentials' })
    }
  })

  it('accepts custom users', async () => {
    const custom = createMockAuthServer({ baseUrl: 'http://custom.test', users: { eve: { password: 'x' } } })
    server.use(...custom.handlers)
    const res = await fetch('http://custom.test/auth/login', {
      method: 'POST',
      body: JSON.stringify({ username: 'eve', password: 'x' }),
    })
    expect(res.status).toBe(200)
  })

  it('serves /api/* to a live access token it issued', async () => {
    const { access_token } = await login('bob', 'builder')
    const res = await api(access_token)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ path: '/api/data', claims: { sub: 'bob', roles: ['user'] } })
    expect(mock.calls.api).toBe(1)
  })

  it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
    const res = await api()
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
  })

  it('rejects a token it did not issue', async () => {
    const res = await api('a.b.c')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
  })

  it('rejects an access token once the clock passes exp', async () => {
    const { access_token } = await login()
    clock.advance(59_000)
    expect((await api(access_token)).status).toBe(200)
    clock.advance(1_000)
    expect((await api(access_token)).status).toBe(401)
  })

  it('rotates the refresh token on every refresh', async () => {
    const first = await login()
    clock.advance(10_000)
    const res = await refresh(first.refresh_token!)
    expect(res.status).toBe(200)
    const second = (await res.json()) as TokenBody
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect(second.access_token).not.toBe(first.access_token)
    expect(payload(second.access_token).iat).toBe(clock.now() / 1000)
    expect(mock.issued().map((t) => t.via)).toEqual(['login', 'refresh'])
  })

  it('accepts the RFC 6749 form-encoded grant, also on /oauth/token', async () => {
    const { refresh_token } = await login()
    const res = await post(
      '/oauth/token',
      { grant_type: 'refresh_token', refresh_token: refresh_token! },
      true,
    )
    expect(res.status).toBe(200)
    const bad = await post('/auth/refresh', { grant_type: 'password', refresh_token: 'x' }, true)
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ error: 'unsupported_grant_type' })
  })

  it('answers 400 invalid_request when no refresh token is sent', async () => {
    const res = await post('/auth/refresh', {})
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'invalid_request' })
  })

  it('revokes the whole session when a spent refresh token is reused', async () => {
    const first = await login()
    const second = (await (await refresh(first.refresh_token!)).json()) as TokenBody
    const reuse = await refresh(first.refresh_token!)
    expect(reuse.status).toBe(401)
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' })
    expect((await refresh(second.refresh_token!)).status).toBe(401)
    expect((await api(second.access_token)).status).toBe(401)
  })

  it('keeps one refresh token and omits it from responses with rotate: false', async () => {
    const fixed = createMockAuthServer({ baseUrl: 'http://fixed.test', rotate: false })
    server.use(...fixed.handlers)
    const send = (path: string, body: unknown) =>
      fetch(`http://fixed.test${path}`, { method: 'POST', body: JSON.stringify(body) })
    const { refresh_token } = (await (
      await send('/auth/login', { username: 'bob', password: 'builder' })
    ).json()) as TokenBody
    for (let i = 0; i < 2; i++) {
      const res = await send('/auth/refresh', { refresh_token })
      expect(res.status).toBe(200)
      expect(await res.json()).not.toHaveProperty('refresh_token')
    }
  })

  it('revokes the session on logout', async () => {
    const { access_token, refresh_token } = await login()
    const res = await post('/auth/logout', { refresh_token })
    expect(res.status).toBe(204)
    expect(mock.calls.logout).toBe(1)
    expect((await refresh(refresh_token!)).status).toBe(401)
    expect((await api(access_token)).status).toBe(401)
  })

  it('revoke() without a token ends every session', async () => {
    const a = await login()
    const b = await login('bob', 'builder')
    mock.revoke()
    expect((await refresh(a.refresh_token!)).status).toBe(401)
    expect((await api(b.access_token)).status).toBe(401)
  })

  it('revoke(token) ends only that session', async () => {
    const a = await login()
    const b = await login('bob', 'builder')
    mock.revoke(a.access_token)
    expect((await api(a.access_token)).status).toBe(401)
    expect((await api(b.access_token)).status).toBe(200)
  })

  it('reset() forgets sessions and zeroes the counters', async () => {
    const { access_token } = await login()
    mock.reset()
    expect(mock.calls).toEqual({ login: 0, refresh: 0, logout: 0, api: 0 })
    expect(mock.issued()).toEqual([])
    expect((await api(access_token)).status).toBe(401)
  })

  describe('setRefreshFailure', () => {
    it("'500' answers server_error and keeps the refresh token usable", async () => {
      const { refresh_token } = await login()
      mock.setRefreshFailure('500')
      const res = await refresh(refresh_token!)
      expect(res.status).toBe(500)
      expect(await res.json()).toMatchObject({ error: 'server_error' })
      mock.setRefreshFailure(null)
      expect((await refresh(refresh_token!)).status).toBe(200)
    })

    it("'429' answers temporarily_unavailable with Retry-After: 30", async () => {
      const { refresh_token } = await login()
      mock.setRefreshFailure('429', 1)
      const res = await refresh(refresh_token!)
      expect(res.status).toBe(429)
      expect(res.headers.get('retry-after')).toBe('30')
      expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' })
      expect((await refresh(refresh_token!)).status).toBe(200)
    })

    it("'429' holds a client's retry for the 30 s it asks for (oauth2Refresh)", async () => {
      const { access_token, refresh_token } = await login()
      vi.useFakeTimers({ now: clock.now(), toFake: ['Date', 'setTimeout', 'clearTimeout'] })
      try {
        const auth = createAuthClient({
          refresh: oauth2Refresh({ tokenEndpoint: 'http://auth.test/auth/refresh', clientId: 'app' }),
          retry: { attempts: 4, baseDelay: 1_000, maxDelay: 1_000 },
        })
        auth.setTokens({ accessToken: access_token, refreshToken: refresh_token! })
        mock.setRefreshFailure('429', 1)
        await expect(auth.refresh()).rejects.toMatchObject({
          code: 'refresh_failed',
          status: 429,
          retryAfter: 30,
        })
        await vi.advanceTimersByTimeAsync(29_999)
        expect(mock.calls.refresh).toBe(1)
        // 30 s, then at most the 1 s of jitter.
        await vi.advanceTimersByTimeAsync(1_001)
        expect(mock.calls.refresh).toBe(2)
        expect(auth.getState()).toMatchObject({ status: 'authenticated', error: null })
        auth.destroy()
      } finally {
        vi.useRealTimers()
      }
    })

    it("'401' answers invalid_grant", async () => {
      mock.setRefreshFailure('401')
      const res = await refresh('anything')
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'invalid_grant' })
    })

    it("'network' makes fetch reject with a TypeError", async () => {
      mock.setRefreshFailure('network')
      await expect(refresh('anything')).rejects.toThrow(TypeError)
    })

    it("'hang' never answers until the request is aborted", async () => {
      mock.setRefreshFailure('hang')
      const started = Date.now()
      const res = fetch('http://auth.test/auth/refresh', {
        method: 'POST',
        body: '{}',
        signal: AbortSignal.timeout(50),
      })
      await expect(res).rejects.toThrow()
      expect(Date.now() - started).toBeGreaterThanOrEqual(40)
    })

    it('fails only the next `times` requests when given a count', async () => {
      const { refresh_token } = await login()
      mock.setRefreshFailure('500', 2)
      expect((await refresh(refresh_token!)).status).toBe(500)
      expect((await refresh(refresh_token!)).status).toBe(500)
      expect((await refresh(refresh_token!)).status).toBe(200)
      expect(mock.calls.refresh).toBe(3)
    })

    it('fails no request when the count is 0', async () => {
      const { refresh_token } = await login()
      mock.setRefreshFailure('500', 0)
      expect((await refresh(refresh_token!)).status).toBe(200)
    })
  })
})

describe('createMockAuthServer without a clock', () => {
  afterEach(() => vi.useRealTimers())

  it('reads Date.now when it issues, so fake timers installed after creating it apply', async () => {
    const own = createMockAuthServer({ baseUrl: 'http://clockless.test' })
    server.use(...own.handlers)
    vi.useFakeTimers({ now: Date.UTC(2031, 5, 1), toFake: ['Date'] })
    const res = await fetch('http://clockless.test/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
    })
    expect(res.status).toBe(200)
    expect(own.issued()[0]!.issuedAt).toBe(Date.UTC(2031, 5, 1))
  })
})
