// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { createAuthClient, type RefreshContext, type TokenSet } from '../src'
import { token } from './helpers'
import { createLocks } from './support/locks'
import { slowStore } from './support/storages'
import { logEvents, useTabs, wait } from './support/tabs'

/**
 * Garbage another script writes over the entry, heard of by a tab (a storage event) after another tab has
 * stored something over it, or found and removed by a tab that holds no session. Two clients in one
 * window stand in for two tabs; without BroadcastChannel the test hands each storage event over itself.
 */
const KEY = 'garbage-news'
const { track, deliver, stored } = useTabs(KEY)

/** A refresh endpoint that rotates refresh tokens and rejects one spent twice (400, as invalid_grant). */
function rotation() {
  let current = 'rt-0'
  const spent: string[] = []
  const refresh = vi.fn(async ({ refreshToken }: RefreshContext): Promise<TokenSet> => {
    spent.push(refreshToken!)
    if (refreshToken !== current) throw Object.assign(new Error('invalid_grant'), { status: 400 })
    current = `rt-${spent.length}`
    return { accessToken: token(300, { sub: 'alice', n: spent.length }), refreshToken: current }
  })
  return { refresh, spent }
}

describe('news of garbage that another tab has stored over since', () => {
  it('writes no older session over that tab’s renewal: its refresh token is not spent again', async () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const { refresh, spent } = rotation()
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    // A script writes garbage over the entry. Before B's storage event for it runs, A renews the session:
    // its refresh finds the garbage in the lock, reports it, and stores the renewal over it.
    localStorage.setItem(KEY, 'garbage')
    const renewed = await a.refresh()
    const renewal = stored()
    expect(JSON.parse(renewal!)).toMatchObject({ at: renewed, rt: 'rt-1' })
    // B hears of the garbage now: reported, but storage no longer holds it. Written back, B's session
    // (rt-0, spent) replaced A's renewal, and a reload or a new tab spent rt-0 again.
    deliver('garbage')
    expect(b.getState().error?.code).toBe('storage_corrupt')
    expect(stored()).toBe(renewal)
    deliver(renewal)
    expect(b.getState().accessToken).toBe(renewed)
    const c = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    expect(c.getState().accessToken).toBe(renewed)
    await c.refresh()
    expect(spent).toEqual(['rt-0', 'rt-1'])
  })

  it('in a tab that holds no session, does not remove a sign-in stored over the garbage since', () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY }))
    // B, opened before A's sign-in, has not heard of it (its storage event is not delivered here).
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: KEY }))
    // A script writes garbage, then A signs in over it. B hears of the garbage only now (A too, first).
    localStorage.setItem(KEY, 'garbage')
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    const entry = stored()
    deliver('garbage')
    expect(b.getState().error?.code).toBe('storage_corrupt')
    // Removed, A's sign-in was gone for a reload and for every tab still to hear of it.
    expect(stored()).toBe(entry)
    deliver(entry)
    expect(b.getState().accessToken).toBe(a.getState().accessToken)
  })

  it('that a tab holding no session removes: the tabs that hold one write it back, and nobody signs out', async () => {
    // B's storage listener runs before A's.
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: KEY }))
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY }))
    const events: string[] = []
    logEvents(events, 'a', a)
    logEvents(events, 'b', b)
    const t = token(300, { sub: 'alice' })
    a.setTokens({ accessToken: t, refreshToken: 'rt-0' })
    const entry = stored()
    // A script of a third page writes garbage. Both tabs hear it before B hears of A's sign-in (messages
    // take a task): B, holding no session, removes it; A hears it after that removal, so it has nothing
    // left to write over, and is told by B instead.
    localStorage.setItem(KEY, 'garbage')
    deliver('garbage')
    await vi.waitFor(() => expect(stored()).toBe(entry))
    await vi.waitFor(() => expect(b.getState().accessToken).toBe(t))
    await wait(50)
    expect(a.getState()).toMatchObject({ status: 'authenticated', accessToken: t })
    expect(stored()).toBe(entry)
    expect(events).toEqual(['b: login'])
  })
})

describe('news of garbage in a shared async storage', () => {
  it('that a new tab removed at start-up: the tab holding a session still writes it back', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const data = new Map<string, string>()
    const heard: Array<(value: string | null) => void> = []
    const b = track(
      createAuthClient({ storage: slowStore(data, { readMs: 1, listeners: heard }), storageKey: KEY }),
    )
    await b.ready
    const t = token(300, { sub: 'alice' })
    b.setTokens({ accessToken: t, refreshToken: 'rt-0' })
    await wait()
    const entry = data.get(KEY)
    expect(entry).toBeDefined()
    // A script writes garbage; a new tab finds it as it starts, reports it and removes it.
    data.set(KEY, 'garbage')
    const a = track(createAuthClient({ storage: slowStore(data, { readMs: 1 }), storageKey: KEY }))
    await a.ready
    expect(a.getState().error?.code).toBe('storage_corrupt')
    await wait()
    expect(data.has(KEY)).toBe(false)
    // B hears of the garbage now (the storage's change event): reported, and its session kept. Written
    // back only over the garbage, it found nothing there and wrote nothing: a reload signed out.
    heard[0]!('garbage')
    await vi.waitFor(() => expect(b.getState().error?.code).toBe('storage_corrupt'))
    await wait(100)
    expect(b.getState()).toMatchObject({ status: 'authenticated', accessToken: t })
    expect(data.get(KEY)).toBe(entry)
  })
})
