// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://app.example.com/"}
import { format, inspect } from 'node:util'
import { createTestToken } from '@latchkey/testing'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type AuthClient,
  type AuthClientOptions,
  createAuthClient,
  createAuthFetch,
  oauth2Refresh,
  type TokenSet,
} from '../src'
import { clearCookies } from './support/browser'

/**
 * Runs representative flows with recognisable secrets and collects everything latchkey says: every
 * error thrown or rejected (message, stack, `cause` chain, inspected and JSON forms), every event
 * payload and snapshot, every console line and process warning. None may contain an access token (or
 * its payload or signature segment), a refresh token or the marker claim. Snapshots are the exception
 * the contract makes: `accessToken` and `claims` hold the token and its claims by design, so those two
 * fields are checked for refresh tokens only. The apps' own errors here carry no token, so anything
 * found is latchkey's doing.
 */

const MARKER = 'zq-MARKER-7f3a9c1e'
const API = 'https://api.example.com'
const TOKEN_ENDPOINT = 'https://id.example.com/oauth/token'

const accessTokens = new Set<string>()
const refreshTokens = new Set<string>()
let n = 0

/** A signed access token carrying the marker (so its signature segment is unique too). */
function accessToken(ttl = 300, iat?: number): string {
  const options =
    iat === undefined ? { expiresIn: ttl, secret: 'k' } : { expiresIn: ttl, issuedAt: iat, secret: 'k' }
  const t = createTestToken({ sub: 'alice', marker: MARKER, n: ++n }, options)
  accessTokens.add(t)
  return t
}
function refreshToken(): string {
  const t = `rt-SECRET-${++n}-${Math.random().toString(36).slice(2)}`
  refreshTokens.add(t)
  return t
}
const issue = (ttl = 300): { accessToken: string; refreshToken: string } => ({
  accessToken: accessToken(ttl),
  refreshToken: refreshToken(),
})

/** Secrets, and the scope of text they may not appear in. */
function secrets(scope: 'all' | 'refresh'): string[] {
  const list = [...refreshTokens]
  if (scope === 'refresh') return list
  for (const t of accessTokens) list.push(t, t.split('.')[1]!, t.split('.')[2]!)
  return [...list, MARKER]
}

// ---- collecting ---------------------------------------------------------------------------------

interface Seen {
  where: string
  text: string
  scope: 'all' | 'refresh'
}
const seen: Seen[] = []
const unhandled: unknown[] = []
const record = (where: string, text: unknown, scope: Seen['scope'] = 'all'): void => {
  seen.push({ where, text: String(text), scope })
}
const safely = (read: () => unknown): unknown => {
  try {
    return read()
  } catch (error) {
    return `<reading threw ${String(error)}>`
  }
}

/** Every form of an error and its cause chain: message, stack, name, code, inspected, JSON. */
function recordError(where: string, error: unknown, depth = 0): void {
  if (depth > 8) return
  if (typeof error !== 'object' || error === null)
    return record(
      where,
      safely(() => String(error)),
    )
  const e = error as { message?: unknown; stack?: unknown; name?: unknown; code?: unknown; cause?: unknown }
  record(
    `${where}.message`,
    safely(() => e.message),
  )
  record(
    `${where}.stack`,
    safely(() => e.stack),
  )
  record(
    `${where}.name/code`,
    safely(() => `${String(e.name)} ${String(e.code)}`),
  )
  record(
    `${where} inspected`,
    safely(() => inspect(error, { depth: 10, showHidden: true })),
  )
  record(
    `${where} JSON`,
    safely(() => JSON.stringify(error)),
  )
  if ('cause' in e)
    recordError(
      `${where}.cause`,
      safely(() => e.cause),
      depth + 1,
    )
}

const isState = (v: unknown): v is { accessToken: unknown; claims: unknown; error: unknown } =>
  typeof v === 'object' && v !== null && 'status' in v && 'accessToken' in v

