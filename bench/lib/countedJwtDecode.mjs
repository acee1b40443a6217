// jwt-decode 4 with a call counter in `globalThis.jwtDecodeCalls` (see decodeHooks.mjs).
import { jwtDecode as decode, InvalidTokenError } from 'jwt-decode'

globalThis.jwtDecodeCalls = 0

export { InvalidTokenError }

export function jwtDecode(token, options) {
  globalThis.jwtDecodeCalls++
  return decode(token, options)
}
