import { expect, vi } from 'vitest'
import {
  type AuthClient,
  type AuthClientOptions,
  createAuthClient,
  type TokenSet,
  type TokenStorage,
} from '../../src'
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

/**
 * A custom async storage shared by tabs whose writes land late (an encrypting store, say): `set()` lands
 * `setLag` ms after it is made, `remove()` `removeLag` ms after; reads answer what is there at once. Each
 * change is told to the other tabs once it landed. `storageOf(tab)` is that tab's view of `area`.
 */
export function lateStorage(setLag: number, removeLag = 0) {
  const area = new Map<string, string>()
  const listeners: Array<(v: string | null) => void> = []
  const land = (tab: number, lag: number, change: () => void, v: string | null) =>
    new Promise<void>((r) =>
      setTimeout(() => {
        change()
        listeners.forEach((on, to) => {
          if (to !== tab) on(v)
        })
        r()
      }, lag),
    )
  const storageOf = (tab: number): TokenStorage => ({
    get: async (k) => area.get(k) ?? null,
    set: (k, v) => land(tab, setLag, () => area.set(k, v), v),
    remove: (k) => land(tab, removeLag, () => area.delete(k), null),
    subscribe: (_k, on) => {
      listeners[tab] = on
      return () => {
        delete listeners[tab]
      }
    },
  })
  return { area, storageOf }
}

/**
 * Two tabs on a `lateStorage()` (fake timers): A signs in with `rt-1`, then B opens and takes A's session
 * from storage.
 */
export async function signedInPair(
  storageOf: (tab: number) => TokenStorage,
  refresh: AuthClientOptions['refresh'],
) {
  const tab = (i: number): AuthClient =>
    createAuthClient({ storage: storageOf(i), storageKey: 'k', refresh, refreshTimeout: 5_000 })
  const a = tab(0)
  a.setTokens({ accessToken: token(300), refreshToken: 'rt-1' })
  await vi.advanceTimersByTimeAsync(200)
  const b = tab(1)
  await vi.advanceTimersByTimeAsync(10)
  expect(b.getState().accessToken).toBe(a.getState().accessToken)
  return { a, b }
}
