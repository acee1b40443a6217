import type http from 'node:http'
import { createServer } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { type AuthClientOptions, createAuthClient, oauth2Refresh, type RefreshError } from '../src'
import { token } from './helpers'
import { closeAll, listen } from './support/http'

interface Hit {
  url: string
  headers: http.IncomingHttpHeaders
  form: URLSearchParams
}
type Answer = (hit: Hit, res: http.ServerResponse) => void
let answer: Answer = (_, res) => res.writeHead(500).end()
const hits: Hit[] = []
let server: http.Server | undefined
let origin = ''
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const hit = { url: req.url!, headers: req.headers, form: new URLSearchParams(body) }
      hits.push(hit)
      answer(hit, res)
    })
  })
  origin = await listen(server)
})
afterAll(() => closeAll(server))
const clients: Array<{ destroy(): void }> = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  hits.length = 0
  vi.restoreAllMocks()
})

const json =
  (status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): Answer =>
  (_, res) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))

function client(options: Partial<AuthClientOptions> = {}, rt = 'rt-SECRET-1') {
  const auth = createAuthClient({
    syncTabs: false,
    retry: { attempts: 1 },
    refresh: oauth2Refresh({ tokenEndpoint: `${origin}/token`, clientId: 'spa' }),
    ...options,
  })
  clients.push(auth)
  auth.setTokens({ accessToken: token(), refreshToken: rt })
  const seen: unknown[] = []
  auth.on('refreshError', (e) =>
    seen.push({ code: e.error.code, attempt: e.attempt, willRetry: e.willRetry }),
  )
  auth.on('logout', (e) => seen.push(e))
  auth.on('refresh', () => seen.push('refresh'))
  return { auth, seen }
}

