import { createTestToken } from '@latchkey/testing'

/** Fixed start of the fake clock: 2030-01-01. */
export const T0 = Date.UTC(2030, 0, 1)

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')

/** A JWT built by hand from any header and payload (also non-objects), for malformed-input tables. */
export const rawJwt = (header: unknown, payload: unknown, signature = 'c2ln') =>
  `${b64(header)}.${b64(payload)}.${signature}`

/** A token issued `at` (ms, default now) living `ttl` seconds. */
export const token = (ttl = 300, claims: Record<string, unknown> = {}, at = Date.now()) =>
  createTestToken({ sub: 'user-1', ...claims }, { expiresIn: ttl, issuedAt: Math.floor(at / 1000) })

/** Waits for pending microtasks and promise chains (no timers). */
export const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}
