import type { JwtClaims, TokenSet } from '@latchkey/core'

/** The example auth server (`examples/auth-server`). Set `VITE_AUTH_URL` to point elsewhere. */
export const AUTH_URL: string = (import.meta.env.VITE_AUTH_URL || 'http://127.0.0.1:4000').replace(/\/+$/, '')

/** The claims the example auth server puts in its access tokens. */
export interface DemoClaims extends JwtClaims {
  sub: string
  name: string
  email: string
  roles: string[]
}

export interface Credentials {
  username: string
  password: string
}

/**
 * A non-2xx answer. latchkey reads `status` to tell a rejected refresh (400/401/403: sign out) from a
 * transient one (5xx, network: retry with backoff).
 */
export class HttpError extends Error {
  readonly status: number
  readonly error: string | undefined
  constructor(status: number, error: string | undefined, description: string | undefined) {
    super(description ?? `The auth server answered ${status}`)
    this.name = 'HttpError'
    this.status = status
    this.error = error
  }
}

interface TokenResponse {
  access_token: string
  refresh_token?: string
  expires_in?: number
}

// Plain fetch, not the auth fetch: a refresh that waited on the auth fetch would wait on itself.
async function post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  const init: RequestInit = {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  }
  if (signal) init.signal = signal
  const res = await fetch(`${AUTH_URL}${path}`, init)
  if (!res.ok) {
    const data = (await res.json().catch(() => ({}))) as { error?: string; error_description?: string }
    throw new HttpError(res.status, data.error, data.error_description)
  }
  return res
}

async function tokens(res: Response): Promise<TokenSet> {
  const data = (await res.json()) as TokenResponse
  const set: TokenSet = { accessToken: data.access_token }
  if (data.refresh_token !== undefined) set.refreshToken = data.refresh_token
  if (data.expires_in !== undefined) set.expiresIn = data.expires_in
  return set
}

/**
 * Whether the auth server answers at all. A call that failed with a network error met either a server
 * that is down or one whose CORS refuses this page's origin, and the browser does not say which; a
 * `no-cors` request gets an answer (an opaque one) from a running server whatever its CORS allows.
 */
export const answers = (): Promise<boolean> =>
  fetch(AUTH_URL, { mode: 'no-cors', cache: 'no-store' }).then(
    () => true,
    () => false,
  )

/** `POST /auth/login`. */
export const login = (credentials: Credentials, signal: AbortSignal): Promise<TokenSet> =>
  post('/auth/login', credentials, signal).then(tokens)

/** `POST /auth/refresh`; the server rotates the refresh token and returns its successor. */
export const refresh = (refreshToken: string | null, signal: AbortSignal): Promise<TokenSet> =>
  post('/auth/refresh', { refresh_token: refreshToken }, signal).then(tokens)

/** `POST /auth/logout`: revokes the refresh token's family on the server. */
export const logout = async (refreshToken: string | null): Promise<void> => {
  if (refreshToken) await post('/auth/logout', { refresh_token: refreshToken })
}
