// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, type TokenStorage } from '../src'
import { token } from './helpers'
import { createLocks } from './support/locks'
import { slowStore } from './support/storages'
import { useTabs, wait } from './support/tabs'

/**
 * A storage event reporting a removal while storage still holds this tab's entry is old news (a logout
 * and a sign-in in quick succession, the sign-in's message heard first); messages are followed. What
 * the tab then knows of storage, a failed removal, async storages, a client destroyed on logout.
 */

const KEY = 'oldnews'
const { track, deliver, stored } = useTabs(KEY)

describe('after a late removal event is ignored, a later sign-out is still found', () => {
  // Switch account in B, heard by A as sign-in then (late) removal: the removal is ignored, and A still
  // knows storage holds bob's entry. A later sign-out in B that reaches A by no event (bfcache, a
  // missed event) is then found by a read: on wake-up, or under the refresh lock.
  const setup = (outOfOrder: boolean) => {
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const refresh = vi.fn(async () => ({
      accessToken: token(300, { sub: 'bob', n: 2 }),
      refreshToken: 'rt-2',
    }))
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    return { a, b, refresh, outOfOrder }
  }
  const switchAccount = async (a: AuthClient, b: AuthClient, outOfOrder: boolean) => {
    await b.logout()
    if (!outOfOrder) deliver(null)
    b.setTokens({ accessToken: token(300, { sub: 'bob' }), refreshToken: 'rt-bob' })
    deliver(stored())
    if (outOfOrder) deliver(null) // the logout's event, heard last: old news
    expect(a.getState().claims?.sub).toBe('bob')
    // Bob signs out in B; A hears nothing of it (in the back-forward cache, say).
    await b.logout()
    expect(stored()).toBeNull()
  }

  for (const outOfOrder of [false, true]) {
    it(`${outOfOrder ? 'news out of order' : 'control, in order'}: the wake-up re-read follows the sign-out`, async () => {
      const { a, b } = setup(outOfOrder)
      await switchAccount(a, b, outOfOrder)
      window.dispatchEvent(new Event('pageshow'))
      await wait()
      expect(a.getState().status).toBe('unauthenticated')
    })

    it(`${outOfOrder ? 'news out of order' : 'control, in order'}: a refresh finds the sign-out under the lock, spends nothing`, async () => {
      const { a, b, refresh } = setup(outOfOrder)
      await switchAccount(a, b, outOfOrder)
      const got = await a.refresh().catch((e: { code: string }) => `rejected: ${e.code}`)
      expect({ got, calls: refresh.mock.calls.length, stored: stored() }).toEqual({
        got: 'rejected: no_refresh',
        calls: 0,
        stored: null,
      })
    })
  }
})

describe('a logout whose removal failed in the tab that logged out (a custom sync storage with subscribe)', () => {
  // The message is followed although storage still holds the entry; the re-read then finds the ended
  // sign-in's entry and removes it.
  it('is completed by the tab that hears it: signed out, entry removed', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const backing = new Map<string, string>()
    const listeners = new Set<(v: string | null) => void>()
    let failRemove = false
    const tab = (): TokenStorage => {
      return {
        get: (k) => backing.get(k) ?? null,
        set: (k, v) => {
          backing.set(k, v)
        },
        remove: (k) => {
          if (failRemove) throw new Error('transient failure')
          backing.delete(k)
        },
        // Changes reported only to other contexts: here, none is reported at all (the test's tabs share
        // one page), so BroadcastChannel carries every change.
        subscribe: (_k, on) => {
          listeners.add(on)
          return () => listeners.delete(on)
        },
      }
    }
    const a = track(createAuthClient({ storage: tab(), storageKey: KEY }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    const b = track(createAuthClient({ storage: tab(), storageKey: KEY }))
    expect(b.getState().status).toBe('authenticated')
    const logouts: string[] = []
    a.on('logout', (e) => logouts.push(e.reason))
    failRemove = true
    await b.logout()
    failRemove = false
    await wait()
    expect({ logouts, a: a.getState().status, stored: backing.has(KEY) }).toEqual({
      logouts: ['other_tab'],
      a: 'unauthenticated',
      stored: false,
    })
  })
})

describe('custom async storage with subscribe: the check waits for the read', () => {
  it('a late removal after the sign-in signs nobody out and removes nothing', async () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const backing = new Map<string, string>()
    const subs: Array<(v: string | null) => void> = []
    const mk = (): TokenStorage => ({
      get: async (k) => backing.get(k) ?? null,
      set: async (k, v) => void backing.set(k, v),
      remove: async (k) => void backing.delete(k),
      subscribe: (_k, on) => {
        subs.push(on)
        return () => {}
      },
    })
    const a = track(createAuthClient({ storage: mk(), storageKey: KEY }))
    await a.ready
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    await wait()
    const b = track(createAuthClient({ storage: mk(), storageKey: KEY }))
    await b.ready
    const toA = subs[0]!
    await b.logout()
    const bob = token(300, { sub: 'bob' })
    b.setTokens({ accessToken: bob, refreshToken: 'rt-bob' })
    await wait()
    const signIn = backing.get(KEY)!
    toA(signIn)
    // Judged when the storage answers (what it holds tells which sign-in is newer), as a sync one is at once.
    await wait()
    expect(a.getState().accessToken).toBe(bob)
    toA(null)
    await wait()
    expect({ a: a.getState().accessToken, stored: backing.get(KEY) ?? null }).toEqual({
      a: bob,
      stored: signIn,
    })
  })
})

