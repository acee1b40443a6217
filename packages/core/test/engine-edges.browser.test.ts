// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type AuthClient,
  createAuthClient,
  createAuthFetch,
  type RefreshContext,
  type TokenSet,
  type TokenStorage,
} from '../src'
import { T0, token } from './helpers'
import { heldApi } from './support/api'
import { createLocks } from './support/locks'

/**
 * Engine edges found in review: a renewal adopted from another tab while this tab's refresh waits, a
 * refresh hung across a suspended laptop, a refresh answering with the token already held, logins
 * overlapping a logout or another login, and a refresh result that does not fit in its cookie.
 */
const clients: AuthClient[] = []
const track = (auth: AuthClient) => {
  clients.push(auth)
  return auth
}
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  vi.useRealTimers()
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
  localStorage.clear()
})

describe.each([
  ['Web Locks', () => vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })],
  ['a localStorage lease', () => vi.stubGlobal('navigator', { ...navigator, locks: undefined })],
])('a tab whose refresh waits while another tab renews the session (%s)', (_, install) => {
  const wait = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms))
  /** A token endpoint that rotates refresh tokens and refuses a spent one; 50 ms slow. */
  function endpoint() {
    let current = 'rt-0'
    let n = 0
    return vi.fn(async ({ refreshToken }: RefreshContext): Promise<TokenSet> => {
      await wait(50)
      if (refreshToken !== current) throw Object.assign(new Error('reused'), { status: 401 })
      current = `rt-${++n}`
      return { accessToken: token(300, { n }), refreshToken: current }
    })
  }
  const tabs = (refresh: ReturnType<typeof endpoint>) => {
    install()
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: 'k', refresh }))
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: 'k', refresh }))
    return { a, b }
  }
  /** Tab A signed in and refreshing (its call has reached the endpoint); tab B shares its storage. */
  const renewing = async (accessToken = token(300)) => {
    const refresh = endpoint()
    const { a, b } = tabs(refresh)
    a.setTokens({ accessToken, refreshToken: 'rt-0' })
    await wait()
    const renewed = a.refresh()
    await vi.waitFor(() => expect(refresh).toHaveBeenCalled())
    return { a, b, refresh, renewed }
  }

  it('resolves refresh() with the token it adopted, spending nothing (API.md: refresh() resolves the new token)', async () => {
    const { b, refresh, renewed } = await renewing()
    const joined = b.refresh().catch((e: { code: string }) => `rejected: ${e.code}`)
    const [fresh, got] = await Promise.all([renewed, joined])
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(got).toBe(fresh)
    expect(b.getState()).toMatchObject({ accessToken: fresh, status: 'authenticated' })
  })

  it("replays a 401 with the adopted token instead of returning it (API.md: 'replayed on success')", async () => {
    const old = token(300)
    const { b, refresh, renewed } = await renewing(old)
    // The API already refuses the old token.
    const api = vi.fn(async (_: RequestInfo | URL, init?: RequestInit) => {
      const sent = new Headers(init?.headers).get('authorization')
      return new Response(null, { status: sent === `Bearer ${old}` ? 401 : 200 })
    })
    const fetchB = createAuthFetch(b, { origins: ['https://api.example.com'], fetch: api as typeof fetch })
    const response = await fetchB('https://api.example.com/me')
    await renewed
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(response.status).toBe(200)
  })

  it('still rejects with no_refresh when the session was ended here meanwhile (a logout wins)', async () => {
    const { b, renewed } = await renewing()
    const joined = b.refresh().catch((e: { code: string }) => e.code)
    await b.logout()
    await renewed.catch(() => {})
    expect(await joined).toBe('no_refresh')
  })
})