function recordPayload(where: string, payload: unknown): void {
  if (isState(payload)) {
    const { accessToken: _, claims: __, ...rest } = payload
    record(`${where} JSON`, JSON.stringify(rest))
    record(`${where} JSON with accessToken and claims`, JSON.stringify(payload), 'refresh')
    if (payload.error) recordError(`${where} state.error`, payload.error)
    return
  }
  record(
    `${where} JSON`,
    safely(() => JSON.stringify(payload)),
  )
  record(`${where} inspected`, inspect(payload, { depth: 10, showHidden: true }))
  const error = (payload as { error?: unknown })?.error ?? payload
  if (typeof error === 'object' && error !== null && 'code' in error) recordError(`${where} error`, error)
}

const EVENTS = ['login', 'refresh', 'refreshError', 'expired', 'logout', 'change', 'error'] as const
const clients: AuthClient[] = []

/** A client whose every event, snapshot and subscription is collected. */
function watched(name: string, options: AuthClientOptions = {}): AuthClient {
  const auth = createAuthClient(options)
  clients.push(auth)
  for (const type of EVENTS) auth.on(type, (payload: unknown) => recordPayload(`${name} ${type}`, payload))
  auth.subscribe((state) => recordPayload(`${name} subscribe`, state))
  recordPayload(`${name} initial state`, auth.getState())
  return auth
}

/** Awaits `work`, records what it rejects with, and returns that error's code (or 'ok'). */
async function caught(where: string, work: () => unknown): Promise<string> {
  try {
    await work()
    return 'ok'
  } catch (error) {
    recordError(where, error)
    return String((error as { code?: unknown })?.code ?? (error as Error)?.name)
  }
}

/** The texts that carry a secret, with the kind of secret (the secret itself stays out of the report). */
function leaks(texts: Seen[] = seen): string[] {
  const all = secrets('all')
  const refresh = new Set(secrets('refresh'))
  const kind = (s: string) =>
    refresh.has(s) ? 'a refresh token' : s === MARKER ? 'the marker claim' : 'an access token (or segment)'
  return texts.flatMap(({ where, text, scope }) =>
    (scope === 'all' ? all : [...refresh]).filter((s) => text.includes(s)).map((s) => `${where}: ${kind(s)}`),
  )
}

// ---- the servers ----------------------------------------------------------------------------------

/** Access tokens the API accepts. */
const valid = new Set<string>()
/** How the token endpoint answers the next refresh grant. */
let tokenEndpoint: (form: URLSearchParams) => Response | Promise<Response> = () =>
  HttpResponse.json({ error: 'server_error' }, { status: 500 })

const server = setupServer(
  http.post(TOKEN_ENDPOINT, async ({ request }) => tokenEndpoint(new URLSearchParams(await request.text()))),
  http.all(`${API}/*`, ({ request }) => {
    const bearer = request.headers.get('authorization')?.replace(/^Bearer /, '')
    return bearer && valid.has(bearer)
      ? HttpResponse.json({ ok: true })
      : HttpResponse.json({ error: 'invalid_token' }, { status: 401 })
  }),
)

const onUnhandled = (reason: unknown) => {
  unhandled.push(reason)
  recordError('unhandled rejection', reason)
}
beforeAll(() => {
  server.listen({ onUnhandledRequest: 'error' })
  process.on('unhandledRejection', onUnhandled)
})
afterAll(() => {
  server.close()
  process.off('unhandledRejection', onUnhandled)
})