describe('two clients of one page (no storage event), BroadcastChannel only', () => {
  it('a plain logout in one is followed by the other (its read is current)', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: KEY }))
    await b.logout()
    await vi.waitFor(() => expect(a.getState().status).toBe('unauthenticated'))
    expect(stored()).toBeNull()
  })
})

describe('the tab that logged out is gone before the raced refresh entry reaches it', () => {
  // The client destroyed right after logout() (a provider unmounted on logout): its message reaches
  // the refreshing tab, which follows and removes its own raced entry. (Without BroadcastChannel, only
  // the storage event comes, which is old news while storage holds that entry: documented.)
  it('the refreshing tab follows the logout when its news comes, and removes its entry', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    let answer = () => {}
    const refresh = vi.fn(
      () =>
        new Promise<{ accessToken: string; refreshToken: string }>((resolve) => {
          answer = () => resolve({ accessToken: token(300, { sub: 'alice', n: 2 }), refreshToken: 'rt-1' })
        }),
    )
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    const refreshing = a.refresh().catch(() => {})
    await wait()
    await b.logout()
    b.destroy()
    answer()
    await refreshing
    await wait()
    const reloaded = track(createAuthClient({ storage: 'localStorage', storageKey: KEY }))
    expect({
      a: a.getState().status,
      stored: stored() !== null,
      reloaded: reloaded.getState().status,
    }).toEqual({
      a: 'unauthenticated',
      stored: false,
      reloaded: 'unauthenticated',
    })
  })
})

describe('async storage: a removal heard while the start-up read is in flight', () => {
  for (const channel of [false, true])
    it(`the tab that opened during a sign-out elsewhere ends signed out (BroadcastChannel: ${channel})`, async () => {
      if (!channel) vi.stubGlobal('BroadcastChannel', undefined)
      vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
      // Reads answer 50 ms later with what storage held when asked (an IndexedDB transaction, say).
      const backing = new Map<string, string>()
      const subs: Array<(v: string | null) => void> = []
      const store = slowStore(backing, { readMs: 50, listeners: subs })
      // The entry a signed-in tab (B) stored.
      const b = track(createAuthClient({ storage: store, storageKey: KEY }))
      await b.ready
      b.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
      await wait()
      expect(backing.has(KEY)).toBe(true)
      const a = track(
        createAuthClient({
          storage: store,
          storageKey: KEY,
          refresh: async () => ({ accessToken: token(300, { sub: 'alice' }) }),
        }),
      )
      await wait(10) // A's start-up read is in flight, holding the entry
      await b.logout() // B signs out…
      subs[1]!(null) // …and its storage event reaches A
      await a.ready
      await wait(120)
      expect({ a: a.getState().status, stored: backing.has(KEY) }).toEqual({
        a: 'unauthenticated',
        stored: false,
      })
    })
})