describe('a refresh hung across a suspended laptop', () => {
  /** Wall clock moves, timers do not. */
  const suspend = (ms: number) => vi.setSystemTime(Date.now() + ms)
  /** The first call hangs (a dead connection) but honours its signal; later calls succeed. */
  function hangingOnce() {
    const fresh = token(300, { n: 1 }, T0 + 3_840_000)
    const refresh = vi.fn(
      (ctx: RefreshContext): Promise<TokenSet> =>
        refresh.mock.calls.length === 1
          ? new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))
          : Promise.resolve({ accessToken: fresh }),
    )
    return { refresh, fresh }
  }

  it.each([
    ['visibilitychange', () => document.dispatchEvent(new Event('visibilitychange'))],
    ['focus', () => window.dispatchEvent(new Event('focus'))],
    ['online', () => window.dispatchEvent(new Event('online'))],
    ['pageshow', () => window.dispatchEvent(new Event('pageshow'))],
  ])('is timed out on %s when refreshTimeout passed by the wall clock, and retried', async (_, wake) => {
    vi.useFakeTimers({ now: T0 })
    const { refresh, fresh } = hangingOnce()
    const auth = track(createAuthClient({ refresh, refreshTimeout: 10_000 }))
    const failures: string[] = []
    auth.on('refreshError', ({ error }) => failures.push(error.code))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(240_000) // due: the refresh starts and hangs
    expect(auth.getState().isRefreshing).toBe(true)
    suspend(3_600_000)
    wake()
    // The sleeping timeout timer has ~10 s left; the retry's backoff is under baseDelay (1 s).
    await vi.advanceTimersByTimeAsync(1_500)
    expect(failures).toEqual(['refresh_timeout'])
    expect(refresh).toHaveBeenCalledTimes(2)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', accessToken: fresh })
  })

  it('does not make getAccessToken() after the wake-up wait out the sleeping timer', async () => {
    vi.useFakeTimers({ now: T0 })
    const { refresh } = hangingOnce()
    const auth = track(createAuthClient({ refresh, refreshTimeout: 30_000 }))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(240_000)
    suspend(3_600_000)
    let value: string | null | undefined
    auth.getAccessToken().then((v) => {
      value = v
    })
    await vi.advanceTimersByTimeAsync(0)
    // The token expired while the machine slept and the refresh failed (timed out): null, at once.
    expect(value).toBeNull()
  })

  it('is not timed out early by a wake-up within refreshTimeout', async () => {
    vi.useFakeTimers({ now: T0 })
    const { refresh } = hangingOnce()
    const auth = track(createAuthClient({ refresh, refreshTimeout: 10_000 }))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(240_000)
    suspend(9_000)
    window.dispatchEvent(new Event('focus'))
    await vi.advanceTimersByTimeAsync(0)
    expect(auth.getState().isRefreshing).toBe(true)
    expect(refresh).toHaveBeenCalledTimes(1)
  })
})

describe('a refresh that answers with the token the client already holds', () => {
  it('keeps that token’s expiry as measured (no skew measured again) and asks again only at expiry', async () => {
    vi.useFakeTimers({ now: T0 })
    const same = token(300)
    const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: same }))
    const auth = track(createAuthClient({ refresh }))
    const seen: string[] = []
    auth.on('refresh', () => seen.push('refresh'))
    auth.on('refreshError', ({ error }) => seen.push(error.code))
    auth.on('logout', ({ reason }) => seen.push(reason))
    auth.setTokens({ accessToken: same, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(240_000) // due: the server sends the same token back
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', expiresAt: T0 + 300_000, error: null })
    await vi.advanceTimersByTimeAsync(59_000) // no refresh loop before exp
    expect(refresh).toHaveBeenCalledTimes(1)
    // At exp it is asked again; the same, now expired, token is a permanent failure (API.md).
    await vi.advanceTimersByTimeAsync(1_000)
    expect(refresh).toHaveBeenCalledTimes(2)
    expect(seen).toEqual(['refresh', 'refresh_rejected', 'refresh_rejected'])
    expect(auth.getState().status).toBe('unauthenticated')
  })

  it('accepts the same opaque token with a new expiresIn (a sliding session)', async () => {
    vi.useFakeTimers({ now: T0 })
    const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: 'opaque', expiresIn: 300 }))
    const auth = track(createAuthClient({ refresh }))
    auth.setTokens({ accessToken: 'opaque', expiresIn: 300, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(240_000)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', expiresAt: T0 + 540_000, error: null })
  })
})

