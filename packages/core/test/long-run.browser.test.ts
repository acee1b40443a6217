// @vitest-environment happy-dom
import { afterEach, expect, it, vi } from 'vitest'
import { T0 } from './helpers'
import { createTabWorld } from './support/tabWorld'

/**
 * Many rounds of use in three tabs of the chaos model (tabs-chaos.browser.test.ts), which runs at most 40
 * actions: what a tab keeps and tells must not grow with use. Each round one tab signs a user in, another
 * refreshes, time passes a refresh point, and every third round a third tab signs out; everything is
 * heard before the next step. The ids a logout tells grew without end this way (ended-bounded).
 */

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

it('300 rounds in three tabs: timers, messages and refresh calls stay bounded, and the tabs agree', async () => {
  vi.useFakeTimers({ now: T0 })
  const world = createTabWorld(3)
  const post = vi.spyOn(BroadcastChannel.prototype, 'postMessage')
  const timers: number[] = []
  try {
    for (let i = 0; i < 300; i++) {
      const tab = i % 3
      await world.act({ kind: 'setTokens', tab, user: i % 2 ? 'alice' : 'bob' })
      await world.settle()
      await world.act({ kind: 'refresh', tab: (tab + 1) % 3 })
      await world.settle()
      // Past the refresh point: one tab refreshes for all.
      await world.act({ kind: 'advance', ms: 241_000 })
      await world.settle()
      if (i % 3 === 2) {
        await world.act({ kind: 'logout', tab: (tab + 2) % 3 })
        await world.settle()
      }
      timers.push(vi.getTimerCount())
    }
    expect(world.check([])).toEqual([])
    // Per tab: its session's refresh timer, and nothing left from the rounds before.
    expect(Math.max(...timers)).toBeLessThanOrEqual(3)
    // The largest message is the last 64 ended sign-ins' ids (an entry is about 400 characters).
    const sizes = post.mock.calls.map(([data]) => JSON.stringify(data).length)
    expect(Math.max(...sizes)).toBeLessThan(1_000)
    // Two calls a round (the refresh asked for, and the one at the refresh point), none spent twice.
    expect(world.stats).toMatchObject({ calls: 600, rotations: 600, rejections: 0 })
  } finally {
    await world.destroy()
  }
})
