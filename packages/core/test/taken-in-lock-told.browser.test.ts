// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, type TokenSet } from '../src'
import { T0, token } from './helpers'
import { clearCookies } from './support/browser'
import { createLocks } from './support/locks'

/**
 * A tab that finds, in the refresh lock, a renewal another tab stored and it never heard of (cookies
 * without BroadcastChannel tell nothing), takes it. When that renewal is due too, the tab refreshes it
 * at once; if that refresh fails, the token taken used to be held without any event: the state showed
 * another tab's token while `refresh` (or `login`) had told the one before.
 */

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  clearCookies()
})

describe('a renewal taken in the refresh lock whose own refresh fails', () => {
  it('is announced: events agree with the state', async () => {
    vi.useFakeTimers({ now: T0 })
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    clearCookies()
    // The server renews once, then is down.
    const spent: string[] = []
    let n = 1
    const refresh = async ({ refreshToken }: { refreshToken: string | null }): Promise<TokenSet> => {
      spent.push(refreshToken!)
      if (spent.length > 1) throw Object.assign(new Error('HTTP 503'), { status: 503 })
      n++
      return { accessToken: token(300, { n }), refreshToken: `rt-${n}` }
    }
    const tab = (): AuthClient =>
      createAuthClient({ storage: 'cookie', storageKey: 'k', refresh, retry: { attempts: 3 } })

    const a = tab()
    a.setTokens({ accessToken: token(300, { n: 1 }), refreshToken: 'rt-1' })
    const b = tab()
    const told: Array<string | null> = [b.getState().accessToken]
    b.on('refresh', (s) => told.push(s.accessToken))
    b.on('login', (s) => told.push(s.accessToken))
    b.on('logout', () => told.push(null))

    // A renews at once (a 401, say); B, told nothing, still holds the first token.
    const renewed = a.refresh()
    await vi.advanceTimersByTimeAsync(200)
    await renewed
    expect(b.getState().accessToken).not.toBe(a.getState().accessToken)

    // Both tokens are due together. Whichever tab goes first, B finds A's renewal in the lock, takes it,
    // and tries to renew it, which fails (503). It spends rt-2, never rt-1 again.
    await vi.advanceTimersByTimeAsync(241_000)
    expect(spent.slice(0, 1)).toEqual(['rt-1'])
    expect(spent.slice(1)).not.toContain('rt-1')
    expect(b.getState().accessToken).toBe(a.getState().accessToken)
    // Its events told it: the last token they announced is the one held.
    expect(told.at(-1)).toBe(b.getState().accessToken)
    a.destroy()
    b.destroy()
  })
})