describe('login() overlapping logout() or another login()', () => {
  it('is not undone by the login that was pending when the user logged out', async () => {
    let release!: (tokens: TokenSet) => void
    const auth = track(createAuthClient({ login: () => new Promise<TokenSet>((r) => (release = r)) }))
    const events: string[] = []
    auth.on('login', () => events.push('login'))
    const pending = auth.login('alice').catch((e: { code: string }) => e.code)
    await vi.waitFor(() => expect(release).toBeTypeOf('function'))
    await auth.logout()
    release({ accessToken: token(300), refreshToken: 'rt' })
    expect(await pending).toBe('login_failed')
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', error: null })
    expect(events).toEqual([])
  })

  it('ends with the login made last, whichever resolves last', async () => {
    const releases: Array<(tokens: TokenSet) => void> = []
    const auth = track(createAuthClient({ login: () => new Promise<TokenSet>((r) => releases.push(r)) }))
    const alice = auth.login('alice').catch((e: { code: string }) => e.code)
    const bob = auth.login('bob')
    await vi.waitFor(() => expect(releases).toHaveLength(2))
    releases[1]!({ accessToken: token(300, { sub: 'bob' }) })
    await bob
    releases[0]!({ accessToken: token(300, { sub: 'alice' }) })
    expect(await alice).toBe('login_failed')
    expect(auth.getState().claims?.sub).toBe('bob')
  })
})

describe('a refresh result whose entry does not fit in the cookie', () => {
  it('leaves state.error = storage_unavailable, as setTokens does (API.md: "state.error set")', async () => {
    const large = token(300, { blob: 'x'.repeat(5_000) })
    const auth = track(
      createAuthClient({
        storage: 'cookie',
        storageKey: 'big',
        syncTabs: false,
        refresh: async () => ({ accessToken: large }),
      }),
    )
    const errors: string[] = []
    auth.on('error', (e) => errors.push(e.code))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await auth.refresh()
    expect(errors).toEqual(['storage_unavailable'])
    expect(auth.getState()).toMatchObject({ accessToken: large, status: 'authenticated' })
    expect(auth.getState().error?.code).toBe('storage_unavailable')
  })
})

