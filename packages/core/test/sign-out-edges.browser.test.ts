// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { createAuthClient, type RefreshContext, type TokenSet, type TokenStorage } from '../src'
import { token } from './helpers'
import { createLocks } from './support/locks'
import { logEvents, useTabs, wait } from './support/tabs'

/**
 * A sign-out found under the refresh lock, and entries of an ended sign-in: where storage is empty
 * without a sign-out (an entry never stored, or not yet), and where the ended sign-in must be kept
 * in mind (a second logout(), a tab that followed and logged out itself, a refresh with no session).
 */

const KEY = 'review'
const { track, racingTabs, deliver, stored, unseen } = useTabs(KEY)

describe('false sign-outs: an empty entry under the lock while the session is alive', () => {
  it('an async storage whose write has not landed yet (an encrypting store) is no sign-out', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    // An encrypted store: set() encrypts first (async crypto), then writes; get() reads at once.
    const backing = new Map<string, string>()
    const store: TokenStorage = {
      get: async (k) => backing.get(k) ?? null,
      set: (k, v) => new Promise<void>((r) => setTimeout(() => r(void backing.set(k, v)), 30)),
      remove: async (k) => void backing.delete(k),
      subscribe: () => () => {},
    }
    const renewed = token(300, { sub: 'alice', n: 2 })
    const refresh = vi.fn(async () => ({ accessToken: renewed, refreshToken: 'rt-1' }))
    const auth = track(createAuthClient({ storage: store, storageKey: KEY, refresh }))
    await auth.ready
    const events: string[] = []
    logEvents(events, 'a', auth)
    // Tokens handed over by the page, access token about to expire: the refresh starts at once.
    auth.setTokens({ accessToken: token(30, { sub: 'alice' }), refreshToken: 'rt-0' })
    const got = await auth.refresh().catch((e: { code: string }) => `rejected: ${e.code}`)
    await wait(100)
    expect(got === renewed ? 'renewed' : got).toBe('renewed')
    expect(auth.getState().status).toBe('authenticated')
    expect(events).toEqual(['a: refresh'])
    expect(refresh).toHaveBeenCalledTimes(1)
  })

  it('cookie mode, an entry too large for the cookie: a tab that got it over BroadcastChannel is not signed out', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    // Large tokens (an IdP that puts groups in the JWT): over 4 KB, kept in memory by the tab that set
    // them, and posted to the other tabs over BroadcastChannel all the same.
    const big = { sub: 'alice', groups: 'g'.repeat(5_000) }
    const renewed = token(300, { ...big, n: 2 })
    const refresh = vi.fn(async () => ({ accessToken: renewed, refreshToken: 'rt-1' }))
    const b = track(createAuthClient({ storage: 'cookie', storageKey: KEY, refresh }))
    const a = track(createAuthClient({ storage: 'cookie', storageKey: KEY, refresh }))
    const events: string[] = []
    logEvents(events, 'b', b)
    a.setTokens({ accessToken: token(300, big), refreshToken: 'rt-0' })
    expect(a.getState().error?.code).toBe('storage_unavailable')
    await wait()
    expect(b.getState().status).toBe('authenticated')
    // B's turn to refresh: the cookie is empty, as it has been since the sign-in (nothing fits it).
    const got = await b.refresh().catch((e: { code: string }) => `rejected: ${e.code}`)
    expect(got === renewed ? 'renewed' : got).toBe('renewed')
    expect(b.getState().status).toBe('authenticated')
    expect(events).toEqual(['b: login', 'b: refresh'])
  })

  it('the same tab, waking up: the empty cookie it re-reads is no sign-out either', async () => {
    const big = { sub: 'alice', groups: 'g'.repeat(5_000) }
    const b = track(createAuthClient({ storage: 'cookie', storageKey: KEY }))
    const a = track(createAuthClient({ storage: 'cookie', storageKey: KEY }))
    const events: string[] = []
    logEvents(events, 'b', b)
    a.setTokens({ accessToken: token(300, big), refreshToken: 'rt-0' })
    await wait()
    window.dispatchEvent(new Event('focus'))
    await wait()
    expect(b.getState().status).toBe('authenticated')
    expect(events).toEqual(['b: login'])
  })
})

