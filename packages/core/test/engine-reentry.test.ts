import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, isAuthError, type RefreshContext, type TokenSet } from '../src'
import { flush, rawJwt, T0, token } from './helpers'
import { sharedArea } from './support/storages'

/**
 * The single-tab engine when listeners act on what they are told (events stay true to what happened),
 * when a refresh is ended in the tick it started, with retry options from a JSON config, and when the
 * tokens held are set again. Memory storage, syncTabs: false, fake timers.
 */
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const httpError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status })

describe('a listener that replaces the session while a refresh result is committed', () => {
  it('refresh() still settles with the new token or an AuthError, and no `refresh` event follows the logout', async () => {
    const fresh = token(300, { n: 2 })
    const auth = createAuthClient({ refresh: async () => ({ accessToken: fresh }), syncTabs: false })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    // An app rule: a token without a tenant claim is signed out at once (only armed for the refresh).
    let armed = true
    auth.subscribe((s) => {
      if (armed && s.accessToken === fresh) {
        armed = false
        void auth.logout()
      }
    })
    const log: string[] = []
    auth.on('logout', (e) => log.push(`logout:${e.reason}`))
    auth.on('refresh', (s) => log.push(`refresh:${s.status}`))
    const outcome = await auth.refresh().then(
      (t) => ({ ok: t }),
      (e: unknown) => ({ err: e }),
    )
    // Rejecting is acceptable only with one of latchkey's own errors, never a TypeError from inside it.
    if ('err' in outcome) expect(isAuthError(outcome.err), String(outcome.err)).toBe(true)
    else expect(outcome.ok).toBe(fresh)
    // A `refresh` event announcing an unauthenticated state after the user's logout is stale.
    expect(log).toEqual(['logout:user'])
    expect(auth.getState().status).toBe('unauthenticated')
    auth.destroy()
  })
})

describe('a listener that replaces the session while login() commits', () => {
  it('does not emit `login` (with an unauthenticated payload) after the `logout` the listener caused', async () => {
    const auth = createAuthClient({
      login: async () => ({ accessToken: token(300), refreshToken: 'rt' }),
      syncTabs: false,
    })
    let armed = true
    auth.subscribe((s) => {
      if (armed && s.isAuthenticated) {
        armed = false
        void auth.logout()
      }
    })
    const log: string[] = []
    auth.on('logout', (e) => log.push(`logout:${e.reason}`))
    auth.on('login', (s) => log.push(`login:${s.status}`))
    await auth.login({}).catch(() => {})
    // Either `login` before `logout` (in the order things happened), or no `login` at all; never
    // a `login` whose payload says nobody is signed in, delivered after the logout.
    expect(log.filter((l) => l.startsWith('login:'))).not.toContain('login:unauthenticated')
    expect(log.at(-1)).toBe('logout:user')
    auth.destroy()
  })
})

describe('a listener that signs out while the expiry of a session nothing can renew is committed', () => {
  it('does not emit `expired` after the `logout` the listener caused', async () => {
    const auth = createAuthClient({ syncTabs: false })
    auth.setTokens({ accessToken: token(10) })
    // An app rule: a session that ends is signed out (a server-side clean-up), once.
    let armed = true
    auth.subscribe((s) => {
      if (armed && s.status === 'unauthenticated') {
        armed = false
        void auth.logout()
      }
    })
    const log: string[] = []
    auth.on('logout', (e) => log.push(`logout:${e.reason}`))
    auth.on('expired', (s) => log.push(`expired:${s.status}`))
    await vi.advanceTimersByTimeAsync(10_000)
    // As for an expiry found at start-up or taken from another tab: what the listener did came after,
    // and the news of the expiry is not told after it.
    expect(log).toEqual(['logout:user'])
    auth.destroy()
  })
})

