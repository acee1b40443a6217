import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, type TokenSet } from '../src'
import { rawJwt } from './helpers'

afterEach(() => {
  vi.useRealTimers()
})

describe('refresh scheduling (property-based)', () => {
  it('fires at a finite time, never in the past, never after exp, never more than half a lifetime early', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          serverNow: fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }), // seconds
          age: fc.integer({ min: 0, max: 86_400 }), // how long ago the token was issued, s
          life: fc.integer({ min: 1, max: 90 * 86_400 }), // exp − iat, s
          skew: fc.integer({ min: -86_400_000, max: 86_400_000 }), // device clock minus server clock, ms
          leeway: fc.integer({ min: 0, max: 3_600 }),
        }),
        async ({ serverNow, age, life, skew, leeway }) => {
          vi.useFakeTimers({ now: serverNow * 1000 })
          const start = Date.now()
          const iat = serverNow - age
          const exp = iat + life
          let firedAt: number | null = null
          const now = () => Date.now() + skew
          const auth = createAuthClient({
            refreshLeeway: leeway,
            now,
            refresh: () => {
              firedAt ??= now()
              return new Promise<TokenSet>(() => {})
            },
          })
          auth.setTokens({ accessToken: rawJwt({ alg: 'none' }, { iat, exp }), refreshToken: 'rt' })
          const { expiresAt } = auth.getState()
          // Skew is measured from iat, so expiry on the local clock is exactly `life` after setTokens.
          expect(expiresAt).toBe(start + skew + life * 1000)
          await vi.advanceTimersByTimeAsync(life * 1000 + 1)
          auth.destroy()
          expect(firedAt).not.toBeNull()
          const fired = firedAt!
          expect(Number.isFinite(fired)).toBe(true)
          expect(fired).toBeGreaterThanOrEqual(start + skew) // not before it was set (no past)
          expect(fired).toBeLessThanOrEqual(expiresAt!) // never after exp
          expect(fired).toBeGreaterThanOrEqual(expiresAt! - (life * 1000) / 2) // ≤ half a lifetime early
          expect(fired).toBe(expiresAt! - Math.min(leeway * 1000, (life * 1000) / 2))
          vi.useRealTimers()
        },
      ),
      { numRuns: 150 },
    )
  })

  it('without iat, the leeway is not capped and a token already past exp is not refreshed late', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 * 86_400 }),
        fc.integer({ min: 0, max: 600 }),
        async (ttl, leeway) => {
          vi.useFakeTimers({ now: 2_000_000_000_000 })
          const start = Date.now()
          let firedAt: number | null = null
          const auth = createAuthClient({
            refreshLeeway: leeway,
            refresh: () => {
              firedAt ??= Date.now()
              return new Promise<TokenSet>(() => {})
            },
          })
          auth.setTokens({
            accessToken: rawJwt({ alg: 'none' }, { exp: start / 1000 + ttl }),
            refreshToken: 'rt',
          })
          await vi.advanceTimersByTimeAsync(ttl * 1000 + 1)
          auth.destroy()
          expect(firedAt).toBe(Math.max(start, start + ttl * 1000 - leeway * 1000))
          vi.useRealTimers()
        },
      ),
      { numRuns: 100 },
    )
  })
})
