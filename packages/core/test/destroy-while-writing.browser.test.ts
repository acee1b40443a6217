// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flush, T0 } from './helpers'
import { createLocks } from './support/locks'
import { heldRotatingRefresh, lateStorage, seedRandom, signedInPair } from './support/rotating'

/**
 * A tab's renewal is written to a shared async storage inside the refresh lock, and the lock is let go
 * once the write landed, so the next holder reads it. A tab closed (`destroy()`) while that write was
 * landing used to let go at once: the tab waiting for the lock read the entry before the renewal and
 * spent the rotated refresh token again (Auth0/Okta then revoke the sign-in).
 */

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('a tab destroyed while its renewal is being written', () => {
  it.each([
    ['Web Locks', () => createLocks()],
    ['the localStorage lease', () => undefined],
  ])('holds the refresh lock (%s) until the write landed: the next tab adopts it', async (_, locks) => {
    vi.useFakeTimers({ now: T0 })
    seedRandom()
    vi.stubGlobal('navigator', { ...navigator, locks: locks() })
    vi.stubGlobal('BroadcastChannel', undefined)
    localStorage.clear()
    // A shared async storage whose writes land 100 ms after they are made (an encrypting store, say).
    const { area, storageOf } = lateStorage(100)
    const { spent, answers, refresh } = heldRotatingRefresh()
    const { a, b } = await signedInPair(storageOf, refresh)

    // A refreshes; B's refresh waits for the lock.
    a.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(300)
    expect(spent).toEqual(['rt-1'])
    b.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(300)
    // The server answers A, whose renewal is being written when A's tab closes.
    answers.shift()!()
    await flush()
    a.destroy()
    await vi.advanceTimersByTimeAsync(1_000)
    // B read the renewal, and spent nothing.
    expect(spent).toEqual(['rt-1'])
    expect(JSON.parse(area.get('k')!).rt).toBe('rt-2')
    expect(b.getState().accessToken).toBe(JSON.parse(area.get('k')!).at)
    b.destroy()
  })
})
