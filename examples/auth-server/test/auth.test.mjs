import { describe, expect, it } from 'vitest'
import { claimsOf, start } from './helpers.mjs'

/** @typedef {import('./helpers.mjs').TokenBody} TokenBody */

describe('POST /auth/login', () => {
  it('answers a token set with the user claims', async () => {
    const { login, server } = await start({ accessTtl: 30 })
    const body = await login()
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 30, refresh_token: expect.any(String) })
    const claims = claimsOf(body.access_token)
    expect(claims).toMatchObject({
      sub: 'alice',
      name: 'Alice',
      email: 'alice@example.com',
      roles: ['user', 'admin'],
      iss: 'latchkey-example-auth-server',
      aud: 'latchkey-example-app',
      jti: expect.any(String),
    })
    expect(claims.exp - claims.iat).toBe(30)
    expect(server.stats.logins).toBe(1)
  })

  it('answers 401 invalid_credentials to a wrong password', async () => {
    const { post, server } = await start()
    const res = await post('/auth/login', { username: 'alice', password: 'nope' })
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({
      error: 'invalid_credentials',
      error_description: expect.any(String),
    })
    expect(server.stats.logins).toBe(0)
  })

  it('answers 400 to a body that is not JSON', async () => {
    const { url } = await start()
    const res = await fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    })
    expect(res.status).toBe(400)
  })
})

describe('POST /auth/refresh', () => {
  it('rotates: a new refresh token each time', async () => {
    const { login, refresh, server } = await start({ grace: 0 })
    const first = await login()
    const res = await refresh(first.refresh_token)
    expect(res.status).toBe(200)
    const second = /** @type {TokenBody} */ (await res.json())
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect(second.access_token).not.toBe(first.access_token)
    expect((await refresh(second.refresh_token)).status).toBe(200)
    expect(server.stats.refreshes).toBe(2)
  })

  it('accepts the RFC 6749 form-encoded grant on /oauth/token', async () => {
    const { login, url } = await start()
    const { refresh_token } = await login()
    const res = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token }),
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
    })
  })

  it('rejects another grant type', async () => {
    const { url } = await start()
    const res = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', username: 'alice' }),
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'unsupported_grant_type' })
  })

  it('revokes the whole family when a spent refresh token is reused', async () => {
    let now = Date.now()
    const { login, refresh, server } = await start({ grace: 5, now: () => now })
    const first = await login()
    const second = /** @type {TokenBody} */ (await (await refresh(first.refresh_token)).json())
    now += 6_000
    const reuse = await refresh(first.refresh_token)
    expect(reuse.status).toBe(401)
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' })
    expect((await refresh(second.refresh_token)).status).toBe(401)
    expect(server.stats.refreshReuseDetected).toBe(1)
  })

  it('replays the same token set for a rotated token presented within the grace window', async () => {
    let now = Date.now()
    const { login, refresh, server } = await start({ grace: 5, now: () => now })
    const first = await login()
    const second = await (await refresh(first.refresh_token)).json()
    now += 4_000
    const replay = await refresh(first.refresh_token)
    expect(replay.status).toBe(200)
    expect(await replay.json()).toEqual(second)
    expect((await refresh(second.refresh_token)).status).toBe(200)
    expect(server.stats).toMatchObject({ refreshes: 2, graceReplays: 1, refreshReuseDetected: 0 })
  })

  it('gives two concurrent refreshes with one token the same set', async () => {
    const { login, refresh } = await start()
    const { refresh_token } = await login()
    const [a, b] = await Promise.all([refresh(refresh_token), refresh(refresh_token)])
    expect(await a.json()).toEqual(await b.json())
  })

  it('answers invalid_grant to an unknown token', async () => {
    const { refresh } = await start()
    const res = await refresh('not-a-token')
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' })
  })
})

describe('cookie mode', () => {
  it('sets the refresh token as an HttpOnly SameSite=Strict cookie and leaves it out of the body', async () => {
    const { post } = await start()
    const res = await post('/auth/login?mode=cookie', { username: 'bob', password: 'builder' })
    expect(res.status).toBe(200)
    const cookie = res.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^lk_refresh=[\w-]+;/)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    expect(cookie).toContain('Path=/auth')
    expect(cookie).not.toContain('Secure')
    expect(await res.json()).not.toHaveProperty('refresh_token')
  })

  it('marks the cookie Secure behind an https proxy', async () => {
    const { post } = await start()
    const res = await post(
      '/auth/login',
      { username: 'bob', password: 'builder' },
      {
        'x-refresh-mode': 'cookie',
        'x-forwarded-proto': 'https',
      },
    )
    expect(res.headers.get('set-cookie')).toContain('; Secure')
  })

  it('refreshes from the cookie and logs out by clearing it', async () => {
    const { post } = await start({ cookieMode: true })
    const login = await post('/auth/login', { username: 'bob', password: 'builder' })
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    const refreshed = await post('/auth/refresh', {}, { cookie })
    expect(refreshed.status).toBe(200)
    const next = (refreshed.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    expect(next).not.toBe(cookie)

    const logout = await post('/auth/logout', {}, { cookie: next })
    expect(logout.status).toBe(204)
    expect(logout.headers.get('set-cookie')).toMatch(/^lk_refresh=; Max-Age=0/)
    expect((await post('/auth/refresh', {}, { cookie: next })).status).toBe(401)
  })
})

describe('POST /auth/logout', () => {
  it('revokes the family of the refresh token in the body', async () => {
    const { login, post, refresh } = await start()
    const { refresh_token } = await login()
    expect((await post('/auth/logout', { refresh_token })).status).toBe(204)
    expect((await refresh(refresh_token)).status).toBe(401)
  })
})
