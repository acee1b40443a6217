// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { createAuthClient, type TokenStorage } from '../src'
import { token } from './helpers'
import { createLocks } from './support/locks'
import { slowStore } from './support/storages'
import { useTabs, wait } from './support/tabs'

/**
 * What a tab knows shared storage holds: an entry heard over BroadcastChannel counts once the tab reads
 * it there, a read that began before the tab stored a refresh is stale, and an async write that lands
 * after the tab took something else (a sign-out there, its own logout) is put right.
 */

const KEY = 'rv'
const { track } = useTabs(KEY)
const renewer = () => {
  let n = 0
  return vi.fn(async () => {
    n++
    return { accessToken: token(300, { sub: 'alice', n }), refreshToken: `rt-${n}` }
  })
}

describe('cookie storage with BroadcastChannel: a renewal heard over the channel leaves `confirmed` stale', () => {
  const setup = () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const refresh = renewer()
    const a = track(createAuthClient({ storage: 'cookie', storageKey: KEY, refresh }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    // B opens with the session read from the cookie.
    const b = track(createAuthClient({ storage: 'cookie', storageKey: KEY, refresh }))
    return { a, b, refresh }
  }

  it('the cookie gone (Max-Age ran out while the laptop slept): every tab is signed out on wake', async () => {
    const { a, b } = setup()
    await a.refresh() // A renews; B hears it over BroadcastChannel (stored in the cookie all right)
    await wait()
    expect(b.getState().accessToken).toBe(a.getState().accessToken)
    document.cookie = `${KEY}=; Path=/; Max-Age=0` // expired while asleep
    window.dispatchEvent(new Event('focus'))
    await wait()
    expect(a.getState().status).toBe('unauthenticated')
    expect(b.getState().status).toBe('unauthenticated')
  })

  it('…and under the refresh lock: nothing is spent', async () => {
    const { a, b, refresh } = setup()
    await a.refresh()
    await wait()
    document.cookie = `${KEY}=; Path=/; Max-Age=0`
    const got = await b.refresh().catch((e: { code: string }) => `rejected: ${e.code}`)
    expect(got).toBe('rejected: no_refresh')
    expect(refresh).toHaveBeenCalledTimes(1)
  })
})

describe('an async read that began before this tab stored its refresh', () => {
  it('does not make a later sign-out (found under the lock) look like no sign-out', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    // An async store whose reads answer 50 ms later with what it held when asked; writes land at once.
    // Its events never arrive.
    const backing = new Map<string, string>()
    const store = slowStore(backing, { readMs: 50 })
    const refresh = renewer()
    const a = track(createAuthClient({ storage: store, storageKey: KEY, refresh }))
    await a.ready
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    await wait(10)
    const first = a.refresh()
    await wait(25)
    window.dispatchEvent(new Event('focus')) // a wake-up re-read, asked before the refresh stores
    await first
    await wait(80) // the re-read answers (the entry before the refresh), ignored as older
    const events: string[] = []
    a.on('logout', (e) => events.push(`logout ${e.reason}`))
    backing.delete(KEY) // another tab signs out; no event reaches this one
    const got = await a.refresh().catch((e: { code: string }) => `rejected: ${e.code}`)
    expect(got).toBe('rejected: no_refresh')
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(backing.has(KEY)).toBe(false)
    expect(events).toEqual(['logout other_tab'])
  })
})

describe('an async write that lands after the sign-out it raced', () => {
  // The encrypting store of sign-out-edges: set() encrypts (30 ms), then writes; get/remove at once.
  const encrypting = () => {
    const backing = new Map<string, string>()
    let hear: (v: string | null) => void = () => {}
    let writing = 0
    const store: TokenStorage = {
      get: async (k) => backing.get(k) ?? null,
      set: (k, v) => {
        writing++
        return new Promise<void>((r) =>
          setTimeout(() => {
            writing--
            r(void backing.set(k, v))
          }, 30),
        )
      },
      remove: async (k) => void backing.delete(k),
      subscribe: (_k, fn) => {
        hear = fn
        return () => {}
      },
    }
    /**
     * Once no write is landing any more, storage holds no entry: what landed late was removed again.
     * Waited for (up to 2 s), not timed, so a busy machine does not fail it.
     */
    const endsEmpty = () =>
      vi.waitFor(() => expect({ writing, stored: backing.has(KEY) }).toEqual({ writing: 0, stored: false }), {
        timeout: 2_000,
      })
    return { backing, store, hear: (v: string | null) => hear(v), endsEmpty }
  }

  it('the refreshing tab removes its own entry when the sign-out reached it before the write landed', async () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const { store, hear, backing, endsEmpty } = encrypting()
    const refresh = renewer()
    const a = track(createAuthClient({ storage: store, storageKey: KEY, refresh }))
    await a.ready
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    await wait(50)
    const refreshing = a.refresh().catch(() => {})
    await wait(15) // the refresh answered; its entry is being encrypted
    // Tab B (closed right after) signs out: the entry is removed, and its event reaches A.
    backing.delete(KEY)
    hear(null)
    // Checked against storage first (a removal there may be old news): an async read.
    await vi.waitFor(() => expect(a.getState().status).toBe('unauthenticated'))
    await refreshing
    await endsEmpty()
    // A reload signs nobody in.
    const reloaded = track(createAuthClient({ storage: store, storageKey: KEY }))
    await reloaded.ready
    expect(reloaded.getState().status).toBe('unauthenticated')
  })

  it('a logout() here while the refresh result is still being written leaves nothing stored', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const { store, endsEmpty } = encrypting()
    const refresh = renewer()
    const a = track(createAuthClient({ storage: store, storageKey: KEY, refresh }))
    await a.ready
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    await wait(50)
    const refreshing = a.refresh().catch(() => {})
    await wait(15)
    await a.logout()
    await refreshing
    await endsEmpty()
  })

  it('a storage of this tab alone (no subscribe: React Native, say): a sign-in still being written when logout() removed it is removed again', async () => {
    const { store, endsEmpty } = encrypting()
    const { subscribe: _, ...alone } = store
    const a = track(createAuthClient({ storage: alone, storageKey: KEY }))
    await a.ready
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    await a.logout()
    // The removal landed at once; the sign-in lands 30 ms later, over it. Nothing else writes to this
    // storage, so what the tab holds (nothing) is written again without reading it first.
    await endsEmpty()
    const reloaded = track(createAuthClient({ storage: alone, storageKey: KEY }))
    await reloaded.ready
    expect(reloaded.getState().status).toBe('unauthenticated')
  })
})
