// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type AuthClient,
  createAuthClient,
  createAuthFetch,
  type RefreshContext,
  type TokenSet,
} from '../src'
import { token } from './helpers'
import { heldApi } from './support/api'
import { createLocks } from './support/locks'

/**
 * The id per sign-in in the stored entry, met by entries without one (stored by an earlier version, or
 * written by a tab still running it during a rolling deploy), by a hostile id, and by a sign-in in
 * another tab found under the refresh lock before its storage event arrived.
 */
const clients: AuthClient[] = []
const track = (auth: AuthClient) => {
  clients.push(auth)
  return auth
}
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
  localStorage.clear()
})

const wait = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms))
const KEY = 'idk'
/** An entry as the previous version stored it: no `id`. */
const oldEntry = (at: string, rt: string, g: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ v: 1, at, rt, sk: 0, g, l: 300_000, ...extra })
/** Another tab's write, with the storage event a browser fires in the other tabs. */
const otherTabWrites = (value: string) => {
  localStorage.setItem(KEY, value)
  window.dispatchEvent(new StorageEvent('storage', { key: KEY, newValue: value, storageArea: localStorage }))
}
const endpoint = (next: () => TokenSet) =>
  vi.fn(async ({ signal }: RefreshContext): Promise<TokenSet> => {
    await new Promise((resolve, reject) => {
      setTimeout(resolve, 50)
      signal.addEventListener('abort', () => reject(signal.reason))
    })
    return next()
  })

describe('an entry without an id (an earlier version stored it) is one sign-in', () => {
  const renewalReplayed = async (extra: Record<string, unknown>) => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const old = token(300, { sub: 'alice' })
    const renewed = token(300, { sub: 'alice', n: 2 })
    localStorage.setItem(KEY, oldEntry(old, 'rt-0', 1, extra))
    const refresh = endpoint(() => ({ accessToken: renewed, refreshToken: 'rt-1' }))
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    const api = heldApi(old)
    const pending = createAuthFetch(b, { origins: ['https://api.example.com'], fetch: api.send })(
      'https://api.example.com/me',
    )
    await vi.waitFor(() => expect(api.sent).toHaveLength(1))
    await a.refresh()
    await vi.waitFor(() => expect(b.getState().accessToken).toBe(renewed))
    api.release()
    expect((await pending).status).toBe(200)
    expect({ sent: api.sent, refreshes: refresh.mock.calls.length }).toEqual({
      sent: [`Bearer ${old}`, `Bearer ${renewed}`],
      refreshes: 1,
    })
  }
  it('a renewal made in another tab is still a renewal: a late 401 here is replayed', () =>
    renewalReplayed({}))
  // Objects decoded in two tabs are never equal: a non-string id counts as none.
  it('the same with a tampered, non-string id in the stored entry', () => renewalReplayed({ id: { x: 1 } }))

  it("a refresh waiting here resolves with another tab's renewal of such an entry (API.md: refresh() resolves the new token)", async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const renewed = token(300, { sub: 'alice', n: 2 })
    localStorage.setItem(KEY, oldEntry(token(300, { sub: 'alice' }), 'rt-0', 1))
    const refresh = endpoint(() => ({ accessToken: renewed, refreshToken: 'rt-1' }))
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    const first = a.refresh()
    await vi.waitFor(() => expect(refresh).toHaveBeenCalled())
    const joined = b.refresh().catch((e: { code: string }) => `rejected: ${e.code}`)
    expect(await first).toBe(renewed)
    expect(await joined).toBe(renewed)
    expect(refresh).toHaveBeenCalledTimes(1)
  })

  it('a rolling deploy: a renewal written by a tab still on the earlier version (no id) is a renewal here', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const old = token(300, { sub: 'alice' })
    const renewed = token(300, { sub: 'alice', n: 2 })
    const b = track(
      createAuthClient({
        storage: 'localStorage',
        storageKey: KEY,
        refresh: endpoint(() => ({ accessToken: renewed })),
      }),
    )
    b.setTokens({ accessToken: old, refreshToken: 'rt-0' })
    const api = heldApi(old)
    const pending = createAuthFetch(b, { origins: ['https://api.example.com'], fetch: api.send })(
      'https://api.example.com/me',
    )
    await vi.waitFor(() => expect(api.sent).toHaveLength(1))
    // The earlier version renews the session it read and stores it without the id.
    otherTabWrites(oldEntry(renewed, 'rt-1', 2))
    expect(b.getState().accessToken).toBe(renewed)
    api.release()
    expect((await pending).status).toBe(200)
    expect(api.sent).toEqual([`Bearer ${old}`, `Bearer ${renewed}`])
  })
})

