// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flush, T0 } from './helpers'
import { heldRotatingRefresh, lateStorage, signedInPair } from './support/rotating'

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

/**
 * No Web Locks (the localStorage lease) and no BroadcastChannel: tabs hear of each other through the
 * storage's own change events only, once a change landed. Tab A's renewal is being written (inside the
 * lease, which it holds until the write landed) when tab B logs out; B's removal lands first, and A takes
 * the sign-out. Then both tabs close. A live A writes its sign-out back over its renewal once that landed
 * (see write()); a closed one did not, nor could B (closed too, or told of the renewal only after): storage
 * kept the renewal of a sign-in the logout ended, and a reload signed the user back in.
 */
type Step = 'logout' | 'destroyA' | 'destroyB'
const cases: Step[][] = [
  ['logout', 'destroyA', 'destroyB'],
  ['logout', 'destroyB', 'destroyA'],
]

describe('a logout while another tab’s renewal lands, then both tabs closed', () => {
  const removeLag = 0
  for (const setLag of [30, 100])
    it.each(cases.map((c) => [c.join(', '), c]))(
      `leaves no entry (writes land in ${setLag} ms): %s`,
      async (_, steps) => {
        vi.useFakeTimers({ now: T0 })
        vi.stubGlobal('navigator', { ...navigator, locks: undefined })
        vi.stubGlobal('BroadcastChannel', undefined)
        localStorage.clear()
        const { area, storageOf } = lateStorage(setLag, removeLag)
        const { answers, refresh } = heldRotatingRefresh()
        const { a, b } = await signedInPair(storageOf, refresh)
        a.refresh().catch(() => {})
        await vi.advanceTimersByTimeAsync(300)
        // The server answers A: its renewal is being written.
        answers.shift()!()
        await flush()
        await vi.advanceTimersByTimeAsync(1)
        for (const s of steps) {
          if (s === 'logout') void b.logout()
          if (s === 'destroyA') {
            // A took the sign-out (B's removal landed, and was told) before it closed.
            expect(a.getState().status).toBe('unauthenticated')
            a.destroy()
          }
          if (s === 'destroyB') b.destroy()
          await flush()
          await vi.advanceTimersByTimeAsync(1)
        }
        await vi.advanceTimersByTimeAsync(10_000)
        // What a reload finds.
        expect(area.get('k') ?? null).toBe(null)
        a.destroy()
        b.destroy()
      },
    )
})
