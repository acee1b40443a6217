import { type HttpHandler, HttpResponse, http } from 'msw'
import { createMockSessions, type IssuedTokens, type MockUser } from './mockSessions'

/** A refresh failure to simulate; see {@link MockAuthServer.setRefreshFailure}. */
export type RefreshFailure = '500' | '429' | '401' | 'network' | 'hang'

/** Options of {@link createMockAuthServer}. */
export interface MockAuthServerOptions {
  /** Origin (and optional path prefix) the handlers answer on. @defaultValue `'http://localhost'` */
  baseUrl?: string | undefined
  /** Access token lifetime in seconds. @defaultValue 300 */
  accessTtl?: number | undefined
  /** Issue a new refresh token on every refresh and spend the old one. @defaultValue true */
  rotate?: boolean | undefined
  /** The server's clock in ms; share it with the client under test. @defaultValue `() => Date.now()` */
  now?: (() => number) | undefined
  /** Accounts by username. @defaultValue alice/wonderland (roles user, admin) and bob/builder (role user) */
  users?: Record<string, MockUser> | undefined
}

/** How often each endpoint was called. A live object: read it after the requests. */
export interface MockAuthCalls {
  login: number
  refresh: number
  logout: number
  api: number
}

/** What {@link createMockAuthServer} returns. Methods need no `this`. */
export interface MockAuthServer {
  /** msw handlers: pass them to `setupServer(...handlers)` or `server.use(...handlers)`. */
  handlers: HttpHandler[]
  /** Request counters, reset by `reset()`. Failed and simulated-failure requests count too. */
  calls: MockAuthCalls
  /** Every token set handed out so far, oldest first (copies). */
  issued: () => IssuedTokens[]
  /**
   * Revokes the session an access or refresh token belongs to, or every session when called without
   * one: its refresh tokens get `invalid_grant` and its access tokens 401 from then on.
   */
  revoke: (token?: string) => void
  /** Forgets every session and issued token, zeroes `calls` and clears any refresh failure. */
  reset: () => void
  /**
   * Makes refresh requests fail until set back to `null`, or for the next `times` requests:
   * `'500'` answers 500 `server_error`, `'429'` answers 429 `temporarily_unavailable` with
   * `Retry-After: 30`, `'401'` answers 401 `invalid_grant` (session untouched),
   * `'network'` makes `fetch` reject with a `TypeError`, and `'hang'` never answers until the request
   * is aborted (the `refreshTimeout` path).
   */
  setRefreshFailure: (kind: RefreshFailure | null, times?: number) => void
}

const DEFAULT_USERS: Record<string, MockUser> = {
  alice: {
    password: 'wonderland',
    claims: { name: 'Alice', email: 'alice@example.com', roles: ['user', 'admin'] },
  },
  bob: { password: 'builder', claims: { name: 'Bob', email: 'bob@example.com', roles: ['user'] } },
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  HttpResponse.json(body as Record<string, unknown>, { status, headers })

const oauthError = (status: number, error: string, description: string) =>
  json({ error, error_description: description }, status, { 'Cache-Control': 'no-store' })

/** Reads a JSON or form-encoded body as a flat record; anything unreadable is an empty one. */
async function readBody(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text()
  if (!text) return {}
  if ((request.headers.get('content-type') ?? '').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text))
  }
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

const bearer = (request: Request): string | null =>
  /^Bearer (\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1] ?? null

// Settles only when the client gives up, so a hung refresh leaves nothing pending after an abort.
const hang = (request: Request): Promise<Response> =>
  new Promise((resolve) => {
    request.signal.addEventListener('abort', () => resolve(HttpResponse.error()), { once: true })
  })

/**
 * An in-memory auth server as msw handlers, speaking the same routes as `examples/auth-server`:
 * `POST /auth/login` (`{ username, password }`), `POST /auth/refresh` and its alias `POST /oauth/token`
 * (JSON `{ refresh_token }` or form-encoded `grant_type=refresh_token`), `POST /auth/logout` and
 * any method on `/api/*`, which answers 200 `{ path, claims }` to a live access token it issued and
 * 401 with `WWW-Authenticate` otherwise.
 *
 * Refresh tokens rotate: presenting a spent one answers 401 `invalid_grant` and revokes its whole
 * session (reuse detection). Access tokens are unsigned test tokens (see `createTestToken`).
 * It does not model cookies, CORS or a reuse grace window; use `examples/auth-server` for those.
 *
 * @example
 * ```ts
 * const mock = createMockAuthServer({ now: clock.now })
 * const server = setupServer(...mock.handlers)
 * // ... drive the app, then:
 * expect(mock.calls.refresh).toBe(1)
 * ```
 */
