import { base64url } from './base64url'

/** Options of {@link createTestToken}. */
export interface TestTokenOptions {
  /**
   * Lifetime in seconds: `exp = iat + expiresIn`. `null` leaves `exp` out, so the token never expires.
   * @defaultValue 3600
   */
  expiresIn?: number | null | undefined
  /** `iat` in seconds since the epoch. Defaults to `now()` rounded down to a second. */
  issuedAt?: number | undefined
  /** Signs with HS256 using this secret. Without it the token is unsigned (`alg: 'none'`). */
  secret?: string | Uint8Array | undefined
  /**
   * The clock, in ms, used for the default `iat`. Pass the same `now` as the client under test.
   * @defaultValue `() => Date.now()`
   */
  now?: (() => number) | undefined
}

// base64url('unsigned'), as a literal so the module runs no code on import. latchkey accepts an empty
// third segment (an unsecured JWT's), but a stricter decoder in the app under test may not, so
// unsigned tokens carry a dummy one.
const UNSIGNED_SIGNATURE = 'dW5zaWduZWQ'

interface HmacModule {
  createHmac(
    alg: string,
    key: string | Uint8Array,
  ): {
    update(data: string): { digest(encoding: 'base64url'): string }
  }
}

// `process.getBuiltinModule` (Node ≥ 20.16) instead of a static `import 'node:crypto'`: the msw handlers
// and unsigned tokens must still load in a browser (msw's `setupWorker`), where only signing is unavailable.
function loadCrypto(): HmacModule {
  const proc = typeof process === 'undefined' ? undefined : process
  const mod = proc?.getBuiltinModule?.('node:crypto') as HmacModule | undefined
  if (!mod) throw new Error('createTestToken: signing with `secret` needs Node ≥ 20.16 (node:crypto)')
  return mod
}

/**
 * Builds a compact JWT for tests, synchronously.
 *
 * `iat` defaults to now and `exp` to `iat + 3600` (also counted from an `iat` you pass as a claim);
 * claims you pass win over both (pass `iat: undefined` to leave `iat` out). Unsigned by default: the header says `alg: 'none'` and the
 * third segment is a dummy, non-empty value. With `secret` it is signed with HS256 through
 * `node:crypto`, so signing works in Node test runners (also under happy-dom or jsdom) but not in a
 * real browser.
 *
 * It does not validate the claims: an already-expired or odd token is what some tests need.
 *
 * @example
 * ```ts
 * const token = createTestToken({ sub: 'alice', roles: ['admin'] }, { expiresIn: 60 })
 * auth.setTokens({ accessToken: token, refreshToken: 'r1' })
 *
 * // Expired as it is set (latchkey measures skew from `iat`: `{ issuedAt: 0, expiresIn: 1 }` looks fresh).
 * const expired = createTestToken({ sub: 'alice' }, { expiresIn: 0 })
 * const signed = createTestToken({ sub: 'alice' }, { secret: 'test-secret' })
 * ```
 */
export function createTestToken(
  // `object`: an app's claims interface (no index signature) is accepted as well as a literal.
  claims: object = {},
  options: TestTokenOptions = {},
): string {
  const { expiresIn = 3600, secret, now = Date.now } = options
  const computed = options.issuedAt ?? Math.floor(now() / 1000)
  // `exp = iat + expiresIn` also for an `iat` given as a claim.
  const { iat: given } = claims as { iat?: unknown }
  const iat = typeof given === 'number' ? given : computed
  const payload: Record<string, unknown> = { iat: computed }
  if (expiresIn !== null) payload.exp = iat + expiresIn
  Object.assign(payload, claims)

  const header = { alg: secret === undefined ? 'none' : 'HS256', typ: 'JWT' }
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`
  if (secret === undefined) return `${input}.${UNSIGNED_SIGNATURE}`
  const signature = loadCrypto().createHmac('sha256', secret).update(input).digest('base64url')
  return `${input}.${signature}`
}
