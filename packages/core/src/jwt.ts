import { jwtDecode } from 'jwt-decode'
import { InvalidTokenError } from './errors'
import type { JwtClaims } from './types'

// Printable ASCII without spaces: nothing that could break or inject into a header.
const PRINTABLE = /^[\x21-\x7e]+$/
const SEGMENT = /^[\w-]+$/
// Year 9999 in seconds: larger times are garbage and would overflow Date arithmetic.
const MAX_TIME = 253402300799

/** A finite number of seconds within Date's range. */
export const isTime = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= MAX_TIME

const bad = (why: string): never => {
  throw new InvalidTokenError(`Malformed token: ${why}`)
}

function part(token: string, header: boolean): Record<string, unknown> {
  let value: unknown
  try {
    value = jwtDecode(token, { header })
  } catch {
    bad('not base64url JSON')
  }
  if (typeof value !== 'object' || !value || Array.isArray(value)) bad('not a JSON object')
  return value as Record<string, unknown>
}

/**
 * Validates an access token and decodes its claims: a JWT of three base64url segments whose header
 * and payload are JSON objects, with numeric `exp`/`iat`/`nbf`; or an opaque string (no `.`) when
 * `expiresIn` is given (then the claims are `null`).
 * It does NOT verify the signature: decoding proves nothing about who issued the token.
 * @throws {InvalidTokenError} code `invalid_token`; the message never contains the token.
 */
export function decodeToken(token: unknown, expiresIn?: unknown): JwtClaims | null {
  if (expiresIn !== undefined && !isTime(expiresIn)) bad('expiresIn is not a number of seconds')
  if (typeof token !== 'string' || !PRINTABLE.test(token)) return bad('not a printable string')
  const parts = token.split('.')
  if (parts.length === 1) return expiresIn === undefined ? bad('an opaque token needs expiresIn') : null
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) bad('not three base64url segments')
  part(token, true)
  const claims = part(token, false)
  for (const name of ['exp', 'iat', 'nbf']) {
    if (claims[name] !== undefined && !isTime(claims[name])) bad(`${name} is not a number of seconds`)
  }
  return claims
}
