// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { createAuthClient } from '../src'
import { token } from './helpers'
import { createLocks } from './support/locks'
import { logEvents, useTabs } from './support/tabs'

/**
 * `refreshWithoutToken`: each tab of an app calls `refresh()` at start-up to restore the session an
 * HttpOnly cookie holds (API.md, `unauthenticated`). Two clients in one window stand in for two tabs that
 * start together; the refresh lock lets one call through at a time.
 */
const KEY = 'restore'
const { track, stored } = useTabs(KEY)

describe('a session restored with refreshWithoutToken in two tabs at once', () => {
  const setUp = () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    let n = 0
    const refresh = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50))
      return { accessToken: token(300, { sub: 'alice', n: ++n }) }
    })
    const options = { storage: 'localStorage' as const, storageKey: KEY, refresh, refreshWithoutToken: true }
    const a = track(createAuthClient(options))
    const b = track(createAuthClient(options))
    const events: string[] = []
    logEvents(events, 'a', a)
    logEvents(events, 'b', b)
    return { a, b, refresh, events }
  }

  it('the tab told of the other’s restore while it waited resolves refresh() with that session', async () => {
    const { a, b, refresh, events } = setUp()
    const [ta, tb] = await Promise.all([a.refresh(), b.refresh().catch((e: { code: string }) => e.code)])
    // Rejected with no_refresh before, while B was signed in: an app sends such a tab to its login page.
    expect(tb).toBe(ta)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(b.getState()).toMatchObject({ status: 'authenticated', accessToken: ta })
    expect(events).toEqual(['a: login', 'b: login'])
  })

  it('the tab that finds the other’s restore stored as it takes the lock adopts it, calling refresh once', async () => {
    // No BroadcastChannel, and no storage event between clients of one window: B learns of A's restore
    // only from storage, which it re-reads holding the lock.
    vi.stubGlobal('BroadcastChannel', undefined)
    const { a, b, refresh, events } = setUp()
    const [ta, tb] = await Promise.all([a.refresh(), b.refresh()])
    expect(tb).toBe(ta)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(JSON.parse(stored()!).at).toBe(ta)
    expect(events).toEqual(['a: login', 'b: login'])
  })
})