describe('a sign-in in another tab found under the refresh lock, before its storage event', () => {
  /** Another tab's sign-in as bob, as it stores it (opaque token, a generation ahead, its own id). */
  const bobEntry = () =>
    JSON.stringify({
      v: 1,
      at: 'opaque-bob',
      rt: 'rt-bob',
      sk: 0,
      g: 9,
      x: [Date.now() + 300_000, 300_000],
      id: 'bob-sign-in',
    })
  const opaque = (name: string) => ({
    accessToken: `opaque-${name}`,
    refreshToken: `rt-${name}`,
    expiresIn: 300,
  })

  it("is not taken for a renewal: refresh() does not resolve with the other sign-in's token", async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const refresh = endpoint(() => opaque('alice-2'))
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    a.setTokens(opaque('alice'))
    await wait()
    // Another tab signed in as bob: its entry is in storage, its storage event not yet delivered here.
    const bob = bobEntry()
    localStorage.setItem(KEY, bob)
    const events: string[] = []
    a.on('refresh', () => events.push('refresh'))
    const got = await a.refresh().catch((e: { code: string }) => `rejected: ${e.code}`)
    expect(got).toBe('rejected: no_refresh')
    // Alice's refresh token is not spent, nor is bob's entry overwritten; the sign-in is adopted and
    // announced at once (API.md: a new token from another tab emits refresh), and only once.
    expect(refresh).not.toHaveBeenCalled()
    expect(localStorage.getItem(KEY)).toBe(bob)
    expect(a.getState().accessToken).toBe('opaque-bob')
    otherTabWrites(bob)
    expect(events).toEqual(['refresh'])
  })

  it("returns a late 401 instead of replaying it with that sign-in's token", async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const refresh = endpoint(() => opaque('alice-2'))
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    a.setTokens(opaque('alice'))
    await wait()
    const api = heldApi('opaque-alice')
    const pending = createAuthFetch(a, { origins: ['https://api.example.com'], fetch: api.send })(
      'https://api.example.com/transfer',
      { method: 'POST', body: 'from alice' },
    )
    await vi.waitFor(() => expect(api.sent).toHaveLength(1))
    localStorage.setItem(KEY, bobEntry())
    api.release()
    expect((await pending).status).toBe(401)
    expect({ sent: api.sent, refreshes: refresh.mock.calls.length }).toEqual({
      sent: ['Bearer opaque-alice'],
      refreshes: 0,
    })
  })
})

describe('a sign-out in another tab found under the refresh lock, before its storage event', () => {
  // Cookie storage without BroadcastChannel gets no event at all; localStorage's may come after the
  // refresh starts. A refresh then would store a new session the user just ended in the other tab.
  it('is followed: nothing is spent or stored, and logout is announced once', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const refresh = endpoint(() => ({
      accessToken: token(300, { sub: 'alice', n: 2 }),
      refreshToken: 'rt-1',
    }))
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    await wait()
    const events: string[] = []
    a.on('logout', (e) => events.push(`logout: ${e.reason}`))
    a.on('refresh', () => events.push('refresh'))
    // The other tab signed out: the entry is gone, its storage event not yet delivered here.
    localStorage.removeItem(KEY)
    const got = await a.refresh().catch((e: { code: string }) => `rejected: ${e.code}`)
    expect(got).toBe('rejected: no_refresh')
    expect(refresh).not.toHaveBeenCalled()
    expect(localStorage.getItem(KEY)).toBeNull()
    expect(a.getState()).toMatchObject({ status: 'unauthenticated', accessToken: null })
    window.dispatchEvent(new StorageEvent('storage', { key: KEY, newValue: null, storageArea: localStorage }))
    expect(events).toEqual(['logout: other_tab'])
  })

  it('an entry too large for the cookie (kept in memory here) is no sign-out: the refresh goes ahead', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const renewed = token(300, { sub: 'alice', n: 2 })
    const refresh = endpoint(() => ({ accessToken: renewed, refreshToken: 'rt-1' }))
    const a = track(createAuthClient({ storage: 'cookie', storageKey: KEY, refresh }))
    a.setTokens({ accessToken: token(300, { sub: 'alice', blob: 'x'.repeat(5_000) }), refreshToken: 'rt-0' })
    expect(a.getState().error?.code).toBe('storage_unavailable')
    await expect(a.refresh()).resolves.toBe(renewed)
    expect(refresh).toHaveBeenCalledTimes(1)
  })
})
