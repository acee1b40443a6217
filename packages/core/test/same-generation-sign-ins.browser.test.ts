// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, type TokenSet, type TokenStorage } from '../src'
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

/**
 * A synchronous shared storage (what localStorage is to tabs) whose change events wait for the test:
 * each write queues an event for every other tab, and `hear(i)` hands tab i its next one (in order, as
 * a browser does). The tabs get no BroadcastChannel, so those events are all they hear.
 */
function queuedArea() {
  vi.stubGlobal('BroadcastChannel', undefined)
  vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
  const area = new Map<string, string>()
  const tabs: Array<{ on: (value: string | null) => void; queue: Array<string | null> }> = []
  const storage = (): TokenStorage => {
    const me = tabs.length
    tabs.push({ on: () => {}, queue: [] })
    const changed = (value: string | null) => {
      for (const [i, tab] of tabs.entries()) if (i !== me) tab.queue.push(value)
    }
    return {
      get: (k) => area.get(k) ?? null,
      set: (k, v) => {
        area.set(k, v)
        changed(v)
      },
      remove: (k) => {
        area.delete(k)
        changed(null)
      },
      subscribe: (_, on) => {
        tabs[me]!.on = on
        return () => {}
      },
    }
  }
  const hear = (i: number) => {
    const tab = tabs[i]!
    if (tab.queue.length) tab.on(tab.queue.shift()!)
  }
  /** Every tab hears everything queued, round by round, until nothing is left. */
  const settle = () => {
    while (tabs.some((t) => t.queue.length)) for (const i of tabs.keys()) hear(i)
  }
  return { storage, hear, settle, stored: () => area.get(KEY) }
}

describe('shared storage, news by its events', () => {
  const { track } = useTabs(KEY)

  it.each([
    ['the first tab hears first', [0, 1]],
    ['the last tab hears first', [1, 0]],
  ])('both tabs keep the sign-in stored last (%s)', (_, order) => {
    const { storage, hear, stored } = queuedArea()
    const a = track(createAuthClient({ storage: storage(), storageKey: KEY }))
    const b = track(createAuthClient({ storage: storage(), storageKey: KEY }))
    a.setTokens(alice)
    b.setTokens(bob)
    const fromB = stored()
    for (const tab of order) hear(tab)
    expect(held(a, b)).toEqual(['bob', 'bob'])
    expect(stored()).toBe(fromB)
  })
})

describe('a sign-in of another user in one tab while a renewal of the sign-in it replaces is on the wire in another', () => {
  // Tab one renews alice's session while, in tab two, bob signs in; the renewal's answer comes before
  // tab one heard of bob. Bob's sign-in, made by the user, must win in every tab: stored after it, the
  // renewal would sign alice back in where bob just signed in.
  const { track } = useTabs(KEY)
  const setup = () => {
    const { storage, hear, settle, stored } = queuedArea()
    let answer: ((tokens: TokenSet) => void) | undefined
    const refresh = () => new Promise<TokenSet>((resolve) => (answer = resolve))
    const a = track(createAuthClient({ storage: storage(), storageKey: KEY, refresh }))
    const b = track(createAuthClient({ storage: storage(), storageKey: KEY, refresh }))
    a.setTokens(alice)
    settle()
    /** Starts a refresh in tab one and waits until it calls the endpoint (it takes the lock first). */
    const renewing = async () => {
      const renewed = a.refresh()
      await vi.waitFor(() => expect(answer).toBeDefined())
      return (n: number) => {
        answer!({ accessToken: token(300, { sub: 'alice', n }), refreshToken: `rt-alice-${n}` })
        answer = undefined
        return renewed.catch((e: { code: string }) => e.code)
      }
    }
    return { a, b, hear, settle, stored, renewing }
  }

  it('the renewal is dropped, not stored over the sign-in', async () => {
    const { a, b, settle, stored, renewing } = setup()
    const answer = await renewing()
    b.setTokens(bob)
    const fromB = stored()
    expect(await answer(2)).toBe('no_refresh')
    expect(stored()).toBe(fromB)
    settle()
    expect(held(a, b)).toEqual(['bob', 'bob'])
    expect(stored()).toBe(fromB)
  })

  it('a sign-out stored during the call, seen as the answer comes, drops the renewal too', async () => {
    const { a, b, settle, stored, renewing } = setup()
    const answer = await renewing()
    await b.logout()
    expect(await answer(2)).toBe('no_refresh')
    expect(stored()).toBeUndefined()
    settle()
    expect(held(a, b)).toEqual([null, null])
    expect(stored()).toBeUndefined()
  })

  it('also when tab one is a renewal ahead of tab two', async () => {
    const { a, b, settle, stored, renewing } = setup()
    // Tab one renews twice; tab two hears of neither before bob signs in there.
    await (await renewing())(2)
    const answer = await renewing()
    b.setTokens(bob)
    const fromB = stored()
    expect(await answer(3)).toBe('no_refresh')
    settle()
    expect(held(a, b)).toEqual(['bob', 'bob'])
    expect(stored()).toBe(fromB)
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
