// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, type TokenStorage } from '../src'
import { token } from './helpers'
import { createLocks } from './support/locks'
import { useOutageTabs } from './support/outage'
import { useTabs } from './support/tabs'

/**
 * A sign-out in one tab made after a sign-in in another, before the signing-out tab heard of it (it
 * was busy). The sign-out is stored last: it removed the new entry, and the other tabs follow the
 * removal. When the late news of the sign-in reaches the tab that signed out, it must stay signed out:
 * it used to take that session, held it while every other tab and storage had none, and (a cookie, no
 * storage events) stored it again at its next refresh, signing every tab back in.
 */

const KEY = 'unheard-sign-in'
const alice = { accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-alice' }
const bob = { accessToken: token(300, { sub: 'bob' }), refreshToken: 'rt-bob' }
const held = (...tabs: AuthClient[]) =>
  tabs.map((t) => (t.getState().claims as { sub?: string } | null)?.sub ?? null)

describe('shared storage, news by its events', () => {
  const { track } = useTabs(KEY)

  it.each([
    ['the signed-out tab hears first', [0, 1]],
    ['the signed-in tab hears first', [1, 0]],
  ])('the tab that signed out takes no sign-in its sign-out removed (%s)', (_, order) => {
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    // A synchronous shared storage (what localStorage is) whose change events the test hands to each
    // tab itself: `heard[i](value)` is tab i hearing of a change.
    const area = new Map<string, string>()
    const heard: Array<(value: string | null) => void> = []
    const storage: TokenStorage = {
      get: (k) => area.get(k) ?? null,
      set: (k, v) => void area.set(k, v),
      remove: (k) => void area.delete(k),
      subscribe: (_, on) => {
        heard.push(on)
        return () => {}
      },
    }
    const a = track(createAuthClient({ storage, storageKey: KEY }))
    const b = track(createAuthClient({ storage, storageKey: KEY }))
    a.setTokens(alice)
    heard[1]!(area.get(KEY)!)
    // B signs in as bob; A, busy, has not heard of it when it signs out.
    b.setTokens(bob)
    const fromB = area.get(KEY)!
    void a.logout()
    expect(area.has(KEY)).toBe(false)
    for (const tab of order) heard[tab]!(tab === 0 ? fromB : null)
    expect(held(a, b)).toEqual([null, null])
    expect(area.has(KEY)).toBe(false)
  })
})

describe("shared storage whose copy in the signing-out tab lags (Chromium's localStorage)", () => {
  const { track } = useTabs(KEY)

  /**
   * Each tab reads its own copy of the area, as a Chromium renderer does: a write lands in the writer's
   * copy and the area at once, and in another tab's copy when that tab hears of it, unless that tab
   * has changed the key itself since (its own change wins in its copy: `pending`). Tabs A and B start
   * with alice signed in.
   */
  function laggingTabs() {
    const area = new Map<string, string>()
    const copies = [new Map<string, string>(), new Map<string, string>()]
    const pending = [false, false]
    const heard: Array<(value: string | null) => void> = []
    const storageOf = (tab: number): TokenStorage => ({
      get: (k) => copies[tab]!.get(k) ?? null,
      set: (k, v) => {
        area.set(k, v)
        copies[tab]!.set(k, v)
        pending[tab] = true
      },
      remove: (k) => {
        area.delete(k)
        copies[tab]!.delete(k)
        pending[tab] = true
      },
      subscribe: (_, on) => {
        heard[tab] = on
        return () => {}
      },
    })
    /** Tab `tab` hears of a change to `value`; its copy takes it unless it changed the key since. */
    const hear = (tab: number, value: string | null) => {
      if (!pending[tab]) value === null ? copies[tab]!.delete(KEY) : copies[tab]!.set(KEY, value)
      heard[tab]!(value)
    }
    const settle = (tab: number) => {
      pending[tab] = false
      const v = area.get(KEY)
      v === undefined ? copies[tab]!.delete(KEY) : copies[tab]!.set(KEY, v)
    }
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const a = track(createAuthClient({ storage: storageOf(0), storageKey: KEY }))
    const b = track(createAuthClient({ storage: storageOf(1), storageKey: KEY }))
    // Alice signs in in A; B hears of it.
    a.setTokens(alice)
    settle(0)
    hear(1, area.get(KEY)!)
    settle(1)
    return { a, b, area, hear, settle }
  }

  it('a busy tab that signs out removes a sign-in it has not heard of, and takes no part of it later', () => {
    const { a, b, area, hear, settle } = laggingTabs()
    // B signs in as bob. A, busy, has not heard of it: its copy still shows alice's entry when it signs
    // out, and its removal removes bob's entry from the area.
    b.setTokens(bob)
    settle(1)
    const fromB = area.get(KEY)!
    void a.logout()
    expect(area.has(KEY)).toBe(false)
    hear(1, null)
    // The news of bob's sign-in reaches A after its own removal: its copy keeps the removal.
    hear(0, fromB)
    expect(held(a, b)).toEqual([null, null])
    expect(area.has(KEY)).toBe(false)
  })

  it("a sign-in made after the sign-out is taken, once the tab's copy shows it", () => {
    const { a, b, area, hear, settle } = laggingTabs()
    void a.logout()
    settle(0)
    hear(1, null)
    settle(1)
    expect(held(a, b)).toEqual([null, null])
    // Then B signs in as bob: A hears of it and takes it.
    b.setTokens(bob)
    hear(0, area.get(KEY)!)
    expect(held(a, b)).toEqual(['bob', 'bob'])
  })
})

describe('news by the tab channel', () => {
  const clients = useOutageTabs()

  it.each(['cookie', 'localStorage'] as const)(
    '%s: the tab that signed out stays signed out, and so do the others',
    async (storage) => {
      const a = createAuthClient({ storage, storageKey: KEY })
      const b = createAuthClient({ storage, storageKey: KEY })
      clients.push(a, b)
      a.setTokens(alice)
      await vi.advanceTimersByTimeAsync(50)
      expect(held(a, b)).toEqual(['alice', 'alice'])
      // Within one message's delay: B signs in as bob, then A (not told yet) signs out.
      b.setTokens(bob)
      void a.logout()
      await vi.advanceTimersByTimeAsync(50)
      expect(held(a, b)).toEqual([null, null])
      expect(document.cookie).not.toContain(`${KEY}=`)
      expect(localStorage.getItem(KEY)).toBeNull()
    },
  )
})