let mark = 0
beforeEach(() => {
  mark = seen.length
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) =>
      record(`console.${method}`, format(...args)),
    )
  }
  vi.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) =>
    recordError('process warning', warning),
  )
  localStorage.clear()
  clearCookies()
})
afterEach(async () => {
  for (const c of clients.splice(0)) {
    recordPayload('final state', c.getState())
    c.destroy()
  }
  await new Promise((resolve) => setTimeout(resolve, 20))
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
  valid.clear()
  // Each test's own texts: a leak fails the test that caused it.
  expect(leaks(seen.slice(mark))).toEqual([])
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const httpError = (status: number, message = `HTTP ${status}`) =>
  Object.assign(new Error(message), { status })

// ---- the flows -------------------------------------------------------------------------------------

describe('no token in any message', () => {
  it('login, refresh, fetch and logout that succeed', async () => {
    const auth = watched('happy', {
      login: async () => issue(),
      refresh: async () => {
        const tokens = issue()
        valid.add(tokens.accessToken)
        return tokens
      },
      logout: async () => {},
    })
    expect(await caught('login', () => auth.login({ user: 'alice' }))).toBe('ok')
    expect(await caught('refresh', () => auth.refresh())).toBe('ok')
    const api = createAuthFetch(auth, { origins: [API] })
    expect((await api(`${API}/me`)).status).toBe(200)
    expect(await caught('getAccessToken', () => auth.getAccessToken({ minValidity: 1_000 }))).toBe('ok')
    expect(await caught('logout', () => auth.logout())).toBe('ok')
  })

  it('login failures: the login function throws, returns malformed or smuggled tokens', async () => {
    const at = accessToken()
    const rt = refreshToken()
    const results = [
      async () => {
        throw httpError(401, 'invalid credentials')
      },
      async () => ({ accessToken: `${at}.${rt}` }),
      async () => ({ accessToken: `Bearer ${at}` }),
      async () => ({ accessToken: `${at}\r\nX-Refresh: ${rt}` }),
      async () => ({ accessToken: rt }),
      async () => ({ accessToken: at, refreshToken: '' }),
      async () => ({ accessToken: at, refreshToken: { rt } }),
      async () => ({ accessToken: 'opaque-access', expiresIn: rt }),
      async () => at,
    ]
    const codes = []
    for (const [i, login] of results.entries()) {
      const auth = watched(`login ${i}`, { login: login as never })
      codes.push(await caught(`login ${i}`, () => auth.login({})))
    }
    expect(codes).toEqual(['login_failed', ...Array(8).fill('invalid_token')])
  })

  it('setTokens with malformed tokens that embed secrets', async () => {
    const auth = watched('setTokens')
    const at = accessToken()
    const rt = refreshToken()
    for (const tokens of [
      { accessToken: `${at}.${MARKER}` },
      { accessToken: `${at} ${rt}` },
      { accessToken: `${rt}.${rt}` },
      { accessToken: at, refreshToken: 42 },
      { accessToken: rt, expiresIn: Number.NaN },
      { accessToken: at.replace(/\.[^.]+$/, '') },
    ]) {
      expect(await caught('setTokens', () => auth.setTokens(tokens as TokenSet))).toBe('invalid_token')
    }
  })

  it('refresh failures of every kind, with retries, the online retry and expiry', async () => {
    const failures: Array<[string, () => unknown, string]> = [
      ['500', () => Promise.reject(httpError(500)), 'refresh_failed'],
      ['429', () => Promise.reject(httpError(429)), 'refresh_failed'],
      ['network', () => Promise.reject(new TypeError('fetch failed')), 'refresh_failed'],
      ['timeout', () => new Promise(() => {}), 'refresh_timeout'],
      ['401', () => Promise.reject(httpError(401)), 'refresh_rejected'],
      ['invalid_grant', () => Promise.reject({ error: 'invalid_grant' }), 'refresh_rejected'],
      ['a thrown string', () => Promise.reject('nope'), 'refresh_failed'],
      [
        'a token embedding the refresh token',
        async () => ({ accessToken: `${accessToken()}.${refreshToken()}` }),
        'refresh_rejected',
      ],
      [
        'the refresh token as the access token',
        async () => ({ accessToken: refreshToken() }),
        'refresh_rejected',
      ],
      ['a bare access token string', async () => accessToken(), 'refresh_rejected'],
      ['an expired token', async () => ({ accessToken: accessToken(-10) }), 'refresh_rejected'],
      [
        'an empty refresh token',
        async () => ({ accessToken: accessToken(), refreshToken: '' }),
        'refresh_rejected',
      ],
      [
        'a refresh token object',
        async () => ({ accessToken: accessToken(), refreshToken: { t: refreshToken() } }),
        'refresh_rejected',
      ],
    ]
    const codes: string[] = []
    for (const [name, fail] of failures) {
      const auth = watched(`refresh ${name}`, {
        refresh: fail as never,
        refreshTimeout: 20,
        retry: { attempts: 2, baseDelay: 1, maxDelay: 1 },
      })
      auth.setTokens(issue())
      codes.push(await caught(`refresh ${name}`, () => auth.refresh()))
      await sleep(30)
      // Out of retries: the next `online` tries once more.
      window.dispatchEvent(new Event('online'))
      await sleep(30)
      expect(await caught(`getAccessToken ${name}`, () => auth.getAccessToken())).toBe('ok')
    }
    expect(codes).toEqual(failures.map(([, , code]) => code))

    // A token set already expired, with refresh failing: the `expired` event carries the state.
    const expiring = watched('expired', {
      refresh: () => Promise.reject(httpError(503)),
      retry: { attempts: 1 },
    })
    expiring.setTokens({
      accessToken: accessToken(-10, Math.floor(Date.now() / 1000) - 60),
      refreshToken: refreshToken(),
    })
    await sleep(10)
    expect(expiring.getState().status).toBe('expired')

    // No refresh function, or nothing to refresh with.
    const none = watched('no refresh')
    none.setTokens(issue())
    expect(await caught('no_refresh', () => none.refresh())).toBe('no_refresh')
  })

  it('oauth2Refresh against a token endpoint that rotates, rejects, errs and answers garbage', async () => {
    const answers: Array<[string, (form: URLSearchParams) => Response, string]> = [
      [
        'rotation',
        () =>
          HttpResponse.json({ access_token: accessToken(), refresh_token: refreshToken(), expires_in: 300 }),
        'ok',
      ],
      [
        'invalid_grant',
        () =>
          HttpResponse.json({ error: 'invalid_grant', error_description: 'token revoked' }, { status: 400 }),
        'refresh_rejected',
      ],
      ['an HTML 502', () => new HttpResponse('<html>Bad gateway</html>', { status: 502 }), 'refresh_failed'],
      [
        'a form-encoded 200',
        () =>
          new HttpResponse(`access_token=${accessToken()}&refresh_token=${refreshToken()}&token_type=bearer`),
        'refresh_failed',
      ],
      ['a bare JWT as text', () => new HttpResponse(accessToken()), 'refresh_failed'],
      [
        'a malformed access_token',
        () => HttpResponse.json({ access_token: `${accessToken()}.x` }),
        'refresh_rejected',
      ],
    ]
    for (const [name, answer, expected] of answers) {
      tokenEndpoint = answer
      const auth = watched(`oauth2 ${name}`, {
        refresh: oauth2Refresh({ tokenEndpoint: TOKEN_ENDPOINT, clientId: 'spa' }),
        retry: { attempts: 1 },
      })
      auth.setTokens(issue())
      expect(await caught(`oauth2 ${name}`, () => auth.refresh())).toBe(expected)
    }
  })

  it('storage that fails: quota errors, a storage that throws, disabled cookies, a cookie too large', async () => {
    const quota = watched('quota', { storage: 'localStorage', storageKey: 'quota' })
    vi.stubGlobal('localStorage', {
      getItem: () => null,
      removeItem: () => {},
      setItem() {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
      },
    })
    quota.setTokens(issue())
    vi.unstubAllGlobals()

    vi.stubGlobal('sessionStorage', {
      getItem() {
        throw new DOMException('denied', 'SecurityError')
      },
    })
    watched('throwing', { storage: 'sessionStorage' }).setTokens(issue())
    vi.unstubAllGlobals()

    const big = watched('cookie too large', { storage: 'cookie', storageKey: 'big' })
    big.setTokens({ accessToken: accessToken(), refreshToken: refreshToken() })
    const large = createTestToken({ marker: MARKER, blob: 'x'.repeat(5_000) }, { secret: 'k' })
    accessTokens.add(large)
    big.setTokens({ accessToken: large, refreshToken: refreshToken() })
    expect(big.getState().error?.code).toBe('storage_unavailable')

    vi.spyOn(document, 'cookie', 'set').mockImplementation(() => {})
    watched('cookies disabled', { storage: 'cookie', storageKey: 'off' }).setTokens(issue())
    await sleep(5)
    expect(seen.slice(mark).some((s) => s.text.includes('storage_unavailable'))).toBe(true)
  })

  it('stored data that is corrupt at start-up or tampered with later', async () => {
    const good = watched('writer', { storage: 'localStorage', storageKey: 'entry', syncTabs: false })
    good.setTokens(issue())
    const raw = localStorage.getItem('entry')!
    good.destroy()
    const corrupt = [
      raw.slice(0, -25),
      raw.replace('"v":1', '"v":2'),
      raw.replace(/"rt":"/, '"rt":'),
      raw.replace(/"sk":[^,}]+/, '"sk":"x"'),
      `${raw}garbage`,
      JSON.stringify({ v: 1, at: `${accessToken()}.extra`, rt: refreshToken(), sk: 0, g: 1 }),
    ]
    for (const [i, value] of corrupt.entries()) {
      localStorage.setItem(`bad${i}`, value)
      const auth = watched(`corrupt ${i}`, { storage: 'localStorage', storageKey: `bad${i}` })
      await sleep(1)
      expect(auth.getState().error?.code).toBe('storage_corrupt')
    }
    // Garbage written by another script while a session is held.
    const held = watched('tampered', { storage: 'localStorage', storageKey: 'live' })
    held.setTokens(issue())
    for (const value of ['garbage', raw.slice(0, 40), `{"v":1,"at":"${accessToken()}","rt":7}`]) {
      localStorage.setItem('live', value)
      window.dispatchEvent(
        new StorageEvent('storage', { key: 'live', newValue: value, storageArea: localStorage }),
      )
    }
    expect(held.getState().error?.code).toBe('storage_corrupt')
  })

  it('another tab logs in, refreshes and logs out', async () => {
    const a = watched('tab a', { storage: 'localStorage', storageKey: 'tabs', refresh: async () => issue() })
    const b = watched('tab b', { storage: 'localStorage', storageKey: 'tabs', refresh: async () => issue() })
    a.setTokens(issue())
    await sleep(10)
    await caught('tab a refresh', () => a.refresh())
    await sleep(100)
    await a.logout()
    await sleep(10)
    expect(b.getState().status).toBe('unauthenticated')
  })

  it('401 replays through createAuthFetch: success, permanent and transient failure, a second 401', async () => {
    const statuses: number[] = []
    for (const [name, refresh] of [
      [
        'replayed',
        async () => {
          const t = issue()
          valid.add(t.accessToken)
          return t
        },
      ],
      ['rejected', async () => Promise.reject(httpError(401))],
      ['failing', async () => Promise.reject(httpError(503))],
      ['still 401', async () => issue()],
    ] as const) {
      const auth = watched(`401 ${name}`, { refresh, retry: { attempts: 1 } })
      auth.setTokens(issue())
      const api = createAuthFetch(auth, { origins: [API] })
      const responses = await Promise.all(
        [1, 2, 3].map((i) => api(`${API}/r${i}`, { method: 'POST', body: 'x' })),
      )
      statuses.push(...responses.map((r) => r.status))
      for (const r of responses) record(`401 ${name} body`, await r.text())
    }
    expect(statuses).toEqual([200, 200, 200, 401, 401, 401, 401, 401, 401, 401, 401, 401])
  })

  it('a failed server-side logout, a throwing listener, destroy(), and the createAuthFetch warning', async () => {
    const auth = watched('lifecycle', {
      login: async () => issue(),
      refresh: async () => issue(),
      logout: async () => {
        throw httpError(500, 'revocation endpoint down')
      },
    })
    auth.on('login', () => {
      throw new Error('a listener bug')
    })
    await caught('login', () => auth.login({}))
    await auth.logout()
    await sleep(5)
    expect(auth.getState().error?.code).toBe('logout_failed')
    await caught('login again', () => auth.login({}))
    auth.destroy()
    const after = [
      await caught('setTokens after destroy', () => auth.setTokens(issue())),
      await caught('refresh after destroy', () => auth.refresh()),
      await caught('getAccessToken after destroy', () => auth.getAccessToken()),
      await caught('login after destroy', () => auth.login({})),
    ]
    expect(after).toEqual(['destroyed', 'destroyed', 'destroyed', 'destroyed'])

    // Outside a page (no location), the default origin rule warns once and attaches nothing.
    vi.stubGlobal('location', undefined)
    const bare = watched('no page', { refresh: async () => issue() })
    bare.setTokens(issue())
    await createAuthFetch(bare)(`${API}/x`)
    expect(seen.slice(mark).some((s) => s.where === 'console.warn')).toBe(true)
  })

  it('refreshWithoutToken restores a cookie-held session, then fails', async () => {
    let ok = true
    const auth = watched('cookie session', {
      refreshWithoutToken: true,
      refresh: async () => (ok ? { accessToken: accessToken() } : Promise.reject(httpError(401))),
    })
    expect(await caught('restore', () => auth.refresh())).toBe('ok')
    ok = false
    expect(await caught('restore fails', () => auth.refresh())).toBe('refresh_rejected')
  })

  // A storage_corrupt error carries no JSON.parse message, which would quote the stored text.
  it('storage_corrupt does not quote a refresh token stored bare under the key', async () => {
    const legacy = ['k8f3d92jfa0s7c1m', 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6']
    for (const [i, rt] of legacy.entries()) {
      localStorage.setItem(`legacy${i}`, rt)
      const auth = createAuthClient({ storage: 'localStorage', storageKey: `legacy${i}` })
      clients.push(auth)
      const error = auth.getState().error
      expect(error?.code).toBe('storage_corrupt')
      const chain = inspect(error, { depth: 10 })
      // Not the token, and no run of 10 of its characters.
      for (let at = 0; at + 10 <= rt.length; at++) expect(chain).not.toContain(rt.slice(at, at + 10))
    }
  })

  it(`collected every message, payload and console line, and none holds a token`, () => {
    const byKind = (prefix: RegExp) => seen.filter((s) => prefix.test(s.where)).length
    const events = Object.fromEntries(
      [...EVENTS, 'subscribe'].map((type) => [type, byKind(new RegExp(` ${type} JSON$`))]),
    )
    const figures = {
      texts: seen.length,
      errors: byKind(/message$/),
      events,
      console: byKind(/^console\./),
      accessTokens: accessTokens.size,
      refreshTokens: refreshTokens.size,
    }
    process.stdout.write(`[secrecy] ${JSON.stringify(figures)}\n`)
    expect(figures.errors).toBeGreaterThan(100)
    // Every kind of event was produced, and checked.
    for (const count of Object.values(events)) expect(count).toBeGreaterThan(0)
    expect(figures.console).toBeGreaterThan(0)
    expect(unhandled).toEqual([])
    expect(leaks()).toEqual([])
  })

  it('the detector is not vacuous: it sees the tokens where the contract allows them, and finds a planted one', () => {
    const allowed = seen.filter((s) => s.scope === 'refresh')
    expect(allowed.some((s) => [...accessTokens].some((t) => s.text.includes(t)))).toBe(true)
    expect(allowed.some((s) => s.text.includes(MARKER))).toBe(true)
    const [rt] = refreshTokens
    const [at] = accessTokens
    expect(
      leaks([
        { where: 'planted rt', text: `x ${rt} y`, scope: 'refresh' },
        { where: 'planted segment', text: `x ${at!.split('.')[1]} y`, scope: 'all' },
        { where: 'planted marker', text: `claims: ${MARKER}`, scope: 'all' },
        { where: 'allowed at', text: `x ${at} y`, scope: 'refresh' },
      ]),
    ).toEqual([
      'planted rt: a refresh token',
      'planted segment: an access token (or segment)',
      'planted marker: the marker claim',
    ])
  })
})
