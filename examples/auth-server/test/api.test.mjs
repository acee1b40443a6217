import { describe, expect, it } from 'vitest'
import { claimsOf, start } from './helpers.mjs'

describe('/api/*', () => {
  it('returns the claims from /api/me to a valid token', async () => {
    const { get, login } = await start()
    const { access_token } = await login('bob', 'builder')
    const res = await get('/api/me', access_token)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ sub: 'bob', roles: ['user'] })
  })

  it('returns data with the server time', async () => {
    const now = Date.UTC(2030, 0, 1)
    const { get, login } = await start({ now: () => now })
    const res = await get('/api/data', (await login()).access_token)
    expect(await res.json()).toMatchObject({ serverTime: '2030-01-01T00:00:00.000Z', user: 'alice' })
  })

  it('answers 401 with a bare Bearer challenge when there is no token', async () => {
    const { get, server } = await start()
    const res = await get('/api/me')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(server.stats).toMatchObject({ apiCalls: 1, api401: 1 })
  })

  it('answers 401 invalid_token to a forged token', async () => {
    const { get, login } = await start()
    const [h, p] = (await login()).access_token.split('.')
    const res = await get('/api/me', `${h}.${p}.AAAA`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
  })

  it('rejects an expired token, on the injected clock', async () => {
    let now = Date.now()
    const { get, login } = await start({ accessTtl: 5, now: () => now })
    const { access_token } = await login()
    now += 4_000
    expect((await get('/api/me', access_token)).status).toBe(200)
    now += 1_000
    const res = await get('/api/me', access_token)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
  })

  it('forbids /api/admin without the admin role', async () => {
    const { get, login } = await start()
    const bob = await get('/api/admin', (await login('bob', 'builder')).access_token)
    expect(bob.status).toBe(403)
    expect(await bob.json()).toEqual({ error: 'forbidden' })
    expect((await get('/api/admin', (await login()).access_token)).status).toBe(200)
  })

  it('verifies HS256 tokens too', async () => {
    const { get, login } = await start({ alg: 'HS256', secret: 'a-test-secret-of-enough-length!!' })
    expect((await get('/api/me', (await login()).access_token)).status).toBe(200)
  })
})

describe('GET /.well-known/jwks.json', () => {
  it('publishes the RS256 public key', async () => {
    const { get } = await start()
    const { keys } = await (await get('/.well-known/jwks.json')).json()
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) })
    expect(keys[0]).not.toHaveProperty('d')
  })

  it('is empty for HS256', async () => {
    const { get } = await start({ alg: 'HS256' })
    expect(await (await get('/.well-known/jwks.json')).json()).toEqual({ keys: [] })
  })
})

describe('CORS', () => {
  const app = 'http://127.0.0.1:5173'

  it('reflects the configured origin with credentials', async () => {
    const { get } = await start({ corsOrigin: app })
    const res = await get('/api/me', undefined, { origin: app })
    expect(res.headers.get('access-control-allow-origin')).toBe(app)
    expect(res.headers.get('access-control-allow-credentials')).toBe('true')
  })

  it('answers the preflight with 204 and the allowed headers', async () => {
    const { url } = await start({ corsOrigin: app })
    const res = await fetch(`${url}/auth/refresh`, {
      method: 'OPTIONS',
      headers: { origin: app, 'access-control-request-method': 'POST' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-headers')).toBe(
      'Authorization, Content-Type, X-Refresh-Mode',
    )
  })

  it('gives another origin no CORS headers', async () => {
    const { get } = await start({ corsOrigin: app })
    const res = await get('/api/me', undefined, { origin: 'http://evil.test' })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()
  })
})

describe('stats and logging', () => {
  it('serves and resets the counters (test-only routes)', async () => {
    const { get, login, post } = await start()
    await login()
    expect(await (await get('/__stats')).json()).toMatchObject({ logins: 1 })
    await post('/__reset', {})
    expect(await (await get('/__stats')).json()).toEqual({
      logins: 0,
      refreshes: 0,
      refreshReuseDetected: 0,
      graceReplays: 0,
      apiCalls: 0,
      api401: 0,
    })
  })

  it('logs one line per request without tokens or passwords', async () => {
    /** @type {string[]} */
    const lines = []
    const { login, refresh } = await start({ quiet: false, log: (line) => lines.push(line) })
    const { refresh_token } = await login()
    await refresh(refresh_token)
    await fetch(`${(await start()).url}/nothing`)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/^POST \/auth\/login 200 \d+ms$/)
    expect(lines.join('\n')).not.toContain('wonderland')
    expect(lines.join('\n')).not.toContain(refresh_token)
  })

  it('answers 404 and 405 as JSON', async () => {
    const { get, post } = await start()
    expect((await get('/nope')).status).toBe(404)
    const res = await post('/api/me', {})
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET')
  })
})

describe('POST /__config (test-only)', () => {
  it('changes the access token lifetime and the grace window for the requests that follow', async () => {
    const { login, post, refresh, server } = await start({ accessTtl: 30, grace: 5 })
    const res = await post('/__config', { accessTtl: 5, grace: 0 })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ accessTtl: 5, grace: 0, refreshDelay: 0 })
    const first = await login()
    expect(first.expires_in).toBe(5)
    expect(claimsOf(first.access_token).exp - claimsOf(first.access_token).iat).toBe(5)
    expect((await refresh(first.refresh_token)).status).toBe(200)
    // No grace window left: the second use is a detected reuse, not a replay.
    expect((await refresh(first.refresh_token)).status).toBe(401)
    expect(server.stats).toMatchObject({ refreshes: 1, graceReplays: 0, refreshReuseDetected: 1 })
  })

  it('delays a refresh answer after the token was spent (refreshDelay)', async () => {
    const { login, post, refresh, server } = await start({ grace: 5 })
    await post('/__config', { refreshDelay: 150 })
    const { refresh_token } = await login()
    const started = performance.now()
    const pending = refresh(refresh_token)
    await expect.poll(() => server.stats.refreshes).toBe(1)
    expect(performance.now() - started).toBeLessThan(150)
    const replay = await refresh(refresh_token)
    const first = await pending
    expect(performance.now() - started).toBeGreaterThanOrEqual(145)
    expect(await replay.json()).toEqual(await first.json())
    expect(server.stats).toMatchObject({ refreshes: 1, graceReplays: 1 })
  })

  it('rejects unknown settings and bad values, changing nothing', async () => {
    const { post } = await start({ accessTtl: 30 })
    for (const body of [
      { accessTtl: 0 },
      { grace: -1 },
      { refreshDelay: 'slow' },
      { accessTtl: 5, ttl: 5 },
    ]) {
      const res = await post('/__config', body)
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ error: 'invalid_request' })
    }
    expect(await (await post('/__config', {})).json()).toEqual({ accessTtl: 30, grace: 5, refreshDelay: 0 })
  })
})
