/** Every stable error code latchkey produces. Codes are API; messages are not. */
export type AuthErrorCode =
  | 'invalid_token'
  | 'refresh_failed'
  | 'refresh_timeout'
  | 'refresh_rejected'
  | 'no_refresh'
  | 'storage_unavailable'
  | 'storage_corrupt'
  | 'login_failed'
  | 'logout_failed'
  | 'destroyed'

/** The codes a `RefreshError` carries: what a refresh can end in. */
export type RefreshErrorCode = 'refresh_failed' | 'refresh_timeout' | 'refresh_rejected' | 'no_refresh'

const CODES =
  'invalid_token refresh_failed refresh_timeout refresh_rejected no_refresh storage_unavailable storage_corrupt login_failed logout_failed destroyed'.split(
    ' ',
  )
const NAMES = ['AuthError', 'InvalidTokenError', 'RefreshError']

/** 400, 401 and 403: the statuses that make a refresh failure permanent unless said otherwise. */
export const isRejection = (status: unknown): boolean => status === 400 || status === 401 || status === 403

/**
 * The base of every latchkey error: a stable `code`, a `name` and an optional `cause`.
 * Messages never contain a token.
 */
export class AuthError extends Error {
  declare readonly code: AuthErrorCode
  // Error's own, set by `super`; declared for apps whose lib is older than ES2022 (which has none).
  declare cause?: unknown
  constructor(code: AuthErrorCode, message: string = code, options?: { cause?: unknown }) {
    super(message, options)
    // Literal names, not `new.target.name`: a minifier renames classes, and `name` is API.
    this.name = 'AuthError'
    this.code = code
  }
}

/** A token that is not a well-formed JWT (or an opaque token with `expiresIn`). Code `invalid_token`. */
export class InvalidTokenError extends AuthError {
  declare readonly code: 'invalid_token'
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_token', message, options)
    this.name = 'InvalidTokenError'
  }
}

/**
 * The seconds a `Retry-After` header asks for (delay-seconds or an HTTP date), read from a fetch
 * `Headers` or axios's `AxiosHeaders`; undefined when there is none.
 */
export function retryAfterOf(headers: unknown): number | undefined {
  try {
    // Absent: 'null', which is no date.
    const value = String((headers as Headers | undefined)?.get?.('retry-after'))
    // delay-seconds are digits only (RFC 9110; fetch and axios trim them): `Infinity`, `1e12` or `0x10`
    // ask for no wait. Anything else is a date, or nothing (NaN: no wait). HTTP dates are in GMT: the
    // asctime form (`Wed Dec  2 22:04:23 2026`) names no zone, which Date.parse reads as local time.
    const seconds = /^\d+$/.test(value)
      ? +value
      : (Date.parse(value.replace(/ \d{4}$/, '$& GMT')) - Date.now()) / 1000
    return seconds > 0 ? seconds : undefined
  } catch {
    // A headers object of a fetch polyfill or wrapper whose get() throws: no wait, and the response is
    // read as it was before there was a Retry-After (a success stays a success, a 401 a rejection).
  }
}

/**
 * A failed refresh. Permanent failures (400/401/403, `invalid_grant`, `permanent: true`) end the
 * session with code `refresh_rejected`; transient ones are retried (`refresh_failed`, `refresh_timeout`),
 * no sooner than `retryAfter` seconds when the server said so (a 429 or 503 with `Retry-After`).
 * @example throw new RefreshError('Refresh token revoked', { permanent: true, status: 401 })
 * @example throw new RefreshError('Rate limited', { status: 429, retryAfter: 30 })
 */
export class RefreshError extends AuthError {
  // Narrowed, so a switch over a refresh failure's code needs no case for the other codes.
  declare readonly code: RefreshErrorCode
  declare readonly permanent: boolean
  declare readonly status: number | undefined
  /** Seconds the server asked to wait before the next try (`Retry-After`); a positive number or undefined. */
  declare readonly retryAfter: number | undefined
  constructor(
    message: string,
    options: {
      permanent?: boolean | undefined
      status?: number | undefined
      cause?: unknown
      code?: RefreshErrorCode | undefined
      retryAfter?: number | undefined
    } = {},
  ) {
    // Unless said otherwise (by `permanent`, or a code), 400, 401 and 403 are permanent, as for any error
    // a refresh throws.
    const { code } = options
    const permanent = options.permanent ?? (code ? code === 'refresh_rejected' : isRejection(options.status))
    super(code ?? (permanent ? 'refresh_rejected' : 'refresh_failed'), message, options)
    this.name = 'RefreshError'
    this.permanent = permanent
    this.status = options.status
    // NaN, 0 and negatives ask for no wait.
    this.retryAfter = options.retryAfter! > 0 ? options.retryAfter : undefined
  }
}

/**
 * True for any latchkey error, also one from another copy of the package or another realm
 * (recognised by `name` and `code`, not only `instanceof`).
 */
export const isAuthError = (value: unknown): value is AuthError =>
  value instanceof AuthError ||
  (NAMES.includes((value as AuthError)?.name) && CODES.includes((value as AuthError)?.code))
