// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { createAuthClient } from '../src'
import { token } from './helpers'
import { createLocks } from './support/locks'
import { logEvents, useTabs, wait } from './support/tabs'

/**
 * A sign-out in one tab racing a refresh in another: the refresh's result is stored just after the
 * sign-out removed the entry, and before its event reached the refreshing tab. That entry carries the
 * ended sign-in's id: it must not sign anybody back in, here, there, or on the next reload.
 */

const KEY = 'race'
const { track, racingTabs, deliver, stored } = useTabs(KEY)

describe('a refresh that lands just after a sign-out in another tab', () => {
  const setup = racingTabs

  it('the tab that signed out removes it instead of signing back in', async () => {
    const { a, b, events, answer } = setup()
    expect(b.getState().status).toBe('authenticated')
    const refreshing = a.refresh().catch((e: { code: string }) => `rejected: ${e.code}`)
    await wait()
    await b.logout()
    answer()
    await refreshing
    // A stored its refresh's result over the removal, before B's news reached it; now B hears of it.
    const raced = stored()
    expect(raced).not.toBeNull()
    deliver(raced)
    expect(b.getState().status).toBe('unauthenticated')
    expect(stored()).toBeNull()
    // …and A hears of B's sign-out, then of B's removal: both end signed out.
    deliver(null)
    expect(a.getState().status).toBe('unauthenticated')
    expect(events).toEqual(['b: logout user', 'a: refresh', 'a: logout other_tab'])
  })

  it('a sign-in after the sign-out is a new session there: adopted as ever', async () => {
    const { a, b, events } = setup()
    await b.logout()
    deliver(null)
    a.setTokens({ accessToken: token(300, { sub: 'alice', n: 3 }), refreshToken: 'rt-9' })
    deliver(stored())
    expect(b.getState().status).toBe('authenticated')
    expect(events).toEqual(['b: logout user', 'a: logout other_tab', 'b: login'])
  })
})

describe('a logout and a sign-in in quick succession in another tab, their news out of order', () => {
  // BroadcastChannel messages and storage events come by separate task sources, so a tab can hear of
  // the sign-in first and of the logout before it last. The logout is old news then.
  it('the late removal signs nobody out and removes nothing', async () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: KEY }))
    const events: string[] = []
    logEvents(events, 'a', a)
    // "Switch account": B signs out and bob signs in at once.
    await b.logout()
    const bob = token(300, { sub: 'bob' })
    b.setTokens({ accessToken: bob, refreshToken: 'rt-bob' })
    const signIn = stored()
    deliver(signIn)
    expect(a.getState().accessToken).toBe(bob)
    deliver(null)
    expect({ a: a.getState().accessToken, b: b.getState().accessToken, stored: stored() }).toEqual({
      a: bob,
      b: bob,
      stored: signIn,
    })
  })
})

describe('cookie storage: a logout message that arrives before this tab sees the cookie change', () => {
  // Chromium's cookie reads in one tab can lag another tab's write for a moment, and no event
  // follows: the message (from one tab, in order) is trusted, or this tab stays signed in until its
  // next refresh.
  it('is followed at once', async () => {
    const a = track(createAuthClient({ storage: 'cookie', storageKey: KEY }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    const logouts: string[] = []
    a.on('logout', (e) => logouts.push(e.reason))
    // Another tab's logout, as its messages say; this tab still reads the cookie.
    const other = new BroadcastChannel(`latchkey:${KEY}`)
    other.postMessage(null)
    other.postMessage(1)
    await vi.waitFor(() => expect(logouts).toEqual(['other_tab']))
    other.close()
  })
})
