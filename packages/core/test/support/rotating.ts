import { vi } from 'vitest'
import type { TokenSet } from '../../src'
import { token } from '../helpers'

/** Math.random made repeatable (a Lehmer generator), so lock waits and backoff jitter replay the same. */
export const seedRandom = (seed = 7) =>
  vi.spyOn(Math, 'random').mockImplementation(() => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647)

/**
 * A refresh endpoint that rotates refresh tokens (`rt-1` spent gives `rt-2`, …) and records each one
 * spent. Its answers wait for the test: `answers.shift()!()` lets the oldest call through.
 */
export function heldRotatingRefresh() {
  const spent: string[] = []
  const answers: Array<() => void> = []
  let n = 1
  const refresh = ({ refreshToken }: { refreshToken: string | null }) => {
    spent.push(refreshToken!)
    return new Promise<TokenSet>((r) =>
      answers.push(() => r({ accessToken: token(300, { n: ++n }), refreshToken: `rt-${n}` })),
    )
  }
  return { spent, answers, refresh }
}
