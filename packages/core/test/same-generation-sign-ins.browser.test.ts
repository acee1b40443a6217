// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, type TokenStorage } from '../src'
import { token } from './helpers'
import { createLocks } from './support/locks'
import { useOutageTabs } from './support/outage'
import { useTabs } from './support/tabs'

/**
 * Two signed-out tabs where two users sign in within one message's delay: each stores its session as
 * the first of its kind (the same generation) before it hears of the other. Whichever order the news
 * comes in, both tabs must end up holding one session, and (with shared storage) the one stored last,
 * which a reload finds. Each used to take the other's, so they swapped users and one disagreed with
 * storage until its next refresh.
 */

const KEY = 'same-generation'
const alice = { accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-alice' }
const bob = { accessToken: token(300, { sub: 'bob' }), refreshToken: 'rt-bob' }
const held = (...tabs: AuthClient[]) =>
  tabs.map((t) => (t.getState().claims as { sub?: string } | null)?.sub ?? null)

describe('shared storage, news by its events', () => {
  const { track } = useTabs(KEY)
  // A synchronous shared storage (what localStorage is) whose change events the test hands to each tab
  // itself, in the order it wants: `heard[i](value)` is tab i hearing of a change.
  const signIns = () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
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
    const fromA = area.get(KEY)!
    b.setTokens(bob)
    const fromB = area.get(KEY)!
    return { a, b, fromA, fromB, heard, stored: () => area.get(KEY) }
  }

  it.each([
    ['the first tab hears first', [0, 1]],
    ['the last tab hears first', [1, 0]],
  ])('both tabs keep the sign-in stored last (%s)', (_, order) => {
    const s = signIns()
    for (const tab of order) s.heard[tab]!(tab === 0 ? s.fromB : s.fromA)
    expect(held(s.a, s.b)).toEqual(['bob', 'bob'])
    expect(s.stored()).toBe(s.fromB)
  })
})

describe('news by the tab channel', () => {
  const clients = useOutageTabs()
  const pair = (options: Parameters<typeof createAuthClient>[0]) => {
    const a = createAuthClient(options)
    const b = createAuthClient(options)
    clients.push(a, b)
    a.setTokens(alice)
    b.setTokens(bob)
    return { a, b }
  }

  it('cookie storage: both tabs keep the one the cookie holds', async () => {
    const { a, b } = pair({ storage: 'cookie', storageKey: KEY })
    await vi.advanceTimersByTimeAsync(50)
    expect(held(a, b)).toEqual(['bob', 'bob'])
    expect(document.cookie).toContain(`${KEY}=`)
    document.cookie = `${KEY}=; max-age=0; path=/`
  })

  it('memory tabs agree on one of the two', async () => {
    const { a, b } = pair({ syncTabs: 'memory', storageKey: KEY })
    await vi.advanceTimersByTimeAsync(50)
    const [first, second] = held(a, b)
    expect(first).toBe(second)
    expect(['alice', 'bob']).toContain(first)
  })

  it('copies of one sign-in in sessionStorage agree on one, and each stores it', async () => {
    // A copy made of a tab ("Duplicate tab"): one sign-in, so one channel; then the same user signs in
    // again in both before either hears of the other (same user, so the sign-in keeps its id).
    const options = { storage: 'sessionStorage', storageKey: KEY } as const
    const a = createAuthClient(options)
    a.setTokens(alice)
    const b = createAuthClient(options)
    clients.push(a, b)
    await vi.advanceTimersByTimeAsync(50)
    const again = (n: number) => ({ accessToken: token(300, { sub: 'alice', n }), refreshToken: `rt-${n}` })
    a.setTokens(again(1))
    b.setTokens(again(2))
    await vi.advanceTimersByTimeAsync(50)
    expect(a.getState().accessToken).toBe(b.getState().accessToken)
  })
})