describe('a listener that signs someone in while a rejected refresh is committed', () => {
  it('does not emit logout { refresh_rejected } after the new session began', async () => {
    const auth = createAuthClient({
      refresh: async () => {
        throw httpError(401)
      },
      syncTabs: false,
    })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    // An app rule: whenever nobody is signed in, fall back to a guest token.
    const guest = token(3600, { sub: 'guest' })
    auth.subscribe((s) => {
      if (s.status === 'unauthenticated') auth.setTokens({ accessToken: guest })
    })
    const log: string[] = []
    auth.on('logout', (e) =>
      log.push(`logout:${e.reason}:${auth.getState().accessToken === guest ? 'guest' : 'none'}`),
    )
    const error = await auth.refresh().catch((e: unknown) => e)
    expect(isAuthError(error) && error.code).toBe('refresh_rejected')
    expect(auth.getState().accessToken).toBe(guest)
    // No logout announced after the guest sign-in: an app that sends the user to its sign-in page on
    // `logout` would do so with the guest session live. The listener saw the session end (the change).
    expect(log).toEqual([])
    auth.destroy()
  })

  it('does not report willRetry: true for a retry that the new session cancelled', async () => {
    const refresh = vi.fn(async (): Promise<TokenSet> => {
      throw httpError(503)
    })
    const auth = createAuthClient({
      refresh,
      syncTabs: false,
      retry: { attempts: 3, baseDelay: 1_000, maxDelay: 1_000 },
    })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    let armed = true
    auth.subscribe((s) => {
      if (armed && s.error?.code === 'refresh_failed') {
        armed = false
        auth.setTokens({ accessToken: token(300, { sub: 'other' }) }) // no refresh token: nothing to retry
      }
    })
    const events: Array<{ attempt: number; willRetry: boolean }> = []
    auth.on('refreshError', ({ attempt, willRetry }) => events.push({ attempt, willRetry }))
    await auth.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(10_000)
    const retried = refresh.mock.calls.length > 1
    // What the event promised must be what happened.
    expect(events.map((e) => e.willRetry)).toEqual([retried])
    auth.destroy()
  })
})

describe('a listener that signs someone in while a sign-out is committed', () => {
  // An app rule: whenever nobody is signed in, fall back to a guest token.
  const guestFallback = (auth: AuthClient, guest: string) =>
    auth.subscribe((s) => {
      if (s.status === 'unauthenticated') auth.setTokens({ accessToken: guest })
    })

  it('logout(): no logout { user } is announced after the new session began', async () => {
    const auth = createAuthClient({ syncTabs: false })
    auth.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt' })
    const guest = token(3600, { sub: 'guest' })
    guestFallback(auth, guest)
    const log: string[] = []
    auth.on('logout', (e) => log.push(`logout:${e.reason}:${auth.getState().claims?.sub ?? 'none'}`))
    await auth.logout()
    expect(auth.getState().accessToken).toBe(guest)
    // As for logout { refresh_rejected }: an app that sends the user to its sign-in page on `logout`
    // would do so with the guest session live. The listener saw the session end (the change).
    expect(log).toEqual([])
    auth.destroy()
  })

  it('a sign-out in another tab: no logout { other_tab } is announced after the new session began', async () => {
    // Two tabs on one shared store: each write is heard by the other tab's subscription.
    const { tab } = sharedArea()
    const a = createAuthClient({ storage: tab(), storageKey: 'k' })
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt' })
    const b = createAuthClient({ storage: tab(), storageKey: 'k' })
    expect(b.getState().claims?.sub).toBe('alice')
    const guest = token(3600, { sub: 'guest' })
    guestFallback(b, guest)
    const log: string[] = []
    b.on('logout', (e) => log.push(`logout:${e.reason}:${b.getState().claims?.sub ?? 'none'}`))
    await a.logout()
    await flush()
    expect(b.getState().accessToken).toBe(guest)
    expect(log).toEqual([])
    a.destroy()
    b.destroy()
  })
})