export function createMockAuthServer(options: MockAuthServerOptions = {}): MockAuthServer {
  const { baseUrl = 'http://localhost', accessTtl = 300, rotate = true } = options
  // Read at call time: fake timers installed after the mock was created apply too.
  const now = options.now ?? (() => Date.now())
  const base = baseUrl.replace(/\/+$/, '')
  const sessions = createMockSessions({ users: options.users ?? DEFAULT_USERS, accessTtl, rotate, now })
  const calls: MockAuthCalls = { login: 0, refresh: 0, logout: 0, api: 0 }
  let failure: { kind: RefreshFailure; remaining: number } | null = null

  const tokenResponse = (tokens: IssuedTokens, withRefresh: boolean) =>
    json(
      {
        access_token: tokens.accessToken,
        token_type: 'Bearer',
        expires_in: accessTtl,
        ...(withRefresh ? { refresh_token: tokens.refreshToken } : {}),
      },
      200,
      { 'Cache-Control': 'no-store' },
    )

  const refresh: Parameters<typeof http.post>[1] = async ({ request }) => {
    calls.refresh++
    if (failure) {
      const { kind } = failure
      if (--failure.remaining <= 0) failure = null
      if (kind === 'network') return HttpResponse.error()
      if (kind === 'hang') return hang(request)
      if (kind === '500') return oauthError(500, 'server_error', 'Simulated failure')
      if (kind === '429')
        return json({ error: 'temporarily_unavailable', error_description: 'Simulated rate limit' }, 429, {
          'Retry-After': '30',
        })
      return oauthError(401, 'invalid_grant', 'Simulated rejection')
    }
    const body = await readBody(request)
    if (body.grant_type !== undefined && body.grant_type !== 'refresh_token') {
      return oauthError(400, 'unsupported_grant_type', 'Only refresh_token is supported')
    }
    if (typeof body.refresh_token !== 'string' || !body.refresh_token) {
      return oauthError(400, 'invalid_request', 'refresh_token is required')
    }
    const outcome = sessions.refresh(body.refresh_token)
    if (!outcome.ok) return oauthError(401, 'invalid_grant', `Refresh token ${outcome.reason}`)
    return tokenResponse(outcome.tokens, outcome.rotated)
  }

  const handlers: HttpHandler[] = [
    http.post(`${base}/auth/login`, async ({ request }) => {
      calls.login++
      const { username, password } = await readBody(request)
      const tokens = sessions.login(username, password)
      if (!tokens)
        return json({ error: 'invalid_credentials', error_description: 'Wrong username or password' }, 401)
      return tokenResponse(tokens, true)
    }),
    http.post(`${base}/auth/refresh`, refresh),
    http.post(`${base}/oauth/token`, refresh),
    http.post(`${base}/auth/logout`, async ({ request }) => {
      calls.logout++
      const { refresh_token } = await readBody(request)
      const token = typeof refresh_token === 'string' ? refresh_token : bearer(request)
      if (token) sessions.revoke(token)
      return new HttpResponse(null, { status: 204 })
    }),
    http.all(`${base}/api/*`, ({ request }) => {
      calls.api++
      const token = bearer(request)
      const claims = token ? sessions.verify(token) : null
      if (claims) return json({ path: new URL(request.url).pathname, claims })
      const challenge = token ? 'Bearer error="invalid_token"' : 'Bearer'
      return json({ error: token ? 'invalid_token' : 'unauthorized' }, 401, { 'WWW-Authenticate': challenge })
    }),
  ]

  return {
    handlers,
    calls,
    issued: sessions.issued,
    revoke: sessions.revoke,
    reset: () => {
      sessions.reset()
      failure = null
      calls.login = calls.refresh = calls.logout = calls.api = 0
    },
    setRefreshFailure: (kind, times = Number.POSITIVE_INFINITY) => {
      failure = kind === null || !(times > 0) ? null : { kind, remaining: times }
    },
  }
}
