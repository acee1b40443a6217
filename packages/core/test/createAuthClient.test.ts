import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { type AuthError, type AuthState, createAuthClient, isAuthError } from '../src'
import { flush, T0, token } from './helpers'

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('createAuthClient', () => {
  it('starts unauthenticated with memory storage', () => {
    const auth = createAuthClient()
    expect(auth.getState()).toEqual({
      status: 'unauthenticated',
      isAuthenticated: false,
      isRefreshing: false,
      accessToken: null,
      canRefresh: false,
      claims: null,
      expiresAt: null,
      error: null,
    })
    expect(Object.isFrozen(auth.getState())).toBe(true)
  })

  it("freezes the claims too: they are the session's own, which the same-user rules read", () => {
    const auth = createAuthClient()
    const { claims } = auth.setTokens({ accessToken: token(300, { sub: 'alice' }) })
    expect(Object.isFrozen(claims)).toBe(true)
    auth.destroy()
  })

  it('types claims from the generic', () => {
    const auth = createAuthClient<{ sub: string; roles: string[] }>()
    expectTypeOf(auth.getState().claims).toEqualTypeOf<{ sub: string; roles: string[] } | null>()
  })

  it('takes an option set to undefined as one left out', async () => {
    // The types allow it, for apps compiled with exactOptionalPropertyTypes.
    const refresh = vi.fn(async () => ({ accessToken: token(300) }))
    const auth = createAuthClient({
      storage: undefined,
      storageKey: undefined,
      cookie: undefined,
      refresh,
      refreshWithoutToken: undefined,
      login: undefined,
      logout: undefined,
      refreshLeeway: undefined,
      refreshTimeout: undefined,
      retry: { attempts: undefined, baseDelay: undefined, maxDelay: undefined },
      syncTabs: undefined,
      now: undefined,
    })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    expect(auth.getState()).toMatchObject({
      status: 'authenticated',
      canRefresh: true,
      expiresAt: T0 + 300_000,
    })
    // The default leeway: the refresh starts 60 s before `exp`.
    await vi.advanceTimersByTimeAsync(239_000)
    expect(refresh).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(refresh).toHaveBeenCalledTimes(1)
    await expect(auth.getAccessToken({ minValidity: undefined })).resolves.toBe(auth.getState().accessToken)
    auth.destroy()
  })

  it('keeps the same snapshot until something changes', () => {
    const auth = createAuthClient()
    const a = auth.getState()
    expect(auth.getState()).toBe(a)
    auth.setTokens({ accessToken: token(300, { roles: ['admin'] }), refreshToken: 'rt' })
    const b = auth.getState()
    expect(b).not.toBe(a)
    expect(auth.getState()).toBe(b)
    expect(b).toMatchObject({
      status: 'authenticated',
      isAuthenticated: true,
      canRefresh: false,
      claims: { sub: 'user-1', roles: ['admin'] },
      expiresAt: T0 + 300_000,
    })
  })

  it('never exposes the refresh token in state or events', () => {
    const seen: unknown[] = []
    const auth = createAuthClient({ refresh: async () => ({ accessToken: token() }) })
    for (const type of [
      'change',
      'login',
      'refresh',
      'logout',
      'error',
      'expired',
      'refreshError',
    ] as const) {
      auth.on(type, (p) => seen.push(p))
    }
    auth.setTokens({ accessToken: token(), refreshToken: 'secret-refresh-token' })
    seen.push(auth.getState())
    expect(JSON.stringify(seen)).not.toContain('secret-refresh-token')
  })

  it('calls subscribers and change handlers exactly once per change', () => {
    const auth = createAuthClient()
    const listener = vi.fn()
    const change = vi.fn()
    auth.subscribe(listener)
    auth.on('change', change)
    auth.setTokens({ accessToken: token() })
    expect(listener).toHaveBeenCalledTimes(1)
    expect(listener).toHaveBeenCalledWith(auth.getState())
    expect(change).toHaveBeenCalledTimes(1)
  })

  it('returns unsubscribe functions that are harmless to call twice', () => {
    const auth = createAuthClient()
    const listener = vi.fn()
    const off = auth.subscribe(listener)
    off()
    off()
    const offLogin = auth.on('logout', listener)
    offLogin()
    offLogin()
    auth.setTokens({ accessToken: token() })
    void auth.logout()
    expect(listener).not.toHaveBeenCalled()
  })

  it('keeps calling the other listeners when one throws', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const auth = createAuthClient()
    const after = vi.fn()
    auth.subscribe(() => {
      throw new Error('boom')
    })
    auth.subscribe(after)
    auth.setTokens({ accessToken: token() })
    expect(after).toHaveBeenCalledTimes(1)
    expect(auth.getState().status).toBe('authenticated')
    expect(error).toHaveBeenCalledTimes(1)
    error.mockRestore()
  })

  it('lets a listener unsubscribe another during an emit, which gets it no more (as a DOM listener)', () => {
    const auth = createAuthClient()
    const second = vi.fn()
    let offSecond = () => {}
    auth.subscribe(() => offSecond())
    offSecond = auth.subscribe(second)
    auth.setTokens({ accessToken: token() })
    auth.setTokens({ accessToken: token(400) })
    expect(second).not.toHaveBeenCalled()
  })

  it('a listener after destroy() in an earlier one gets the event no more', () => {
    const auth = createAuthClient()
    const second = vi.fn()
    auth.subscribe(() => auth.destroy())
    auth.subscribe(second)
    auth.setTokens({ accessToken: token() })
    expect(second).not.toHaveBeenCalled()
  })

  it('methods work when destructured', async () => {
    const { setTokens, getState, getAccessToken, logout } = createAuthClient()
    const t = token()
    setTokens({ accessToken: t })
    expect(getState().accessToken).toBe(t)
    expect(await getAccessToken()).toBe(t)
    await logout()
    expect(getState().status).toBe('unauthenticated')
  })
})