describe('`ended` lost or misapplied', () => {
  const setup = racingTabs

  it('a second logout() (a sign-out page calling it again) keeps the raced entry out', async () => {
    const { a, b, events, answer } = setup()
    const refreshing = a.refresh().catch((e: { code: string }) => `rejected: ${e.code}`)
    await wait()
    await b.logout()
    // The app's /login route (or a logout listener) calls logout() again, signed out already.
    await b.logout()
    answer()
    await refreshing
    const raced = stored()
    expect(raced).not.toBeNull()
    deliver(raced)
    expect(b.getState().status).toBe('unauthenticated')
    expect(stored()).toBeNull()
    expect(events.filter((e) => e.startsWith('b:'))).toEqual(['b: logout user', 'b: logout user'])
  })

  it('a tab that followed the logout and then called logout() itself keeps the raced entry out', async () => {
    const { a, b, answer } = setup()
    // Tab C's own view of localStorage: its storage events are delivered by hand, to C alone.
    let toC: (v: string | null) => void = () => {}
    const cStore: TokenStorage = {
      get: (k) => localStorage.getItem(k),
      set: (k, v) => localStorage.setItem(k, v),
      remove: (k) => localStorage.removeItem(k),
      subscribe: (_k, fn) => {
        toC = fn
        return () => {}
      },
    }
    const c = track(createAuthClient({ storage: cStore, storageKey: KEY }))
    expect(c.getState().status).toBe('authenticated')
    // A common pattern: a tab reacts to a sign-out elsewhere by calling logout() (app state, server call).
    c.on('logout', (e) => {
      if (e.reason === 'other_tab') void c.logout()
    })
    const refreshing = a.refresh().catch(() => {})
    await wait()
    await b.logout()
    toC(null) // C hears of B's sign-out (A not yet)
    expect(c.getState().status).toBe('unauthenticated')
    answer()
    await refreshing
    const raced = stored()
    expect(raced).not.toBeNull()
    toC(raced) // C hears of A's raced write
    expect(c.getState().status).toBe('unauthenticated')
    expect(stored()).toBeNull()
  })

  it('refreshWithoutToken: a refresh after the logout here does not take up the raced entry', async () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    let answer = () => {}
    const slow = vi.fn(() => {
      const began = stored()
      return new Promise<TokenSet>((resolve) => {
        answer = () => {
          unseen(began)
          resolve({ accessToken: token(300, { sub: 'alice', n: 2 }), refreshToken: 'rt-1' })
        }
      })
    })
    // A BFF-style refresh (cookie on the server side): B may refresh with no session at all.
    const silent = vi.fn(async ({ refreshToken }: RefreshContext) => {
      if (refreshToken) throw Object.assign(new Error('spent the ended sign-in'), { refreshToken })
      return { accessToken: token(300, { sub: 'bob' }) }
    })
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh: slow }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    const b = track(
      createAuthClient({
        storage: 'localStorage',
        storageKey: KEY,
        refresh: silent,
        refreshWithoutToken: true,
      }),
    )
    const refreshing = a.refresh().catch(() => {})
    await wait()
    await b.logout()
    answer()
    await refreshing
    expect(stored()).not.toBeNull() // A's raced entry of the ended sign-in, its event not yet in B
    // The sign-in page tries a silent sign-in.
    await b.refresh().catch(() => {})
    expect(silent.mock.calls.map(([c]) => c.refreshToken)).toEqual([null])
    expect(b.getState().claims?.sub).not.toBe('alice')
  })

  // As a logout there outranks a login() still pending here, it outranks the same user's tokens set
  // here before its news came (a sign-in begun before the logout): the logout wins, in every tab.
  it("a same-user setTokens() in a tab the logout's news had not reached yet: the logout wins everywhere", async () => {
    const { a, b, events } = setup()
    await b.logout() // entry removed; its event not yet in A
    const fresh = token(300, { sub: 'alice', n: 9 })
    a.setTokens({ accessToken: fresh, refreshToken: 'rt-new' })
    // B hears of A's entry: of the sign-in it ended (the same user's setTokens keeps its id). Removed.
    deliver(stored())
    expect(b.getState().status).toBe('unauthenticated')
    expect(stored()).toBeNull()
    // A hears of the removal.
    deliver(null)
    expect(a.getState().status).toBe('unauthenticated')
    expect(events).toEqual(['b: logout user', 'a: logout other_tab'])
  })
})