describe('a refresh started and ended in the same tick', () => {
  it('destroy() right after setTokens() with an expired token: options.refresh is never called', async () => {
    const refresh = vi.fn(async (_: RefreshContext): Promise<TokenSet> => ({ accessToken: token(300) }))
    const auth = createAuthClient({ refresh, syncTabs: false })
    const expired = rawJwt({ alg: 'HS256' }, { sub: 'u', exp: T0 / 1000 - 300 })
    auth.setTokens({ accessToken: expired, refreshToken: 'rt-secret' })
    auth.destroy()
    await flush()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(refresh).not.toHaveBeenCalled()
  })

  it('logout() right after setTokens() with an expired token: the signed-out refresh token is not sent', async () => {
    const refresh = vi.fn(async (_: RefreshContext): Promise<TokenSet> => ({ accessToken: token(300) }))
    const auth = createAuthClient({ refresh, syncTabs: false })
    const expired = rawJwt({ alg: 'HS256' }, { sub: 'u', exp: T0 / 1000 - 300 })
    auth.setTokens({ accessToken: expired, refreshToken: 'rt-secret' })
    void auth.logout()
    await flush()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(refresh).not.toHaveBeenCalled()
    auth.destroy()
  })
})

describe('odd retry option values', () => {
  // refreshLeeway and refreshTimeout treat NaN or null as "use the default" (see `numeric`); retry.* do not.
  it.each([
    ['NaN', { attempts: Number.NaN, baseDelay: Number.NaN, maxDelay: Number.NaN }],
    ['null (a JSON config)', { attempts: null, baseDelay: null, maxDelay: null }],
  ])(
    'retry fields given as %s mean the defaults: 4 spaced attempts, not one, nor a burst',
    async (_, retry) => {
      vi.spyOn(Math, 'random').mockReturnValue(0.5)
      const times: number[] = []
      const refresh = vi.fn(async (): Promise<TokenSet> => {
        times.push(Date.now() - T0)
        throw httpError(503)
      })
      const auth = createAuthClient({ refresh, syncTabs: false, retry: retry as never })
      const events: Array<[number, boolean]> = []
      auth.on('refreshError', (e) => events.push([e.attempt, e.willRetry]))
      auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
      await vi.advanceTimersByTimeAsync(250_000)
      expect(events).toEqual([
        [1, true],
        [2, true],
        [3, true],
        [4, false],
      ])
      // Defaults: base 1 s, cap 30 s, full jitter at random() = 0.5 → 500, 1000, 2000 ms apart.
      expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([500, 1_000, 2_000])
      auth.destroy()
    },
  )
})

describe('setTokens() with exactly the tokens already held', () => {
  it('is a no-op: it neither aborts the refresh in flight nor drops its rotated refresh token', async () => {
    const held = { accessToken: token(300), refreshToken: 'rt-1' }
    const sent: Array<string | null> = []
    const refresh = vi.fn(async ({ refreshToken }: RefreshContext): Promise<TokenSet> => {
      sent.push(refreshToken)
      // The server rotates at once (rt-1 is spent from here on) and answers 1 s later.
      await new Promise((r) => setTimeout(r, 1_000))
      return { accessToken: token(300, { n: sent.length + 1 }), refreshToken: `rt-${sent.length + 1}` }
    })
    const auth = createAuthClient({ refresh, syncTabs: false })
    auth.setTokens(held)
    const changes = vi.fn()
    const p = auth.refresh()
    await flush()
    auth.subscribe(changes)
    // An app that mirrors its own store into the client calls setTokens with what it already holds.
    auth.setTokens(held)
    const changed = changes.mock.calls.length
    await vi.advanceTimersByTimeAsync(1_000)
    const first = await p.catch((e) => e)
    const after = auth.getState().accessToken
    const second = auth.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(1_000)
    await second
    // The primary consequence: the rotated refresh token the server issued was thrown away, and the
    // spent one is sent again (a rotating server answers invalid_grant, and the user is signed out).
    expect(sent).toEqual(['rt-1', 'rt-2'])
    expect(after).not.toBe(held.accessToken)
    expect(first).toBe(after)
    expect(changed).toBe(0)
    auth.destroy()
  })
})
