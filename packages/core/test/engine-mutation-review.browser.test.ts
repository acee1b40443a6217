// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { createAuthClient, type TokenSet } from '../src'
import { T0, token } from './helpers'
import { otherTab, signedInTabs, useOutageTabs } from './support/outage'

/**
 * Mutation review of the engine (createAuthClient, tabSync, wake): each test pins a behaviour that a
 * single mutation of those files broke while the rest of the suite passed. Harness of outage-tabs: fake
 * timers from T0, a BroadcastChannel stand-in delivering each message as a timer task, fake Web Locks.
 */
const clients = useOutageTabs()

const tabs = (names: string[], refresh: (tab: string) => Promise<TokenSet>, options = {}) =>
  signedInTabs(clients, names, refresh, options)

const renewed = async (): Promise<TokenSet> => ({ accessToken: token(300), refreshToken: 'rt-1' })

describe('engine mutation review', () => {
  // tabSync.ts: only arrays whose first item (the failing tab's retry time) is > 0 are failures.
  it('an array on the channel whose retry time is not positive is no failure: the due refresh still asks', async () => {
    const { list, calls, events } = tabs(['a'], renewed)
    const [a] = list
    // Another script holds the refresh lock for a moment, so the message comes while the refresh waits.
    let release = () => {}
    void navigator.locks.request('latchkey:latchkey', () => new Promise<void>((r) => (release = r)))
    await vi.advanceTimersByTimeAsync(240_100)
    expect(a!.getState().isRefreshing).toBe(true)
    otherTab().postMessage([0, a!.getState().expiresAt, 'refresh_failed', 503])
    await vi.advanceTimersByTimeAsync(100)
    release()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(calls).toEqual(['a 240200'])
    expect(events).toEqual(['a: refresh'])
  })

  // wake.ts: API.md, Scheduling: "On `visibilitychange` (to visible) …"; a tab being hidden is no wake-up.
  it('a tab hidden after the machine slept past the refresh time does not re-check then; shown, it does', async () => {
    const { list } = tabs(['a'], renewed)
    const [a] = list
    await vi.advanceTimersByTimeAsync(100)
    // Timers slept (a suspended laptop): the clock moved past the due time (240 s), and no timer fired.
    vi.setSystemTime(T0 + 250_000)
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden')
    document.dispatchEvent(new Event('visibilitychange'))
    // A re-check would have started the refresh at once (isRefreshing is committed synchronously).
    expect(a!.getState().isRefreshing).toBe(false)
    visibility.mockReturnValue('visible')
    document.dispatchEvent(new Event('visibilitychange'))
    expect(a!.getState().isRefreshing).toBe(true)
  })

  // tabFollower.ts adopt(): "Heard from a copy of this sign-in (sessionStorage): stored in this tab's
  // own storage too."
  it('sessionStorage: a copy that hears the renewal stores it in its own area, so a reload resumes it', async () => {
    let n = 0
    const refresh = async (): Promise<TokenSet> => ({
      accessToken: token(300, { n: ++n }),
      refreshToken: `rt-${n}`,
    })
    const a = createAuthClient({ storage: 'sessionStorage', refresh })
    clients.push(a)
    a.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    // A copy of the tab ("Duplicate tab"): its sessionStorage starts as a copy of A's.
    const b = createAuthClient({ storage: 'sessionStorage', refresh })
    clients.push(b)
    await vi.advanceTimersByTimeAsync(100)
    // Each tab has an area of its own; here both share one: once A stored its renewal, the area is emptied
    // to stand for B's own, which holds nothing of it until B hears the news.
    a.on('refresh', () => sessionStorage.clear())
    const renewal = a.refresh()
    await vi.advanceTimersByTimeAsync(200)
    const renewedToken = await renewal
    expect(b.getState().accessToken).toBe(renewedToken)
    // B reloaded: it resumes the renewed session, not the one whose refresh token A spent.
    const reloaded = createAuthClient({ storage: 'sessionStorage', refresh })
    clients.push(reloaded)
    expect(reloaded.getState().accessToken).toBe(renewedToken)
  })
})