describe('oauth2Refresh against identity providers as they answer', () => {
  it('Keycloak: rotates the refresh token and ignores refresh_expires_in, id_token and session_state', async () => {
    const at = token(300)
    answer = json(200, {
      access_token: at,
      expires_in: 300,
      refresh_expires_in: 1800,
      refresh_token: 'rt-2',
      token_type: 'Bearer',
      id_token: token(300),
      'not-before-policy': 0,
      session_state: 'abc',
      scope: 'openid profile',
    })
    const { auth, seen } = client()
    expect(await auth.refresh()).toBe(at)
    await auth.refresh()
    expect(hits.map((h) => h.form.get('refresh_token'))).toEqual(['rt-SECRET-1', 'rt-2'])
    expect(seen).toEqual(['refresh', 'refresh'])
  })

  it.each([
    [
      'Keycloak, refresh token expired',
      400,
      { error: 'invalid_grant', error_description: 'Token is not active' },
    ],
    ['Keycloak, SSO session ended', 400, { error: 'invalid_grant', error_description: 'Session not active' }],
    [
      'Auth0, reuse detected',
      403,
      { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' },
    ],
    [
      'Entra, AADSTS700082',
      400,
      {
        error: 'invalid_grant',
        error_description: 'AADSTS700082: The refresh token has expired due to inactivity.',
        error_codes: [700082],
      },
    ],
    [
      'Entra, invalid_client 401',
      401,
      { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' },
    ],
    ['Okta', 400, { error: 'invalid_grant', error_description: 'The refresh token is invalid or expired.' }],
  ])('%s: ends the session with refresh_rejected, once, and clears storage', async (_, status, body) => {
    answer = json(status, body)
    const { auth, seen } = client()
    const e = (await auth.refresh().catch((x) => x)) as RefreshError
    expect(e).toMatchObject({ code: 'refresh_rejected', status, permanent: true })
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', accessToken: null })
    expect(seen).toEqual([
      { code: 'refresh_rejected', attempt: 1, willRetry: false },
      { reason: 'refresh_rejected' },
    ])
    expect(hits).toHaveLength(1)
  })

  it('Auth0 429 with Retry-After: transient, tokens kept', async () => {
    answer = json(
      429,
      { error: 'too_many_requests', error_description: 'Global limit has been reached' },
      { 'retry-after': '30' },
    )
    const { auth, seen } = client({ retry: { attempts: 2, baseDelay: 10_000 } })
    const e = (await auth.refresh().catch((x) => x)) as RefreshError
    expect(e).toMatchObject({ code: 'refresh_failed', status: 429, permanent: false })
    expect(auth.getState().status).toBe('authenticated')
    expect(seen).toEqual([{ code: 'refresh_failed', attempt: 1, willRetry: true }])
  })

  it('GitHub: a 200 whose body says bad_refresh_token ends the session, not a retry loop', async () => {
    // GitHub's token endpoint answers refusals with 200 and an error body.
    answer = json(200, {
      error: 'bad_refresh_token',
      error_description: 'The refresh token passed is incorrect or expired.',
      error_uri:
        'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors',
    })
    const { auth, seen } = client({ retry: { attempts: 3, baseDelay: 10_000 } })
    const e = (await auth.refresh().catch((x) => x)) as RefreshError
    expect(e).toMatchObject({ code: 'refresh_rejected', status: 200, permanent: true })
    expect(e.cause).toMatchObject({ error: 'bad_refresh_token' })
    expect(auth.getState().status).toBe('unauthenticated')
    expect(seen).toEqual([
      { code: 'refresh_rejected', attempt: 1, willRetry: false },
      { reason: 'refresh_rejected' },
    ])
    expect(hits).toHaveLength(1)
  })

  it('Cognito: no refresh_token in the answer keeps the current one', async () => {
    answer = json(200, {
      access_token: token(3600),
      id_token: token(3600),
      expires_in: 3600,
      token_type: 'Bearer',
    })
    const { auth } = client()
    await auth.refresh()
    await auth.refresh()
    expect(hits.map((h) => h.form.get('refresh_token'))).toEqual(['rt-SECRET-1', 'rt-SECRET-1'])
  })

  it('Entra: expires_in as a string, ext_expires_in and expires_on ignored, for an opaque token', async () => {
    answer = json(200, {
      token_type: 'Bearer',
      scope: 'User.Read',
      expires_in: '3599',
      ext_expires_in: '3599',
      expires_on: '1700000000',
      access_token: 'EwBwA8l6BAAUbDba3x2OMJElkF7gJ4z',
      refresh_token: 'M.R3_BAY.-CXYZ!abc',
    })
    const { auth } = client()
    const before = Date.now()
    await auth.refresh()
    const { expiresAt } = auth.getState()
    expect(expiresAt! - before).toBeGreaterThanOrEqual(3_599_000)
    expect(expiresAt! - before).toBeLessThan(3_600_000)
  })

  it('a proxy HTML 502 page is transient', async () => {
    answer = (_, res) =>
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>')
    const { auth, seen } = client()
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_failed', status: 502 })
    expect(auth.getState().status).toBe('authenticated')
    expect(seen).toEqual([{ code: 'refresh_failed', attempt: 1, willRetry: false }])
  })

  it('charset in content-type and a BOM are fine', async () => {
    const at = token(300)
    answer = (_, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
        .end(`\uFEFF${JSON.stringify({ access_token: at, expires_in: 300 })}`)
    const { auth } = client()
    expect(await auth.refresh()).toBe(at)
  })

  it('an empty 204 is transient', async () => {
    answer = (_, res) => res.writeHead(204).end()
    const { auth } = client()
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_failed', status: 204 })
    expect(auth.getState().status).toBe('authenticated')
  })

  it('a body that stalls after the headers hits refreshTimeout', async () => {
    answer = (_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"access_token":')
    }
    const { auth, seen } = client({ refreshTimeout: 300 })
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_timeout' })
    expect(auth.getState().status).toBe('authenticated')
    expect(seen).toEqual([{ code: 'refresh_timeout', attempt: 1, willRetry: false }])
  })

  it('a 307 is not followed: transient, and the refresh token goes nowhere else', async () => {
    answer = (hit, res) =>
      hit.url === '/token'
        ? res.writeHead(307, { location: `${origin}/elsewhere` }).end()
        : json(200, {})(hit, res)
    const { auth } = client()
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_failed' })
    expect(hits.map((h) => h.url)).toEqual(['/token'])
  })

  it('a rotated refresh token is stored; a rejection removes the entry', async () => {
    const entries = new Map<string, string>()
    const storage = {
      get: (k: string) => entries.get(k) ?? null,
      set: (k: string, v: string) => void entries.set(k, v),
      remove: (k: string) => void entries.delete(k),
    }
    answer = json(200, { access_token: token(300), refresh_token: 'rt-2', expires_in: 300 })
    const { auth } = client({ storage })
    await auth.refresh()
    expect(JSON.parse(entries.get('latchkey')!).rt).toBe('rt-2')
    answer = json(400, { error: 'invalid_grant', error_description: 'Stale token' })
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_rejected' })
    expect(entries.size).toBe(0)
  })

  it('sends credentials and the signal to the fetch given, and a form body any server parses', async () => {
    answer = json(200, { access_token: token(300) })
    const inits: RequestInit[] = []
    const refresh = oauth2Refresh({
      tokenEndpoint: `${origin}/token`,
      clientId: 'spa',
      scope: 'openid offline_access',
      credentials: 'include',
      params: { audience: 'https://api.example.com/' },
      fetch: (input, init) => {
        inits.push(init!)
        return fetch(input, init)
      },
    })
    const signal = new AbortController().signal
    await refresh({ refreshToken: '1//0g+a/b=c&d', accessToken: null, signal })
    expect(inits[0]).toMatchObject({ method: 'POST', credentials: 'include', signal, redirect: 'error' })
    expect(hits[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(Object.fromEntries(hits[0]!.form)).toEqual({
      audience: 'https://api.example.com/',
      grant_type: 'refresh_token',
      client_id: 'spa',
      refresh_token: '1//0g+a/b=c&d',
      scope: 'openid offline_access',
    })
  })

  it('Supabase GoTrue through a custom refresh: JSON body, expires_at ignored, its 400 permanent', async () => {
    const gotrue = async ({ refreshToken, signal }: { refreshToken: string | null; signal: AbortSignal }) => {
      const res = await fetch(`${origin}/auth/v1/token?grant_type=refresh_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', apikey: 'anon' },
        body: JSON.stringify({ refresh_token: refreshToken }),
        signal,
      })
      const data = await res.json()
      if (!res.ok) throw Object.assign(new Error(data.msg), { status: res.status })
      return { accessToken: data.access_token, refreshToken: data.refresh_token, expiresIn: data.expires_in }
    }
    const at = token(3600)
    answer = json(200, {
      access_token: at,
      token_type: 'bearer',
      expires_in: 3600,
      expires_at: Math.floor(Date.now() / 1000) + 3600,
      refresh_token: 'v2nr4xyz',
      user: { id: 'u1' },
    })
    const { auth, seen } = client({ refresh: gotrue })
    expect(await auth.refresh()).toBe(at)
    answer = json(400, {
      code: 400,
      error_code: 'refresh_token_already_used',
      msg: 'Invalid Refresh Token: Already Used',
    })
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_rejected', status: 400 })
    expect(hits.map((h) => [h.url, h.headers['content-type']])).toEqual([
      ['/auth/v1/token?grant_type=refresh_token', 'application/json'],
      ['/auth/v1/token?grant_type=refresh_token', 'application/json'],
    ])
    expect(seen.at(-1)).toEqual({ reason: 'refresh_rejected' })
  })

  it('no token in error messages, events or logs', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    for (const a of [
      json(400, { error: 'invalid_grant' }),
      (_: Hit, res: http.ServerResponse) => res.writeHead(200).end('{"access_token":"at-SECRET-2"'),
      json(200, { access_token: 'at-SECRET-2.x' }),
      json(200, { access_token: 'at-SECRET-2' }),
    ]) {
      answer = a
      const { auth } = client()
      const events: unknown[] = []
      auth.on('refreshError', (e) => events.push(e))
      auth.on('error', (e) => events.push(e))
      const e = await auth.refresh().catch((x) => x)
      const printed = `${e.message} ${String(e.cause?.message)} ${JSON.stringify(events)} ${JSON.stringify(e)} ${log.mock.calls} ${warn.mock.calls}`
      expect(printed).not.toMatch(/SECRET/)
    }
  })
})