describe('login', () => {
  it('stores the result and emits login', async () => {
    const t = token()
    const login = vi.fn(async (c: { user: string }, _context: { signal: AbortSignal }) => ({
      accessToken: t,
      refreshToken: `rt-${c.user}`,
    }))
    const auth = createAuthClient({ login, refresh: async () => ({ accessToken: token() }) })
    const onLogin = vi.fn()
    auth.on('login', onLogin)
    const state = await auth.login({ user: 'alice' })
    expect(state).toMatchObject({ status: 'authenticated', accessToken: t, canRefresh: true })
    expect(onLogin).toHaveBeenCalledWith(state)
    expect(login.mock.calls[0]![1].signal).toBeInstanceOf(AbortSignal)
  })

  it('throws login_failed with the cause and keeps the previous state', async () => {
    const cause = new Error('401')
    const auth = createAuthClient({
      login: async () => {
        throw cause
      },
    })
    const error = await auth.login({}).catch((e: AuthError) => e)
    expect(isAuthError(error) && error.code).toBe('login_failed')
    expect((error as AuthError).cause).toBe(cause)
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', error })
  })

  it('takes tokens a login option returns without a promise, and its synchronous throw as login_failed', async () => {
    const t = token()
    const auth = createAuthClient({ login: () => ({ accessToken: t }) })
    expect(await auth.login({})).toMatchObject({ status: 'authenticated', accessToken: t })
    const cause = new Error('no')
    const failing = createAuthClient({
      login: () => {
        throw cause
      },
    })
    await expect(failing.login({})).rejects.toMatchObject({ code: 'login_failed', cause })
  })

  it('throws invalid_token when login returns a malformed token, changing nothing', async () => {
    const auth = createAuthClient({ login: async () => ({ accessToken: 'not.a.jwt' }) })
    const before = auth.getState()
    await expect(auth.login({})).rejects.toMatchObject({ code: 'invalid_token' })
    expect(auth.getState()).toBe(before)
  })

  it('says that accessToken is missing when login returns an OAuth body as it is', async () => {
    // What `return res.json()` gives with a server that answers in OAuth's own names.
    const oauthBody = { access_token: token(), refresh_token: 'rt', token_type: 'Bearer' }
    const auth = createAuthClient({ login: async () => oauthBody as never })
    const error = await auth.login({}).catch((e: AuthError) => e)
    expect(error).toMatchObject({ code: 'invalid_token' })
    expect((error as AuthError).message).toMatch(/accessToken/)
    expect((error as AuthError).message).not.toMatch(/printable/)
    expect(() => auth.setTokens(oauthBody as never)).toThrow(/accessToken/)
  })

  it('clears a previous error on success', async () => {
    let fail = true
    const auth = createAuthClient({
      login: async () => {
        if (fail) throw new Error('no')
        return { accessToken: token() }
      },
    })
    await auth.login({}).catch(() => {})
    expect(auth.getState().error?.code).toBe('login_failed')
    fail = false
    await auth.login({})
    expect(auth.getState().error).toBeNull()
  })
})

