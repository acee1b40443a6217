// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, type RefreshContext, RefreshError, type TokenSet } from '../src'
import { token } from './helpers'
import { createLocks } from './support/locks'
import { logEvents, useTabs } from './support/tabs'

/**
 * Tab A's refresh call fails while tab B stores a session A has not heard of yet: a new sign-in, after
 * which the server may revoke the refresh token A spends (400), or a renewal. That session outranks
 * A's failure: A takes it. It used to sign out on the 400 and remove B's sign-in from storage, so a
 * user who had just signed in was signed out everywhere.
 */

const KEY = 'refresh-fails-during-sign-in'
const sub = (t: AuthClient) => (t.getState().claims as { sub?: string } | null)?.sub ?? null

describe('a refresh that fails while another tab stores a session', () => {
  const { track } = useTabs(KEY)

  /** A and B on localStorage, alice signed in; news between them only when the test hands it over. */
  function tabs() {
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    let fail: (e: unknown) => void = () => {}
    const refresh = vi.fn(
      ({ signal }: RefreshContext) =>
        new Promise<TokenSet>((_, reject) => {
          fail = reject
          signal.addEventListener('abort', () => reject(signal.reason))
        }),
    )
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-a' })
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: KEY, refresh }))
    const events: string[] = []
    logEvents(events, 'a', a)
    return { a, b, events, refresh, fail: (e: unknown) => fail(e) }
  }

  it.each([
    ['alice signs in again (the sign-in kept)', 'alice'],
    ['bob signs in', 'bob'],
  ])('%s in B, and the server then rejects A’s refresh token: A takes the sign-in', async (_, user) => {
    const { a, b, events, refresh, fail } = tabs()
    const running = a.refresh()
    await vi.waitFor(() => expect(refresh).toHaveBeenCalledTimes(1))
    b.setTokens({ accessToken: token(300, { sub: user, n: 2 }), refreshToken: 'rt-b' })
    const fromB = localStorage.getItem(KEY)
    fail(new RefreshError('invalid_grant', { status: 400 }))
    if (user === 'alice') expect(await running).toBe(b.getState().accessToken)
    else await expect(running).rejects.toMatchObject({ code: 'no_refresh' })
    expect(localStorage.getItem(KEY)).toBe(fromB)
    expect([sub(a), a.getState().accessToken]).toEqual([user, b.getState().accessToken])
    expect(a.getState().error).toBeNull()
    expect(events).toEqual(['a: refresh'])
  })

  it('a transient failure while B renewed: A takes the renewal, no retry', async () => {
    const { a, b, refresh, fail } = tabs()
    const running = a.refresh()
    await vi.waitFor(() => expect(refresh).toHaveBeenCalledTimes(1))
    b.setTokens({ accessToken: token(300, { sub: 'alice', n: 2 }), refreshToken: 'rt-b' })
    fail(new RefreshError('HTTP 503', { status: 503 }))
    expect(await running).toBe(b.getState().accessToken)
    expect(a.getState()).toMatchObject({
      accessToken: b.getState().accessToken,
      error: null,
      isRefreshing: false,
    })
    expect(refresh).toHaveBeenCalledTimes(1)
  })

  it('a failure with nothing new in storage is still a failure', async () => {
    const { a, events, fail, refresh } = tabs()
    const running = a.refresh()
    await vi.waitFor(() => expect(refresh).toHaveBeenCalledTimes(1))
    fail(new RefreshError('invalid_grant', { status: 400 }))
    await expect(running).rejects.toMatchObject({ code: 'refresh_rejected' })
    expect(a.getState().status).toBe('unauthenticated')
    expect(localStorage.getItem(KEY)).toBeNull()
    expect(events).toEqual(['a: logout refresh_rejected'])
  })
})