describe('a second review of these rules', () => {
  const wait = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms))
  const sub = (t: string) => JSON.parse(atob(t.split('.')[1]!)).sub

  it('a sign-in as another user in another tab is no renewal: the refresh waiting here rejects', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const refresh = vi.fn(async ({ signal }: RefreshContext): Promise<TokenSet> => {
      await new Promise((resolve, reject) => {
        setTimeout(resolve, 200)
        signal.addEventListener('abort', () => reject(signal.reason))
      })
      return { accessToken: token(300, { sub: 'alice', n: 1 }), refreshToken: 'rt-a1' }
    })
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: 'k', refresh }))
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: 'k', refresh }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-a' })
    await wait()
    const pending = a.refresh().then(
      (t) => `resolved sub=${sub(t)}`,
      (e: { code: string }) => `rejected: ${e.code}`,
    )
    await vi.waitFor(() => expect(refresh).toHaveBeenCalled())
    b.setTokens({ accessToken: token(300, { sub: 'bob' }), refreshToken: 'rt-b' })
    await vi.waitFor(() => expect(a.getState().claims?.sub).toBe('bob'))
    expect(await pending).toBe('rejected: no_refresh')
  })

  it('the held JWT sent back keeps "ask again at expiry" through storage (a reload)', async () => {
    vi.useFakeTimers({ now: T0 })
    const same = token(300)
    const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: same }))
    const options = { storage: 'localStorage' as const, storageKey: 'h', syncTabs: false, refresh }
    track(createAuthClient(options)).setTokens({ accessToken: same, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(240_000)
    expect(refresh).toHaveBeenCalledTimes(1)
    for (const c of clients.splice(0)) c.destroy()
    const reloaded = track(createAuthClient(options))
    await vi.advanceTimersByTimeAsync(1_000)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(reloaded.getState()).toMatchObject({ status: 'authenticated', expiresAt: T0 + 300_000 })
  })

  it('refresh() after a suspend with no wake event times out the overdue refresh too', async () => {
    vi.useFakeTimers({ now: T0 })
    const refresh = vi.fn(
      (ctx: RefreshContext): Promise<TokenSet> =>
        refresh.mock.calls.length === 1
          ? new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))
          : Promise.resolve({ accessToken: token(300, { n: 2 }) }),
    )
    const auth = track(createAuthClient({ refresh, refreshTimeout: 10_000 }))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(240_000)
    vi.setSystemTime(Date.now() + 3_600_000)
    let settled = 'pending'
    auth.refresh().then(
      () => {
        settled = 'resolved'
      },
      (e: { code: string }) => {
        settled = e.code
      },
    )
    await vi.advanceTimersByTimeAsync(0)
    expect(settled).toBe('refresh_timeout')
  })

  it('a logout() made while an async storage is still read outranks the login() made before it', async () => {
    let release!: (value: string | null) => void
    const storage: TokenStorage = {
      get: () => new Promise<string | null>((resolve) => (release = resolve)),
      set: async () => {},
      remove: async () => {},
    }
    const auth = track(createAuthClient({ storage, login: async () => ({ accessToken: token(300) }) }))
    const pending = auth.login('alice').then(
      () => 'resolved',
      (e: { code: string }) => `rejected: ${e.code}`,
    )
    await auth.logout()
    release(null)
    expect(await pending).toBe('rejected: login_failed')
    expect(auth.getState().status).toBe('unauthenticated')
  })

  it("a superseded login's failure leaves the state of the login that won alone", async () => {
    const calls: Array<{ ok: (t: TokenSet) => void; no: (e: unknown) => void }> = []
    const auth = track(
      createAuthClient({ login: () => new Promise<TokenSet>((ok, no) => calls.push({ ok, no })) }),
    )
    const alice = auth.login('alice').catch((e: { code: string }) => e.code)
    const bob = auth.login('bob')
    await vi.waitFor(() => expect(calls).toHaveLength(2))
    calls[1]!.ok({ accessToken: token(300, { sub: 'bob' }) })
    await bob
    calls[0]!.no(Object.assign(new Error('HTTP 401'), { status: 401 }))
    expect(await alice).toBe('login_failed')
    expect(auth.getState()).toMatchObject({ status: 'authenticated', error: null })
  })

  it('a refresh rejected in another tab (no logout by the user) does not supersede a login() here', async () => {
    const rejected = async (): Promise<TokenSet> => {
      throw Object.assign(new Error('invalid_grant'), { status: 400 })
    }
    let release!: (tokens: TokenSet) => void
    const login = () => new Promise<TokenSet>((resolve) => (release = resolve))
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: 'R', refresh: rejected }))
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: 'R', refresh: rejected, login }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-old' })
    await vi.waitFor(() => expect(b.getState().status).toBe('authenticated'))
    const pending = b.login('alice').then(
      () => 'resolved',
      (e: { code: string }) => `rejected: ${e.code}`,
    )
    await vi.waitFor(() => expect(release).toBeTypeOf('function'))
    await a.refresh().catch(() => {}) // the server refused the old refresh token: A clears the entry
    await vi.waitFor(() => expect(b.getState().status).toBe('unauthenticated'))
    release({ accessToken: token(300, { sub: 'alice', n: 2 }), refreshToken: 'rt-new' })
    expect(await pending).toBe('resolved')
    expect(b.getState().status).toBe('authenticated')
  })

  it('a logout in another tab outranks a login() still pending here', async () => {
    let release!: (tokens: TokenSet) => void
    const login = () => new Promise<TokenSet>((resolve) => (release = resolve))
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: 'L', login }))
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: 'L' }))
    b.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt' })
    await vi.waitFor(() => expect(a.getState().status).toBe('authenticated'))
    const pending = a.login('alice').then(
      () => 'resolved',
      (e: { code: string }) => `rejected: ${e.code}`,
    )
    await vi.waitFor(() => expect(release).toBeTypeOf('function'))
    await b.logout()
    await vi.waitFor(() => expect(a.getState().status).toBe('unauthenticated'))
    release({ accessToken: token(300, { sub: 'alice', n: 2 }), refreshToken: 'rt2' })
    expect(await pending).toBe('rejected: login_failed')
    await wait()
    expect(b.getState().status).toBe('unauthenticated')
  })
})

