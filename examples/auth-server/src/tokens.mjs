import { randomBytes, randomUUID } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose'

/** @typedef {import('./users.mjs').DemoUser} DemoUser */

/**
 * Creates the access-token signer: an RS256 key pair made at start-up, or an HS256 secret.
 * `accessTtl` is read at each signing, so the test-only `POST /__config` can change it.
 * @param {{ alg: 'RS256' | 'HS256', secret?: string | Uint8Array | undefined, issuer: string,
 *   audience: string, accessTtl: number, now: () => number }} options
 */
export async function createTokenSigner(options) {
  const { alg, secret, issuer, audience, now } = options
  /** @type {CryptoKey | Uint8Array} */
  let signKey
  /** @type {CryptoKey | Uint8Array} */
  let verifyKey
  /** @type {{ keys: Record<string, unknown>[] }} */
  let jwks = { keys: [] }
  /** @type {string | undefined} */
  let kid
  if (alg === 'RS256') {
    const pair = await generateKeyPair('RS256')
    signKey = pair.privateKey
    verifyKey = pair.publicKey
    const jwk = await exportJWK(pair.publicKey)
    kid = await calculateJwkThumbprint(jwk)
    jwks = { keys: [{ ...jwk, kid, alg, use: 'sig' }] }
  } else {
    // A shared secret is never published, so the JWKS stays empty for HS256.
    signKey = verifyKey =
      typeof secret === 'string' ? new TextEncoder().encode(secret) : (secret ?? randomBytes(32))
  }

  return {
    jwks: () => jwks,

    /** @param {DemoUser} user */
    sign(user) {
      const iat = Math.floor(now() / 1000)
      return new SignJWT({ name: user.name, email: user.email, roles: [...user.roles] })
        .setProtectedHeader(kid ? { alg, typ: 'JWT', kid } : { alg, typ: 'JWT' })
        .setSubject(user.username)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + options.accessTtl)
        .setJti(randomUUID())
        .sign(signKey)
    },

    /**
     * Verifies signature, `alg`, `iss`, `aud` and `exp` against the injected clock.
     * @param {string} token
     */
    async verify(token) {
      const { payload } = await jwtVerify(token, verifyKey, {
        algorithms: [alg],
        issuer,
        audience,
        currentDate: new Date(now()),
      })
      return payload
    },
  }
}
