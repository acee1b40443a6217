// HS256 JWTs with node:crypto: the bench server signs and verifies real tokens.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

const SECRET = randomBytes(32)
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')
let serial = 0

const mac = (data) => createHmac('sha256', SECRET).update(data).digest()

/** Signs an access token for `sub` that expires `ttl` seconds after `iat` (seconds, default now). */
export function sign({ sub = 'alice', ttl = 900, iat = Math.floor(Date.now() / 1000) } = {}) {
  const payload = { sub, iat, exp: iat + ttl, jti: `${process.pid}-${++serial}` }
  const body = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
  return `${body}.${mac(body).toString('base64url')}`
}

/** The payload of a token this process signed and that has not expired, else `null`. */
export function verify(token) {
  const [header, payload, signature] = token.split('.')
  if (header !== HEADER || !payload || !signature) return null
  const expected = mac(`${header}.${payload}`)
  const given = Buffer.from(signature, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
  return claims.exp * 1000 > Date.now() ? claims : null
}