describe('logout', () => {
  it('clears state synchronously, emits logout and calls options.logout with the tokens', async () => {
    const logout = vi.fn(async () => {})
    const auth = createAuthClient({ logout })
    const t = token()
    auth.setTokens({ accessToken: t, refreshToken: 'rt' })
    const onLogout = vi.fn()
    auth.on('logout', onLogout)
    const done = auth.logout()
    expect(auth.getState().status).toBe('unauthenticated')
    expect(onLogout).toHaveBeenCalledWith({ reason: 'user' })
    await done
    expect(logout).toHaveBeenCalledWith({
      accessToken: t,
      refreshToken: 'rt',
      signal: expect.any(AbortSignal),
    })
  })

  it('waits for a hung options.logout up to refreshTimeout, then aborts it and reports logout_failed', async () => {
    let signal: AbortSignal | undefined
    const auth = createAuthClient({
      refreshTimeout: 5_000,
      logout: (tokens) => {
        signal = tokens.signal
        return new Promise(() => {})
      },
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const errors: AuthError[] = []
    auth.on('error', (e) => errors.push(e))
    let resolved = false
    const done = auth.logout().then(() => {
      resolved = true
    })
    await vi.advanceTimersByTimeAsync(4_999)
    expect(resolved).toBe(false)
    expect(signal?.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await done
    expect(signal?.aborted).toBe(true)
    expect(errors.map((e) => [e.code, e.message])).toEqual([['logout_failed', 'Logout timed out']])
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', error: { code: 'logout_failed' } })
    expect(vi.getTimerCount()).toBe(0)
    auth.destroy()
  })

  it('stops waiting for options.logout at destroy(), without aborting the revoke or reporting', async () => {
    let signal: AbortSignal | undefined
    const auth = createAuthClient({
      logout: (tokens) => {
        signal = tokens.signal
        return new Promise(() => {})
      },
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const onError = vi.fn()
    auth.on('error', onError)
    const done = auth.logout()
    // Signed out and torn down at once (a page unmounting): the revoke still goes out.
    auth.destroy()
    await expect(done).resolves.toBeUndefined()
    expect(signal?.aborted).toBe(false)
    expect(onError).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('never rejects; a failing options.logout is reported as logout_failed', async () => {
    const auth = createAuthClient({
      logout: async () => {
        throw new Error('offline')
      },
    })
    auth.setTokens({ accessToken: token() })
    const onError = vi.fn()
    auth.on('error', onError)
    await expect(auth.logout()).resolves.toBeUndefined()
    expect(onError.mock.calls[0]![0]).toMatchObject({ code: 'logout_failed' })
    expect(auth.getState().status).toBe('unauthenticated')
  })
})

describe('login() with the tokens already held', () => {
  it('clears state.error (API.md: "cleared by the next successful login or refresh")', async () => {
    const held = token()
    const login = vi
      .fn()
      .mockRejectedValueOnce(new Error('wrong password'))
      .mockResolvedValueOnce({ accessToken: held, refreshToken: 'r' })
    const auth = createAuthClient({ login })
    auth.setTokens({ accessToken: held, refreshToken: 'r' })
    // A re-authentication (step-up, "confirm your password") fails once, then succeeds; the server keeps
    // the session it has, so it answers with the same tokens.
    await expect(auth.login({ password: 'x' })).rejects.toMatchObject({ code: 'login_failed' })
    expect(auth.getState().error?.code).toBe('login_failed')
    const logins: unknown[] = []
    auth.on('login', (s) => logins.push(s))
    const state = await auth.login({ password: 'y' })
    expect(logins).toHaveLength(1)
    expect(state.error).toBeNull()
    expect(auth.getState().error).toBeNull()
    auth.destroy()
  })
})

describe('destroy', () => {
  it('makes later calls fail with destroyed, and logout resolve', async () => {
    const auth = createAuthClient({ refresh: async () => ({ accessToken: token() }) })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    auth.destroy()
    auth.destroy()
    expect(() => auth.setTokens({ accessToken: token() })).toThrow(
      expect.objectContaining({ code: 'destroyed' }),
    )
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'destroyed' })
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'destroyed' })
    await expect(auth.login({})).rejects.toMatchObject({ code: 'destroyed' })
    await expect(auth.logout()).resolves.toBeUndefined()
  })

  it('leaves no timer behind', () => {
    const auth = createAuthClient({ refresh: async () => ({ accessToken: token() }) })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    expect(vi.getTimerCount()).toBeGreaterThan(0)
    auth.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('rejects a refresh in flight with destroyed', async () => {
    const auth = createAuthClient({ refresh: () => new Promise(() => {}) })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const p = auth.refresh()
    await flush()
    auth.destroy()
    // At once: the refresh timeout is cleared by destroy itself, not a microtask later.
    expect(vi.getTimerCount()).toBe(0)
    await expect(p).rejects.toMatchObject({ code: 'destroyed' })
  })
})

describe('peekAccessToken', () => {
  it('answers synchronously with a token valid past the leeway, else null, and never refreshes', async () => {
    const refresh = vi.fn(async () => ({ accessToken: token(300) }))
    const auth = createAuthClient({ refresh, refreshLeeway: 60 })
    expect(auth.peekAccessToken()).toBeNull()
    const first = token(300)
    auth.setTokens({ accessToken: first, refreshToken: 'rt' })
    expect(auth.peekAccessToken()).toBe(first)
    // Inside the leeway the token still works but is due for renewal: peek says so with null.
    vi.setSystemTime(T0 + 241_000)
    expect(auth.peekAccessToken()).toBeNull()
    expect(refresh).not.toHaveBeenCalled()
    const renewed = await auth.getAccessToken()
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(auth.peekAccessToken()).toBe(renewed)
    auth.destroy()
    expect(auth.peekAccessToken()).toBeNull()
  })

  it('is null while an async storage loads', async () => {
    let release!: (v: string | null) => void
    const stored = new Promise<string | null>((r) => {
      release = r
    })
    const auth = createAuthClient({ storage: { get: () => stored, set() {}, remove() {} } })
    expect(auth.getState().status).toBe('loading')
    expect(auth.peekAccessToken()).toBeNull()
    release(null)
    await auth.ready
    expect(auth.peekAccessToken()).toBeNull()
  })
})

describe('state walk', () => {
  it('status fields stay consistent', () => {
    const auth = createAuthClient()
    const states: AuthState[] = []
    auth.subscribe((s) => states.push(s))
    auth.setTokens({ accessToken: token(10) })
    vi.advanceTimersByTime(11_000)
    for (const s of states) {
      expect(s.isAuthenticated).toBe(s.status === 'authenticated')
      expect(s.accessToken === null).toBe(s.status === 'unauthenticated')
    }
    expect(states.map((s) => s.status)).toEqual(['authenticated', 'unauthenticated'])
  })

  it('emits expired and ends a session that cannot be refreshed when it reaches exp', () => {
    const auth = createAuthClient()
    const expired = vi.fn()
    auth.on('expired', expired)
    auth.setTokens({ accessToken: token(10) })
    vi.advanceTimersByTime(10_000)
    expect(expired).toHaveBeenCalledTimes(1)
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', accessToken: null })
  })

  it('accepts an already-expired token: unauthenticated without refresh, expired with', () => {
    const refreshable = createAuthClient({ refresh: () => new Promise(() => {}) })
    const s = refreshable.setTokens({ accessToken: 'opaque', expiresIn: 0, refreshToken: 'rt' })
    expect(s.status).toBe('expired')
    expect(refreshable.getState().isRefreshing).toBe(true)
    const single = createAuthClient()
    expect(single.setTokens({ accessToken: 'opaque', expiresIn: 0 }).status).toBe('unauthenticated')
    refreshable.destroy()
  })
})
