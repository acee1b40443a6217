import { AuthError, InvalidTokenError } from './errors'
import { decodeToken, isTime } from './jwt'
import type { JwtClaims, TokenSet } from './types'

/**
 * A session as the client holds it: tokens decoded once, times on the local clock. `exp`, `skew` and
 * `x` move back in place when that clock is set back (see engine.ts's `now`).
 */
export interface Session {
  readonly at: string
  readonly rt: string | null
  readonly claims: JwtClaims | null
  /** Expiry in ms on the local clock, or null for a token that never expires. */
  exp: number | null
  /** Lifetime in ms (exp − iat, or expiresIn), to cap the leeway; null when unknown. */
  readonly life: number | null
  /** Local clock minus issuer clock, in ms. */
  skew: number
  /** Generation: grows with every new token set, so a stale copy from another tab is never adopted. */
  readonly g: number
  /** Expiry and lifetime of a token without `exp`, kept so storage can restore them. */
  x?: [number, number] | undefined
  /**
   * The sign-in this session comes from: new with each token set from outside a refresh, kept by
   * refreshes. Tells another tab's renewal from its sign-in where tokens carry no `sub`.
   */
  readonly id?: unknown
}

/**
 * Builds a session from a token set. `skew` is measured from `iat` when it is `null` (fresh tokens),
 * or reused (tokens read back from storage). `rt` is the refresh token to keep when the set omits it.
 */
function build(
  at: unknown,
  rt: unknown,
  expiresIn: unknown,
  now: number,
  skew: number | null,
  g: number,
  x: [number, number] | undefined,
  storedLife: number | null,
  id: unknown,
): Session {
  if (rt != null && (typeof rt !== 'string' || !rt)) throw new InvalidTokenError('Malformed refresh token')
  const claims = decodeToken(at, x ? 0 : expiresIn)
  const { exp, iat } = claims ?? {}
  let expires: number | null = null
  let life: number | null = null
  let s = 0
  if (exp !== undefined) {
    // A JWT's own times win; `x` is only for tokens without `exp`.
    s = skew ?? (iat === undefined ? 0 : now - iat * 1000)
    expires = exp * 1000 + s
    // A stored lifetime wins: an observed one (no iat), or 0 for the held token sent back by a refresh.
    life = storedLife ?? (iat === undefined ? null : (exp - iat) * 1000)
    x = undefined
  } else if (x) [expires, life] = x
  else if (expiresIn !== undefined) {
    life = (expiresIn as number) * 1000
    expires = now + life
    x = [expires, life]
  }
  return {
    at: at as string,
    rt: (rt as string | null) ?? null,
    claims,
    g,
    exp: expires,
    life,
    skew: s,
    x,
    id,
  }
}

/**
 * A session from freshly issued tokens; `previous` is kept when `refreshToken` is omitted. A refresh
 * result (`observed`) without `iat` gets the time left until `exp` as its lifetime, which caps the
 * leeway: otherwise a token shorter than the leeway would be due at once, refresh after refresh.
 */
export function createSession(
  tokens: TokenSet,
  now: number,
  previous: string | null,
  g: number,
  observed = false,
  id: unknown = Math.random().toString(36).slice(2),
): Session {
  // Names the field: an OAuth body passed on as it is (`access_token`) would read as a bad token.
  if (typeof tokens?.accessToken !== 'string') throw new InvalidTokenError('Expected { accessToken: string }')
  const { accessToken, refreshToken = previous, expiresIn } = tokens
  const s = build(accessToken, refreshToken, expiresIn, now, null, g, undefined, null, id)
  return observed && s.life === null && s.exp !== null ? { ...s, life: s.exp - now } : s
}

/** What `refresh` and `logout` are given of a session. */
export const tokensOf = (s: Session | null | undefined) => ({
  accessToken: s?.at ?? null,
  refreshToken: s?.rt ?? null,
})

/**
 * The stored entry: `{ v: 1, at, rt, sk, g, x?, l?, id }` (`l`: an observed lifetime, for tokens without
 * iat). An entry without `id` (stored by an earlier version) reads back as one sign-in.
 */
export const encodeSession = (s: Session): string =>
  JSON.stringify({
    v: 1,
    at: s.at,
    rt: s.rt,
    sk: s.skew,
    g: s.g,
    x: s.x,
    l: s.x ? undefined : (s.life ?? undefined),
    id: s.id,
  })

/** Reads a stored entry back with its stored skew. Throws `storage_corrupt` on anything unexpected. */
export function decodeSession(raw: string): Session {
  try {
    const e = JSON.parse(raw)
    const x = e?.x
    // Milliseconds within Date's range; a digit string would pass `/ 1000` and be taken as the expiry.
    const ms = (v: unknown) => typeof v === 'number' && isTime(v / 1000)
    // Number.isFinite is false for anything that is not a number.
    if (
      e?.v !== 1 ||
      !Number.isFinite(e.sk) ||
      !Number.isFinite(e.g) ||
      (x !== undefined && !(Array.isArray(x) && ms(x[0]) && ms(x[1])))
    ) {
      throw 0
    }
    // An id that is not a string (tampered with) counts as none: compared by user only.
    const id = typeof e.id === 'string' ? e.id : undefined
    return build(e.at, e.rt, undefined, 0, e.sk, e.g, x, Number.isFinite(e.l) ? e.l : null, id)
  } catch {
    // No `cause`: a JSON.parse message quotes the stored text, which may hold a token.
    throw new AuthError('storage_corrupt', 'Corrupt stored session')
  }
}
