// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, type TokenStorage } from '../src'
import { T0, token } from './helpers'
import { heldRotatingRefresh, seedRandom } from './support/rotating'

/**
 * No Web Locks (older browsers): one refresh at a time rests on the lease in localStorage. Two lock()
 * calls of one tab (its refresh, and a write over an entry it found, which an async storage makes in the
 * refresh lock) used to share the lease, as it named the tab: the first to end removed it while the other
 * still refreshed, and a tab waiting for it went in and spent the same refresh token again.
 */

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('the localStorage lease (no Web Locks)', () => {
  it("is one hold per lock() call: a tab's second call ending does not let another tab refresh alongside", async () => {
    vi.useFakeTimers({ now: T0 })
    seedRandom()
    vi.stubGlobal('navigator', { ...navigator, locks: undefined })
    vi.stubGlobal('BroadcastChannel', undefined)
    localStorage.clear()

    // A custom async storage shared by the tabs (IndexedDB, say): calls answer 1 ms later, and each
    // change is told to the other tabs 1 ms after it landed.
    const area = new Map<string, string>()
    const listeners: Array<(v: string | null) => void> = []
    const tell = (from: number, v: string | null) =>
      listeners.forEach((on, to) => {
        if (to !== from) setTimeout(() => on(v), 1)
      })
    const later = <T>(f: () => T) => new Promise<T>((r) => setTimeout(() => r(f()), 1))
    const storageOf = (tab: number): TokenStorage => ({
      get: (k) => later(() => area.get(k) ?? null),
      set: (k, v) =>
        later(() => {
          area.set(k, v)
          tell(tab, v)
        }),
      remove: (k) =>
        later(() => {
          area.delete(k)
          tell(tab, null)
        }),
      subscribe: (_k, on) => {
        listeners[tab] = on
        return () => {}
      },
    })
    // The server rotates the refresh token; its answers wait for the test.
    const { spent, answers, refresh } = heldRotatingRefresh()
    const tab = (i: number): AuthClient =>
      createAuthClient({ storage: storageOf(i), storageKey: 'k', refresh, refreshTimeout: 5_000 })

    const a = tab(0)
    const b = tab(1)
    await vi.advanceTimersByTimeAsync(10)
    a.setTokens({ accessToken: token(300), refreshToken: 'rt-1' })
    await vi.advanceTimersByTimeAsync(10)
    expect(b.getState().accessToken).toBe(a.getState().accessToken)

    // A refreshes: it takes the lease and calls the server. B's refresh waits for the lease.
    a.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(400)
    expect(spent).toEqual(['rt-1'])
    b.refresh().catch(() => {})
    // Meanwhile a script writes garbage over the entry. A writes its session back over it, in the
    // refresh lock (an async storage is read and written there), while its own refresh holds it.
    area.set('k', 'garbage')
    tell(-1, 'garbage')
    await vi.advanceTimersByTimeAsync(1_000)
    // B must still be waiting: A's renewal has not landed.
    expect(spent).toEqual(['rt-1'])
    answers.shift()!()
    await vi.advanceTimersByTimeAsync(1_000)
    // B took A's renewal from storage instead of spending rt-1 again.
    expect(spent).toEqual(['rt-1'])
    expect(b.getState().accessToken).toBe(a.getState().accessToken)
    expect(JSON.parse(area.get('k')!).at).toBe(a.getState().accessToken)
    a.destroy()
    b.destroy()
  })
})
