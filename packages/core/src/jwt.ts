import { jwtDecode } from 'jwt-decode'
import { InvalidTokenError } from './errors'
import type { JwtClaims } from './types'

// Printable ASCII without spaces: nothing that could break or inject into a header.
const OPAQUE = /^[\x21-\x7e]+$/
// The signature may be empty: an unsecured JWT (`alg: none`, RFC 7519 §6.1) has none. It is not verified
// either way.
const JWT = /^[\w-]+\.[\w-]+\.[\w-]*$/
// Year 9999 in seconds: larger times are garbage and would overflow Date arithmetic.
const MAX_TIME = 253402300799

/** A finite number of seconds within Date's range. */
export const isTime = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= MAX_TIME

/** Throws `invalid_token` saying why; the message never quotes the token. */
const bad = (why: string): never => {
  throw new InvalidTokenError(`Malformed token: ${why}`)
}

/** A time claim or `expiresIn`: absent, or a number of seconds. */
const seconds = (name: string, value: unknown) => {
  if (value !== undefined && !isTime(value)) bad(`${name} is not a number of seconds`)
}

/** Decodes the header or the payload; each must be a JSON object. */
function part(token: string, header: boolean): Record<string, unknown> {
  let value: unknown
  try {
    value = jwtDecode(token, { header })
  } catch {}
  return typeof value === 'object' && value && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : bad('not JSON objects')
}

/**
 * Validates an access token and decodes its claims: a JWT of three base64url segments (the signature
 * may be empty, as an unsecured JWT's is) whose header and payload are JSON objects, with numeric
 * `exp`/`iat`/`nbf`; or an opaque string (no `.`) when `expiresIn` is given (then the claims are
 * `null`).
 * It does NOT verify the signature: decoding proves nothing about who issued the token.
 * @throws {InvalidTokenError} code `invalid_token`; the message never contains the token.
 */
export function decodeToken(token: unknown, expiresIn?: unknown): JwtClaims | null {
  if (typeof token !== 'string' || !OPAQUE.test(token)) return bad('not a printable string')
  let claims: JwtClaims | null = null
  if (token.includes('.')) {
    if (!JWT.test(token)) bad('not three base64url segments')
    part(token, true)
    // Frozen: the state hands them out, and the same-user rules read them.
    claims = Object.freeze(part(token, false))
    for (const name of ['exp', 'iat', 'nbf']) seconds(name, claims[name])
    // `expiresIn` is used only without `exp`: then, and only then, it must be valid.
    if (claims.exp !== undefined) return claims
  } else if (expiresIn === undefined) bad('opaque without expiresIn')
  seconds('expiresIn', expiresIn)
  return claims
}
