import { isRejection, RefreshError, retryAfterOf } from './errors'
import type { RefreshContext, TokenSet } from './types'

export interface OAuth2RefreshOptions {
  tokenEndpoint: string
  clientId: string
  /** Sent as `scope` when set; when it is not, a `scope` in `params` is sent instead. */
  scope?: string | undefined
  /** Default: `globalThis.fetch`, looked up at call time. */
  fetch?: typeof fetch | undefined
  /** `'include'` sends cookies cross-origin (an HttpOnly refresh cookie). Default: fetch's default. */
  // Spelled out: the DOM's `RequestCredentials` is missing from Node's types (no DOM lib there).
  credentials?: 'omit' | 'same-origin' | 'include' | undefined
  /**
   * More form parameters, such as `resource` (RFC 8707) or `audience`, so the refreshed token is for
   * the same API as the first one. `grant_type`, `client_id`, `refresh_token` and a set `scope` win.
   * @example { resource: 'https://api.example.com' }
   */
  params?: Record<string, string> | undefined
}

/**
 * A character of the refresh token as a RegExp that also finds it as the form carried it, or a URL
 * would: percent-encoded (hex in either case; URLSearchParams and Java's URLEncoder also encode `!'()~`,
 * and `.` may be), a space as `+`. Each alternative starts with another character: no backtracking.
 */
const spelled = (c: string): string =>
  /[\w-]/.test(c)
    ? c
    : `(?:\\${c}|${c === ' ' ? '\\+|' : ''}${encodeURIComponent(c).replace(/[!'().*~]/, hex)})`
const hex = (c: string) => `%${c.charCodeAt(0).toString(16)}`

/**
 * A `refresh` function that speaks the OAuth 2.0 refresh grant (RFC 6749 §6), form-encoded.
 * OAuth error bodies become a `RefreshError` with the HTTP status and `{ error, error_description }`
 * as `cause`; `invalid_grant`, 400/401/403 and an error in a 2xx body are permanent; a `Retry-After`
 * on a failure becomes the error's `retryAfter`, and the retry waits at least that long. Where the server
 * quotes the refresh token back (also percent-encoded), the message and `cause` say `[redacted]`
 * instead; a description that is not a string is left out.
 * It does not follow redirects (`redirect: 'error'`): point `tokenEndpoint` at the final URL.
 * @example
 * createAuthClient({ refresh: oauth2Refresh({ tokenEndpoint: 'https://id.example.com/oauth/token', clientId: 'spa' }) })
 */
export function oauth2Refresh(options: OAuth2RefreshOptions): (context: RefreshContext) => Promise<TokenSet> {
  return async ({ refreshToken, signal }) => {
    const form: Record<string, string | null | undefined> = {
      ...options.params,
      grant_type: 'refresh_token',
      client_id: options.clientId,
      refresh_token: refreshToken,
      // An unset option must not erase the scope given in params (the filter below drops empty values).
      scope: options.scope ?? options.params?.scope,
    }
    // Encoded here: React Native's own URLSearchParams implements neither set() nor encoding.
    const body = Object.entries(form)
      .filter(([, v]) => v)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v!)}`)
      .join('&')
    const init: RequestInit = {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body,
      signal,
      // A token endpoint does not redirect; following one would send the refresh token elsewhere.
      redirect: 'error',
    }
    if (options.credentials) init.credentials = options.credentials
    const res = await (options.fetch ?? globalThis.fetch)(options.tokenEndpoint, init)
    const { status } = res
    // A 429 or 503 may say when to come back: the retry waits at least that long.
    const retryAfter = retryAfterOf(res.headers)
    let data: Record<string, unknown>
    try {
      data = await res.json()
      if (typeof data !== 'object' || !data) throw 0
    } catch {
      // Aborted while the body was read (the client gave up on it, or the app's signal): the abort, as
      // the fetch itself would have rejected with it. Not the parser's error, which quotes the body.
      if (signal?.aborted) throw signal.reason
      // No `cause`: a JSON.parse message quotes the body, which may hold a token.
      // Permanent for 400, 401 and 403, as RefreshError decides from the status.
      throw new RefreshError(`Token endpoint answered ${status} without JSON`, { status, retryAfter })
    }
    // The server's words, without the refresh token: some quote it back (Spring Security OAuth's
    // `Invalid refresh token: <token>`), and the error reaches refreshError events and logs.
    const said = (v: unknown) =>
      typeof v === 'string'
        ? refreshToken
          ? v.replace(RegExp([...refreshToken].map(spelled).join(''), 'gi'), '[redacted]')
          : v
        : undefined
    // An empty error is none: some servers send every field, `"error": ""` with the tokens.
    const code = said(data.error)
    if (!res.ok || code) {
      throw new RefreshError(`Token endpoint error: ${code || status}`, {
        // A 2xx that says no (GitHub answers refusals with 200) is the server's word on this grant:
        // an outage answers 5xx or no JSON. Read as sent: a short refresh token may be part of the code.
        permanent: res.ok || isRejection(status) || data.error === 'invalid_grant',
        status,
        retryAfter,
        cause: { error: code, error_description: said(data.error_description) },
      })
    }
    // A number, or a decimal string as some servers send; not "" or true, which Number() makes 0 and 1,
    // nor "12abc" or "0x10", which parseFloat makes 12 and 0.
    const e = data.expires_in as string
    const expiresIn = typeof e === 'number' ? e : /^\s*\d+(\.\d+)?\s*$/.test(e) ? +e : Number.NaN
    const tokens: TokenSet = { accessToken: data.access_token as string }
    // An absent, null or empty refresh_token keeps the current one (RFC 6749 §6: the server may issue none).
    if (data.refresh_token != null && data.refresh_token !== '')
      tokens.refreshToken = data.refresh_token as string
    if (Number.isFinite(expiresIn)) tokens.expiresIn = expiresIn
    return tokens
  }
}