describe('opaque tokens (no `sub`) across tabs: a sign-in there is a new session, a refresh there is not', () => {
  const wait = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms))
  const opaque = (name: string) => ({
    accessToken: `opaque-${name}`,
    refreshToken: `rt-${name}`,
    expiresIn: 300,
  })
  /** Two tabs sharing localStorage; the token endpoint renews `opaque-alice` as `opaque-alice-2`. */
  const tabs = () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const refresh = vi.fn(async ({ signal }: RefreshContext): Promise<TokenSet> => {
      await new Promise((resolve, reject) => {
        setTimeout(resolve, 100)
        signal.addEventListener('abort', () => reject(signal.reason))
      })
      return opaque('alice-2')
    })
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: 'o', refresh }))
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: 'o', refresh }))
    return { a, b, refresh }
  }
  it('a refresh waiting here rejects when another tab signs in as someone else', async () => {
    const { a, b, refresh } = tabs()
    a.setTokens(opaque('alice'))
    await wait()
    const pending = a.refresh().catch((e: { code: string }) => `rejected: ${e.code}`)
    await vi.waitFor(() => expect(refresh).toHaveBeenCalled())
    b.setTokens(opaque('bob'))
    await vi.waitFor(() => expect(a.getState().accessToken).toBe('opaque-bob'))
    expect(await pending).toBe('rejected: no_refresh')
  })

  it("returns a late 401 instead of replaying it with the token of another tab's sign-in", async () => {
    const { a, b, refresh } = tabs()
    a.setTokens(opaque('alice'))
    await wait()
    const api = heldApi('opaque-alice')
    const pending = createAuthFetch(a, { origins: ['https://api.example.com'], fetch: api.send })(
      'https://api.example.com/transfer',
      { method: 'POST', body: 'from alice' },
    )
    await vi.waitFor(() => expect(api.sent).toHaveLength(1))
    b.setTokens(opaque('bob'))
    await vi.waitFor(() => expect(a.getState().accessToken).toBe('opaque-bob'))
    api.release()
    expect((await pending).status).toBe(401)
    expect({ sent: api.sent, refreshes: refresh.mock.calls.length }).toEqual({
      sent: ['Bearer opaque-alice'],
      refreshes: 0,
    })
  })

  it('returns a late 401 after setTokens() here signed someone else in (no sub to compare)', async () => {
    const { a, refresh } = tabs()
    a.setTokens(opaque('alice'))
    const api = heldApi('opaque-alice')
    const pending = createAuthFetch(a, { origins: ['https://api.example.com'], fetch: api.send })(
      'https://api.example.com/transfer',
      { method: 'POST', body: 'from alice' },
    )
    await vi.waitFor(() => expect(api.sent).toHaveLength(1))
    a.setTokens(opaque('bob'))
    api.release()
    expect((await pending).status).toBe(401)
    expect({ sent: api.sent, refreshes: refresh.mock.calls.length }).toEqual({
      sent: ['Bearer opaque-alice'],
      refreshes: 0,
    })
  })

  it('still replays a late 401 with the renewal another tab made (same session), at no refresh here', async () => {
    const { a, b, refresh } = tabs()
    a.setTokens(opaque('alice'))
    await wait()
    const api = heldApi('opaque-alice')
    const pending = createAuthFetch(a, { origins: ['https://api.example.com'], fetch: api.send })(
      'https://api.example.com/me',
    )
    await vi.waitFor(() => expect(api.sent).toHaveLength(1))
    await b.refresh()
    await vi.waitFor(() => expect(a.getState().accessToken).toBe('opaque-alice-2'))
    api.release()
    expect((await pending).status).toBe(200)
    expect({ sent: api.sent, refreshes: refresh.mock.calls.length }).toEqual({
      sent: ['Bearer opaque-alice', 'Bearer opaque-alice-2'],
      refreshes: 1,
    })
  })
})
