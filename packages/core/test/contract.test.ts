// API.md's core sections, statement by statement, as an outside suite would test them: through the
// public exports only. Statements pinned elsewhere already are not repeated here.
import { fileURLToPath } from 'node:url'
import { createTestToken } from '@latchkey/testing'
import { build } from 'esbuild'
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import * as core from '../src'
import {
  AuthError,
  type AuthErrorCode,
  type AuthState,
  createAuthClient,
  InvalidTokenError,
  isAuthError,
  RefreshError,
  type TokenSet,
  type TokenStorage,
} from '../src'
import { flush, rawJwt, T0, token } from './helpers'

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const fail = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status })

describe('contract: defaults', () => {
  it('refreshTimeout defaults to 10 000 ms', async () => {
    const signals: AbortSignal[] = []
    const auth = createAuthClient({
      refresh: ({ signal }) => {
        signals.push(signal)
        return new Promise(() => {})
      },
    })
    const errors: unknown[] = []
    auth.on('refreshError', (e) => errors.push(e))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    const p = auth.refresh()
    p.catch(() => {})
    await vi.advanceTimersByTimeAsync(9_999)
    expect(signals[0]?.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(signals[0]?.aborted).toBe(true)
    await expect(p).rejects.toMatchObject({ code: 'refresh_timeout' })
    expect(errors).toEqual([
      { error: expect.objectContaining({ code: 'refresh_timeout' }), attempt: 1, willRetry: true },
    ])
    auth.destroy()
  })

  it('retries 4 tries in total, with delays under min(30 000, 1 000·2^(n−1)), then waits for online', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999999)
    const calls: number[] = []
    const auth = createAuthClient({
      refresh: async () => {
        calls.push(Date.now())
        throw fail(503)
      },
    })
    const seen: Array<{ attempt: number; willRetry: boolean; code: string }> = []
    auth.on('refreshError', ({ error, attempt, willRetry }) =>
      seen.push({ attempt, willRetry, code: error.code }),
    )
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    auth.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(60_000)
    expect(seen).toEqual([
      { attempt: 1, willRetry: true, code: 'refresh_failed' },
      { attempt: 2, willRetry: true, code: 'refresh_failed' },
      { attempt: 3, willRetry: true, code: 'refresh_failed' },
      { attempt: 4, willRetry: false, code: 'refresh_failed' },
    ])
    const gaps = calls.slice(1).map((t, i) => t - (calls[i] as number))
    expect(gaps[0]).toBeLessThan(1_000)
    expect(gaps[0]).toBeGreaterThan(990)
    expect(gaps[1]).toBeLessThan(2_000)
    expect(gaps[2]).toBeLessThan(4_000)
    // Retries spent: nothing more until the network comes back (online is pinned in wake.test.ts).
    await vi.advanceTimersByTimeAsync(3_600_000)
    expect(calls).toHaveLength(4)
    auth.destroy()
  })

  it('caps the backoff at maxDelay 30 000 by default', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999999)
    const calls: number[] = []
    const auth = createAuthClient({
      retry: { attempts: 8 },
      refresh: async () => {
        calls.push(Date.now())
        throw fail(503)
      },
    })
    auth.setTokens({ accessToken: token(3_600), refreshToken: 'rt' })
    auth.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(600_000)
    const gaps = calls.slice(1).map((t, i) => t - (calls[i] as number))
    expect(calls).toHaveLength(8)
    expect(Math.max(...gaps)).toBeLessThan(30_000)
    expect(Math.max(...gaps)).toBeGreaterThan(29_000)
    auth.destroy()
  })

  it('storageKey defaults to latchkey and names the web storage entry', async () => {
    const store = new Map<string, string>()
    const storage = {
      get: (k: string) => store.get(k) ?? null,
      set: (k: string, v: string) => void store.set(k, v),
      remove: (k: string) => void store.delete(k),
    }
    const auth = createAuthClient({ storage })
    await auth.ready
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    expect([...store.keys()]).toEqual(['latchkey'])
    expect(JSON.parse(store.get('latchkey') as string)).toMatchObject({ v: 1 })
    auth.destroy()
  })

  it('refreshLeeway 60 is not capped for a token without iat', async () => {
    const calls = vi.fn(async () => ({ accessToken: token(300) }))
    const auth = createAuthClient({ refresh: calls })
    const noIat = rawJwt({ alg: 'none' }, { sub: 'u', exp: T0 / 1000 + 100 })
    auth.setTokens({ accessToken: noIat, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(39_999)
    expect(calls).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toHaveBeenCalledTimes(1)
    auth.destroy()
  })
})

describe('contract: getAccessToken({ minValidity })', () => {
  it('minValidity 0 takes a token that has one ms left, without refreshing', async () => {
    const refresh = vi.fn(async () => ({ accessToken: token(300) }))
    const auth = createAuthClient({ refresh, refreshLeeway: 0 })
    const t = token(10)
    auth.setTokens({ accessToken: t, refreshToken: 'rt' })
    vi.setSystemTime(T0 + 9_999)
    await expect(auth.getAccessToken({ minValidity: 0 })).resolves.toBe(t)
    expect(refresh).not.toHaveBeenCalled()
    auth.destroy()
  })

  it('refreshes when the token is valid for exactly minValidity seconds or less', async () => {
    const next = token(600)
    const refresh = vi.fn(async () => ({ accessToken: next }))
    const auth = createAuthClient({ refresh })
    const t = token(300)
    auth.setTokens({ accessToken: t, refreshToken: 'rt' })
    await expect(auth.getAccessToken({ minValidity: 299 })).resolves.toBe(t)
    expect(refresh).not.toHaveBeenCalled()
    await expect(auth.getAccessToken({ minValidity: 300 })).resolves.toBe(next)
    expect(refresh).toHaveBeenCalledTimes(1)
    auth.destroy()
  })

  it('defaults to the capped leeway: a 100-second token is good for getAccessToken() until 50 s before exp', async () => {
    const refresh = vi.fn(() => new Promise<{ accessToken: string }>(() => {}))
    const auth = createAuthClient({ refresh, refreshLeeway: 600 })
    const t = token(100)
    auth.setTokens({ accessToken: t, refreshToken: 'rt' })
    vi.setSystemTime(T0 + 49_000)
    await expect(auth.getAccessToken()).resolves.toBe(t)
    expect(refresh).not.toHaveBeenCalled()
    auth.destroy()
  })

  it('returns null, never rejects, with no session', async () => {
    const auth = createAuthClient()
    await expect(auth.getAccessToken({ minValidity: 1e9 })).resolves.toBeNull()
    auth.destroy()
  })
})

describe('contract: events', () => {
  it('login and refresh payloads are the committed snapshot', async () => {
    const auth = createAuthClient({
      login: async () => ({ accessToken: token(300), refreshToken: 'rt' }),
      refresh: async () => ({ accessToken: token(600) }),
    })
    const got: Array<[string, unknown, unknown]> = []
    auth.on('login', (s) => got.push(['login', s, auth.getState()]))
    auth.on('refresh', (s) => got.push(['refresh', s, auth.getState()]))
    const state = await auth.login({})
    expect(state).toBe(auth.getState())
    await auth.refresh()
    expect(got.map(([n]) => n)).toEqual(['login', 'refresh'])
    for (const [, payload, current] of got) {
      expect(payload).toBe(current)
      expect(Object.isFrozen(payload)).toBe(true)
    }
    auth.destroy()
  })

  it('logout payload is exactly { reason }', async () => {
    const auth = createAuthClient({ refresh: async () => Promise.reject(fail(401)) })
    const got: unknown[] = []
    auth.on('logout', (e) => got.push(e))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await auth.refresh().catch(() => {})
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await auth.logout()
    expect(got).toStrictEqual([{ reason: 'refresh_rejected' }, { reason: 'user' }])
    auth.destroy()
  })

  it('refreshError payload is exactly { error, attempt, willRetry }, and precedes logout', async () => {
    const thrown = new RefreshError('no', { permanent: true })
    const auth = createAuthClient({ refresh: async () => Promise.reject(thrown) })
    const order: string[] = []
    let payload: unknown
    auth.on('refreshError', (e) => {
      payload = e
      order.push('refreshError')
    })
    auth.on('logout', () => order.push('logout'))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    const e = await auth.refresh().catch((x) => x)
    expect(payload).toStrictEqual({ error: e, attempt: 1, willRetry: false })
    expect(e).toBe(thrown)
    expect(e.code).toBe('refresh_rejected')
    expect(order).toEqual(['refreshError', 'logout'])
    expect(auth.getState().status).toBe('unauthenticated')
    auth.destroy()
  })

  it('change and subscribe get the same snapshots in the same number', async () => {
    const auth = createAuthClient({ refresh: async () => ({ accessToken: token(600) }) })
    const a: unknown[] = []
    const b: unknown[] = []
    auth.subscribe((s) => a.push(s))
    auth.on('change', (s) => b.push(s))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await auth.refresh()
    await auth.logout()
    expect(a.length).toBeGreaterThan(2)
    expect(a).toEqual(b)
    for (const [i, s] of a.entries()) expect(s).toBe(b[i])
    auth.destroy()
  })

  it('emits expired with the state when the token reaches exp without a refresh', async () => {
    const auth = createAuthClient({ refresh: () => new Promise(() => {}), refreshTimeout: 1e9 })
    const got: unknown[] = []
    auth.on('expired', (s) => got.push(s))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(300_000)
    expect(got).toHaveLength(1)
    expect(got[0]).toBe(auth.getState())
    expect(auth.getState().status).toBe('expired')
    auth.destroy()
  })
})

describe('contract: refresh classification', () => {
  it.each([
    [400, 'refresh_rejected'],
    [401, 'refresh_rejected'],
    [403, 'refresh_rejected'],
    [404, 'refresh_failed'],
    [408, 'refresh_failed'],
    [429, 'refresh_failed'],
    [500, 'refresh_failed'],
    [503, 'refresh_failed'],
  ])('status %i is %s, also as response.status', async (status, code) => {
    for (const thrown of [fail(status), { response: { status } }]) {
      const auth = createAuthClient({ refresh: async () => Promise.reject(thrown) })
      auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
      await expect(auth.refresh()).rejects.toMatchObject({ code, status, cause: thrown })
      expect(auth.getState().accessToken === null).toBe(code === 'refresh_rejected')
      auth.destroy()
    }
  })

  it('TypeError and invalid_grant', async () => {
    for (const [thrown, code] of [
      [new TypeError('Failed to fetch'), 'refresh_failed'],
      [{ error: 'invalid_grant' }, 'refresh_rejected'],
      [{ response: { status: 500, data: { error: 'invalid_grant' } } }, 'refresh_rejected'],
    ] as const) {
      const auth = createAuthClient({ refresh: async () => Promise.reject(thrown) })
      auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
      await expect(auth.refresh()).rejects.toMatchObject({ code })
      auth.destroy()
    }
  })

  it('a malformed or already expired result is permanent', async () => {
    const results = [
      { accessToken: 'a.b' },
      { accessToken: rawJwt({ alg: 'none' }, { exp: T0 / 1000 + 10, iat: T0 / 1000 + 10 }) },
      { accessToken: rawJwt({ alg: 'none' }, { exp: T0 / 1000 }) },
      { accessToken: 'opaque', expiresIn: 0 },
    ]
    for (const result of results) {
      const auth = createAuthClient({ refresh: async () => result })
      const reasons: unknown[] = []
      auth.on('logout', (e) => reasons.push(e.reason))
      auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
      await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_rejected', permanent: true })
      expect(reasons).toEqual(['refresh_rejected'])
      auth.destroy()
    }
  })

  it('the last of retry.attempts tries has willRetry false', async () => {
    const auth = createAuthClient({
      retry: { attempts: 2, baseDelay: 10 },
      refresh: async () => Promise.reject(fail(503)),
    })
    const seen: Array<[number, boolean]> = []
    auth.on('refreshError', ({ attempt, willRetry }) => seen.push([attempt, willRetry]))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    auth.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(1_000)
    expect(seen).toEqual([
      [1, true],
      [2, false],
    ])
    auth.destroy()
  })

  it('no refresh function, or no refresh token: refresh() rejects no_refresh', async () => {
    const a = createAuthClient()
    a.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await expect(a.refresh()).rejects.toMatchObject({ code: 'no_refresh', name: 'RefreshError' })
    const b = createAuthClient({ refresh: async () => ({ accessToken: token() }) })
    b.setTokens({ accessToken: token(300) })
    await expect(b.refresh()).rejects.toMatchObject({ code: 'no_refresh' })
    const c = createAuthClient({ refresh: async () => ({ accessToken: token() }) })
    await expect(c.refresh()).rejects.toMatchObject({ code: 'no_refresh' })
  })
})

describe('contract: destroy()', () => {
  it('every method after destroy()', async () => {
    const auth = createAuthClient({
      refresh: async () => ({ accessToken: token() }),
      login: async () => ({ accessToken: token() }),
      logout: vi.fn(),
    })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    const last = auth.getState()
    auth.destroy()
    auth.destroy()
    expect(() => auth.setTokens({ accessToken: token() })).toThrow(
      expect.objectContaining({ code: 'destroyed' }),
    )
    await expect(auth.login({})).rejects.toMatchObject({ code: 'destroyed' })
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'destroyed' })
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'destroyed' })
    await expect(auth.getAccessToken({ minValidity: 0 })).rejects.toMatchObject({ code: 'destroyed' })
    await expect(auth.logout()).resolves.toBeUndefined()
    await expect(auth.ready).resolves.toBeUndefined()
    expect(auth.getState()).toBe(last)
    const off = auth.subscribe(() => {})
    off()
    off()
    auth.on('change', () => {})()
  })
})

describe('contract: tokens', () => {
  it.each([
    ['two segments', 'a.b'],
    ['four segments', `${token()}.x`],
    ['opaque without expiresIn', 'opaque'],
    ['empty', ''],
    ['header not an object', rawJwt([1], { sub: 'x' })],
    ['payload not an object', rawJwt({ alg: 'none' }, 'str')],
    ['exp not a number', rawJwt({ alg: 'none' }, { exp: '1' })],
    ['iat not a number', rawJwt({ alg: 'none' }, { iat: null })],
    ['nbf not a number', rawJwt({ alg: 'none' }, { nbf: {} })],
  ])('%s throws InvalidTokenError and changes nothing', (_, accessToken) => {
    const auth = createAuthClient()
    const t = token(300)
    auth.setTokens({ accessToken: t })
    const before = auth.getState()
    const changes = vi.fn()
    auth.subscribe(changes)
    let thrown: unknown
    try {
      auth.setTokens({ accessToken })
    } catch (e) {
      thrown = e
    }
    expect(thrown).toBeInstanceOf(InvalidTokenError)
    expect(thrown).toBeInstanceOf(AuthError)
    expect(thrown).toMatchObject({ code: 'invalid_token', name: 'InvalidTokenError' })
    expect(auth.getState()).toBe(before)
    expect(changes).not.toHaveBeenCalled()
  })

  it('an opaque token with a dot, or empty, is malformed even with expiresIn', () => {
    const auth = createAuthClient()
    expect(() => auth.setTokens({ accessToken: 'a.b', expiresIn: 60 })).toThrow(InvalidTokenError)
    expect(() => auth.setTokens({ accessToken: '', expiresIn: 60 })).toThrow(InvalidTokenError)
    expect(auth.setTokens({ accessToken: 'opaque', expiresIn: 60 })).toMatchObject({
      status: 'authenticated',
      claims: null,
      expiresAt: T0 + 60_000,
    })
  })

  it('expiresIn is ignored when the JWT has exp', () => {
    const auth = createAuthClient()
    expect(auth.setTokens({ accessToken: token(300), expiresIn: 10 }).expiresAt).toBe(T0 + 300_000)
  })

  it('a JWT without exp or expiresIn never expires and schedules nothing', async () => {
    const refresh = vi.fn(async () => ({ accessToken: token() }))
    const auth = createAuthClient({ refresh })
    const t = rawJwt({ alg: 'none' }, { sub: 'u', iat: T0 / 1000 })
    expect(auth.setTokens({ accessToken: t, refreshToken: 'rt' })).toMatchObject({
      expiresAt: null,
      status: 'authenticated',
    })
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(1e12)
    expect(refresh).not.toHaveBeenCalled()
    auth.destroy()
  })

  it('measures the skew from iat', () => {
    const auth = createAuthClient()
    const t = createTestToken({ sub: 'u' }, { issuedAt: T0 / 1000 - 3_600, expiresIn: 300 })
    // Issuer clock 1 h behind: expiresAt = exp·1000 + skew = T0 + 300 s.
    expect(auth.setTokens({ accessToken: t }).expiresAt).toBe(T0 + 300_000)
  })

  // "authenticated: there is an access token that has not expired"; claims "decoded once per token".
  type Client = ReturnType<typeof createAuthClient>
  it.each([
    [
      'with another refresh token',
      (c: Client, at: string) => c.setTokens({ accessToken: at, refreshToken: 'r2' }),
    ],
    ['without its refresh token', (c: Client, at: string) => c.setTokens({ accessToken: at })],
    ['from login(), without its refresh token', (c: Client) => c.login({})],
  ])('the JWT held, set again later %s: its skew is not measured again', async (_, again) => {
    const at = token(300)
    const client = createAuthClient({ login: async () => ({ accessToken: at }) })
    const first = client.setTokens({ accessToken: at, refreshToken: 'rt-1' })
    const changes = vi.fn()
    client.on('change', changes)
    await vi.advanceTimersByTimeAsync(200_000)
    await again(client, at)
    const state = client.getState()
    expect({ expiresAt: state.expiresAt, sameClaims: state.claims === first.claims }).toEqual({
      expiresAt: T0 + 300_000,
      sameClaims: true,
    })
    expect(changes).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(200_000)
    expect(client.getState()).toMatchObject({ status: 'unauthenticated', accessToken: null })
    client.destroy()
  })
})

describe('contract: state', () => {
  it('unauthenticated with refreshWithoutToken: canRefresh false, refresh() calls refresh with nulls and emits login', async () => {
    const refresh = vi.fn(async () => ({ accessToken: token(300) }))
    const auth = createAuthClient({ refresh, refreshWithoutToken: true })
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', canRefresh: false })
    await expect(auth.getAccessToken()).resolves.toBeNull()
    expect(refresh).not.toHaveBeenCalled()
    const login = vi.fn()
    auth.on('login', login)
    await auth.refresh()
    expect(refresh).toHaveBeenCalledWith({
      refreshToken: null,
      accessToken: null,
      signal: expect.any(AbortSignal),
    })
    expect(login).toHaveBeenCalledTimes(1)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', canRefresh: true })
    auth.destroy()
  })

  it('loading while an async storage is read; ready resolves after', async () => {
    let resolve!: (v: string | null) => void
    const auth = createAuthClient({
      storage: { get: () => new Promise((r) => (resolve = r)), set: () => {}, remove: () => {} },
    })
    expect(auth.getState().status).toBe('loading')
    let done = false
    auth.ready.then(() => (done = true))
    await flush()
    expect(done).toBe(false)
    resolve(null)
    await auth.ready
    expect(auth.getState().status).toBe('unauthenticated')
  })

  it('error is cleared by the next successful refresh', async () => {
    let n = 0
    const auth = createAuthClient({
      refresh: async () => {
        if (n++ === 0) throw fail(503)
        return { accessToken: token(600) }
      },
    })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await auth.refresh().catch(() => {})
    expect(auth.getState().error?.code).toBe('refresh_failed')
    await auth.refresh()
    expect(auth.getState().error).toBeNull()
    auth.destroy()
  })

  it('the snapshot never carries the refresh token', () => {
    const auth = createAuthClient()
    const s = auth.setTokens({ accessToken: token(300), refreshToken: 'secret-rt' })
    expect(JSON.stringify(s)).not.toContain('secret-rt')
  })
})

describe('contract: errors and exports', () => {
  it('RefreshError codes', () => {
    expect(new RefreshError('x').code).toBe('refresh_failed')
    expect(new RefreshError('x', { permanent: true }).code).toBe('refresh_rejected')
    expect(new RefreshError('x', { permanent: false, status: 401 }).code).toBe('refresh_failed')
    const cause = new Error('c')
    const e = new RefreshError('x', { status: 503, cause })
    expect(e).toMatchObject({ name: 'RefreshError', status: 503, cause, permanent: false, message: 'x' })
    expect(e).toBeInstanceOf(AuthError)
    expect(e).toBeInstanceOf(Error)
  })

  it('AuthError has name, code and optional cause', () => {
    const e = new AuthError('destroyed')
    expect(e).toMatchObject({ name: 'AuthError', code: 'destroyed' })
    expect(e.cause).toBeUndefined()
  })

  it('isAuthError by name and known code', () => {
    for (const name of ['AuthError', 'InvalidTokenError', 'RefreshError'])
      for (const code of [
        'invalid_token',
        'refresh_failed',
        'refresh_timeout',
        'refresh_rejected',
        'no_refresh',
        'storage_unavailable',
        'storage_corrupt',
        'login_failed',
        'logout_failed',
        'destroyed',
      ])
        expect(isAuthError({ name, code })).toBe(true)
    expect(isAuthError({ name: 'Error', code: 'destroyed' })).toBe(false)
    expect(isAuthError({ name: 'AuthError', code: 'nope' })).toBe(false)
    expect(isAuthError(null)).toBe(false)
    expect(isAuthError(undefined)).toBe(false)
    expect(isAuthError('destroyed')).toBe(false)
  })

  it('exports the names API.md lists', () => {
    for (const name of [
      'createAuthClient',
      'createAuthFetch',
      'oauth2Refresh',
      'AuthError',
      'InvalidTokenError',
      'RefreshError',
      'isAuthError',
    ])
      expect(typeof (core as Record<string, unknown>)[name]).toBe('function')
  })
})

describe('contract: start-up', () => {
  const storageWith = (entry: string | null, fail?: 'get') => {
    const store = new Map<string, string>()
    if (entry !== null) store.set('latchkey', entry)
    return {
      store,
      storage: {
        get: (k: string) => {
          if (fail === 'get') throw new Error('denied')
          return store.get(k) ?? null
        },
        set: (k: string, v: string) => void store.set(k, v),
        remove: (k: string) => void store.delete(k),
      },
    }
  }
  it.each([
    ['not JSON', '{'],
    ['no v', JSON.stringify({ at: 'x', rt: null, sk: 0, g: 1 })],
    ['unknown v', JSON.stringify({ v: 2, at: 'x', rt: null, sk: 0, g: 1 })],
    ['a malformed token', JSON.stringify({ v: 1, at: 'a.b', rt: null, sk: 0, g: 1 })],
  ])('%s: removed, unauthenticated with storage_corrupt, emitted after a microtask', async (_, entry) => {
    const { store, storage } = storageWith(entry)
    const auth = createAuthClient({ storage })
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', error: { code: 'storage_corrupt' } })
    expect(store.has('latchkey')).toBe(false)
    const errors: unknown[] = []
    auth.on('error', (e) => errors.push(e))
    expect(errors).toEqual([])
    // One microtask, as API.md says: a listener attached right after creation hears it.
    await Promise.resolve()
    expect(errors).toEqual([auth.getState().error])
    auth.destroy()
  })

  it('a storage that throws on read: memory, storage_unavailable emitted after a microtask, keeps working', async () => {
    const { storage } = storageWith(null, 'get')
    const auth = createAuthClient({ storage })
    expect(auth.getState().error?.code).toBe('storage_unavailable')
    const errors: unknown[] = []
    auth.on('error', (e) => errors.push(e))
    await Promise.resolve()
    expect(errors).toEqual([expect.objectContaining({ code: 'storage_unavailable' })])
    expect(auth.setTokens({ accessToken: token(300) }).status).toBe('authenticated')
    auth.destroy()
  })
})

describe('contract: errors found reading an async storage', () => {
  it.each([
    ['a corrupt entry', 'storage_corrupt', () => Promise.resolve('{')],
    ['a read that rejects', 'storage_unavailable', () => Promise.reject(new Error('denied'))],
  ])('%s: the error event comes after the state that carries it is committed', async (_, code, get) => {
    const auth = createAuthClient({ storage: { get, set: async () => {}, remove: async () => {} } })
    const seen: string[] = []
    auth.subscribe((s) => seen.push(`change ${s.status} ${s.error?.code}`))
    auth.on('error', (e) => {
      const s = auth.getState()
      seen.push(`error ${e.code}, state ${s.status} ${s.error?.code}`)
      expect(s.error).toBe(e)
    })
    await auth.ready
    expect(seen).toEqual([`change unauthenticated ${code}`, `error ${code}, state unauthenticated ${code}`])
    auth.destroy()
  })

  it('a session a listener stores on hearing of the corrupt entry is not removed from storage', async () => {
    const store = new Map([['latchkey', '{']])
    const auth = createAuthClient({
      storage: {
        get: async (k) => store.get(k) ?? null,
        set: (k, v) => void store.set(k, v),
        remove: (k) => void store.delete(k),
      },
    })
    auth.on('error', () => auth.setTokens({ accessToken: token(300), refreshToken: 'rt' }))
    await auth.ready
    expect(auth.getState().status).toBe('authenticated')
    expect(JSON.parse(store.get('latchkey') ?? 'null')).toMatchObject({ v: 1, rt: 'rt' })
    auth.destroy()
  })
})

describe('contract: an expired session found at start-up', () => {
  const storedExpired = () => {
    const raw = { v: 1, at: rawJwt({ alg: 'none' }, { sub: 'old', iat: 1, exp: 2 }), rt: null, sk: 0, g: 1 }
    const store = new Map([['latchkey', JSON.stringify(raw)]])
    const storage: TokenStorage = {
      get: (k) => store.get(k) ?? null,
      set: (k, v) => void store.set(k, v),
      remove: (k) => void store.delete(k),
    }
    return storage
  }

  it('is announced to listeners attached right after creation', async () => {
    const auth = createAuthClient({ storage: storedExpired() })
    const expired = vi.fn()
    auth.on('expired', expired)
    await Promise.resolve()
    expect(expired).toHaveBeenCalledWith(auth.getState())
    auth.destroy()
  })

  it('is announced with the state listeners can read then, a refresh running', async () => {
    const raw = { v: 1, at: rawJwt({ alg: 'none' }, { sub: 'old', iat: 1, exp: 2 }), rt: 'rt', sk: 0, g: 1 }
    const store = new Map([['latchkey', JSON.stringify(raw)]])
    const auth = createAuthClient({
      storage: {
        get: (k) => store.get(k) ?? null,
        set: (k, v) => void store.set(k, v),
        remove: (k) => void store.delete(k),
      },
      refresh: () => new Promise(() => {}),
    })
    const payloads: AuthState[] = []
    auth.on('expired', (s) => payloads.push(s))
    await Promise.resolve()
    expect(auth.getState()).toMatchObject({ status: 'expired', isRefreshing: true })
    expect(payloads).toEqual([auth.getState()])
    auth.destroy()
  })

  it.each([
    [
      'setTokens()',
      (auth: ReturnType<typeof createAuthClient>) => void auth.setTokens({ accessToken: token(300) }),
    ],
    ['logout()', (auth: ReturnType<typeof createAuthClient>) => void auth.logout()],
  ])('is not announced after a %s made right after creation: it is older than that', async (_, act) => {
    const auth = createAuthClient({ storage: storedExpired() })
    const seen: string[] = []
    auth.on('expired', (s) => seen.push(`expired ${s.status}`))
    auth.subscribe((s) => seen.push(`change ${s.status}`))
    act(auth)
    const state = auth.getState()
    await flush()
    expect(auth.getState()).toBe(state)
    expect(seen.filter((e) => e.startsWith('expired'))).toEqual([])
    auth.destroy()
  })
})

describe('contract: a session from another tab', () => {
  /** Two clients on one shared storage, the way two tabs see it: `tell` delivers a storage event. */
  function tabs() {
    const store = new Map<string, string>()
    const base = {
      get: (k: string) => store.get(k) ?? null,
      set: (k: string, v: string) => void store.set(k, v),
      remove: (k: string) => void store.delete(k),
    }
    let onChange: (value: string | null) => void = () => {}
    const here = createAuthClient({
      storage: {
        ...base,
        subscribe: (_k, cb) => {
          onChange = cb
          return () => {}
        },
      },
    })
    const there = createAuthClient({ storage: base })
    return { here, there, tell: () => onChange(store.get('latchkey') ?? null) }
  }

  it('is announced as login, with the state that holds it', async () => {
    const { here, there, tell } = tabs()
    const seen: unknown[] = []
    here.on('login', (s) => seen.push(s))
    there.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    tell()
    expect(seen).toEqual([here.getState()])
    expect(here.getState().status).toBe('authenticated')
    here.destroy()
    there.destroy()
  })

  it('is not announced as login after a listener ended it as it was committed', async () => {
    const { here, there, tell } = tabs()
    const seen: string[] = []
    here.subscribe((s) => {
      seen.push(`change ${s.status}`)
      if (s.status === 'authenticated') void here.logout()
    })
    for (const type of ['login', 'refresh', 'expired'] as const)
      here.on(type, (s) => seen.push(`${type} ${s.status}`))
    here.on('logout', (e) => seen.push(`logout ${e.reason}`))
    there.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    tell()
    expect(seen).toEqual(['change authenticated', 'change unauthenticated', 'logout user'])
    here.destroy()
    there.destroy()
  })
})

describe('contract: refresh() and refreshError.error are one object', () => {
  it.each([
    ['a plain error', () => Promise.reject(new Error('boom'))],
    ['a status', () => Promise.reject(fail(401))],
    ['a malformed result', async () => ({ accessToken: 'x.y' })],
  ])('%s', async (_, refresh) => {
    const auth = createAuthClient({ refresh: refresh as never })
    let event: unknown
    auth.on('refreshError', (e) => (event = e.error))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    const e = await auth.refresh().catch((x) => x)
    expect(e).toBeInstanceOf(RefreshError)
    expect(e).toBe(event)
    auth.destroy()
  })

  it('a timeout', async () => {
    const auth = createAuthClient({ refresh: () => new Promise(() => {}) })
    let event: unknown
    auth.on('refreshError', (e) => (event = e.error))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    const p = auth.refresh().catch((x) => x)
    await vi.advanceTimersByTimeAsync(10_000)
    const e = await p
    expect(e.code).toBe('refresh_timeout')
    expect(e).toBe(event)
    expect(auth.getState().error).toBe(e)
    auth.destroy()
  })
})

describe('contract: destroy() and fetch', () => {
  it('auth.fetch rejects with destroyed after destroy(), sending nothing, whatever the origin', async () => {
    const fetch = vi.fn(async () => new Response('ok'))
    vi.stubGlobal('fetch', fetch)
    try {
      const auth = createAuthClient()
      auth.destroy()
      await expect(auth.fetch('https://elsewhere.example/')).rejects.toMatchObject({ code: 'destroyed' })
      expect(fetch).not.toHaveBeenCalled()
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('a createAuthFetch(auth) wrapper, after destroy(), sends what gets no token and rejects the rest (core README)', async () => {
    const fetch = vi.fn(async () => new Response('ok'))
    vi.stubGlobal('fetch', fetch)
    try {
      const auth = createAuthClient()
      const api = core.createAuthFetch(auth, { origins: ['https://api.example'] })
      auth.destroy()
      expect((await api('https://elsewhere.example/')).status).toBe(200)
      expect((await api('https://api.example/', { headers: { Authorization: 'Basic eA==' } })).status).toBe(
        200,
      )
      await expect(api('https://api.example/')).rejects.toMatchObject({ code: 'destroyed' })
      expect(fetch).toHaveBeenCalledTimes(2)
    } finally {
      vi.unstubAllGlobals()
    }
  })
})

describe('contract: edge values', () => {
  it.each([
    [-5, 'held'],
    [Number.NaN, 'held'],
    [Number.POSITIVE_INFINITY, 'new'],
  ])('getAccessToken({ minValidity: %s })', async (minValidity, which) => {
    const held = token(300)
    const next = token(600)
    const auth = createAuthClient({ refresh: async () => ({ accessToken: next }) })
    auth.setTokens({ accessToken: held, refreshToken: 'rt' })
    await expect(auth.getAccessToken({ minValidity })).resolves.toBe(which === 'held' ? held : next)
    auth.destroy()
  })

  it('keeps the snapshot (and its claims) when the same tokens are set again', () => {
    const auth = createAuthClient()
    const t = token(300)
    const a = auth.setTokens({ accessToken: t, refreshToken: 'rt' })
    const b = auth.setTokens({ accessToken: t, refreshToken: 'rt' })
    expect(b).toBe(a)
    expect(auth.getState()).toBe(a)
  })

  it('keeps the claims object of one token across snapshots', async () => {
    let resolve!: (t: { accessToken: string }) => void
    const auth = createAuthClient({ refresh: () => new Promise((r) => (resolve = r)) })
    const a = auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    const p = auth.refresh()
    await flush()
    const b = auth.getState()
    expect(b).not.toBe(a)
    expect(b.isRefreshing).toBe(true)
    expect(b.claims).toBe(a.claims)
    resolve({ accessToken: token(600) })
    await p
    auth.destroy()
  })

  it('ready resolves at destroy() even when the storage read never ends', async () => {
    const auth = createAuthClient({
      storage: { get: () => new Promise<never>(() => {}), set() {}, remove() {} },
    })
    auth.destroy()
    await expect(auth.ready).resolves.toBeUndefined()
  })
})

describe('contract: types', () => {
  it('the createAuthClient example of API.md type-checks as written', () => {
    interface MyClaims {
      sub: string
      roles: string[]
    }
    const accessToken = token()
    const refreshToken = 'rt'
    const auth = createAuthClient<MyClaims>({
      storage: 'localStorage',
      storageKey: 'latchkey',
      cookie: { path: '/', sameSite: 'strict', maxAge: 30 * 86_400, domain: undefined, secure: undefined },
      refresh: async ({ refreshToken, accessToken, signal }) => {
        expectTypeOf(refreshToken).toEqualTypeOf<string | null>()
        expectTypeOf(accessToken).toEqualTypeOf<string | null>()
        expectTypeOf(signal).toEqualTypeOf<AbortSignal>()
        return { accessToken: accessToken ?? '', refreshToken }
      },
      refreshWithoutToken: false,
      login: async (_credentials, { signal }) => {
        expectTypeOf(signal).toEqualTypeOf<AbortSignal>()
        return { accessToken, refreshToken }
      },
      logout: async ({ accessToken, refreshToken }) => {
        expectTypeOf(accessToken).toEqualTypeOf<string | null>()
        expectTypeOf(refreshToken).toEqualTypeOf<string | null>()
      },
      refreshLeeway: 60,
      refreshTimeout: 10_000,
      retry: { attempts: 4, baseDelay: 1_000, maxDelay: 30_000 },
      syncTabs: true,
      now: () => Date.now(),
    })
    expectTypeOf(auth.getState()).toEqualTypeOf<AuthState<MyClaims>>()
    expectTypeOf(auth.getState().claims).toEqualTypeOf<MyClaims | null>()
    expectTypeOf(auth.getState().status).toEqualTypeOf<
      'loading' | 'authenticated' | 'expired' | 'unauthenticated'
    >()
    expectTypeOf(auth.getState().error).toEqualTypeOf<AuthError | null>()
    expectTypeOf(auth.setTokens).returns.toEqualTypeOf<AuthState<MyClaims>>()
    expectTypeOf(auth.logout).returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf(auth.refresh).returns.toEqualTypeOf<Promise<string>>()
    expectTypeOf(auth.getAccessToken).returns.toEqualTypeOf<Promise<string | null>>()
    expectTypeOf(auth.getAccessToken).toBeCallableWith({ minValidity: 30 })
    expectTypeOf(auth.subscribe).returns.toEqualTypeOf<() => void>()
    expectTypeOf(auth.on).returns.toEqualTypeOf<() => void>()
    expectTypeOf(auth.ready).toEqualTypeOf<Promise<void>>()
    expectTypeOf(auth.fetch).toEqualTypeOf<typeof fetch>()
    expectTypeOf(auth.destroy).returns.toEqualTypeOf<void>()
    auth.on('refreshError', (e) => {
      expectTypeOf(e).toEqualTypeOf<{ error: RefreshError; attempt: number; willRetry: boolean }>()
    })
    auth.on('logout', (e) => {
      expectTypeOf(e).toEqualTypeOf<{ reason: 'user' | 'refresh_rejected' | 'other_tab' }>()
    })
    auth.on('login', (s) => expectTypeOf(s).toEqualTypeOf<AuthState<MyClaims>>())
    auth.on('refresh', (s) => expectTypeOf(s).toEqualTypeOf<AuthState<MyClaims>>())
    auth.on('expired', (s) => expectTypeOf(s).toEqualTypeOf<AuthState<MyClaims>>())
    auth.on('change', (s) => expectTypeOf(s).toEqualTypeOf<AuthState<MyClaims>>())
    auth.on('error', (e) => expectTypeOf(e).toEqualTypeOf<AuthError>())
    auth.destroy()
  })

  it('exports TokenSet, TokenStorage and the error codes as API.md spells them', () => {
    expectTypeOf<{
      accessToken: string
      refreshToken?: string | null
      expiresIn?: number
    }>().toMatchTypeOf<TokenSet>()
    expectTypeOf<{ accessToken: string }>().toMatchTypeOf<TokenSet>()
    const asyncStorage: TokenStorage = {
      get: async (_key: string) => null,
      set: async (_key: string, _value: string) => {},
      remove: async (_key: string) => {},
      subscribe: (_key: string, _onChange: (value: string | null) => void) => () => {},
    }
    const syncStorage: TokenStorage = { get: () => null, set: () => {}, remove: () => {} }
    void [asyncStorage, syncStorage]
    expectTypeOf<AuthErrorCode>().toEqualTypeOf<
      | 'invalid_token'
      | 'refresh_failed'
      | 'refresh_timeout'
      | 'refresh_rejected'
      | 'no_refresh'
      | 'storage_unavailable'
      | 'storage_corrupt'
      | 'login_failed'
      | 'logout_failed'
      | 'destroyed'
    >()
    expectTypeOf(new RefreshError('x', { permanent: true, status: 401, cause: 0 })).toMatchTypeOf<AuthError>()
    expectTypeOf(new InvalidTokenError('x')).toMatchTypeOf<AuthError>()
    expectTypeOf(isAuthError).guards.toEqualTypeOf<AuthError>()
  })
})

describe('contract: importing', () => {
  it('reads no property of a browser global (typeof checks are fine)', async () => {
    const names = ['window', 'document', 'localStorage', 'sessionStorage', 'navigator', 'location']
    const saved = names.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const)
    const read: string[] = []
    const trap = (name: string) =>
      new Proxy(
        {},
        {
          get: (_, key) => void read.push(`${name}.${String(key)}`),
          has: (_, key) => !read.push(`${name}.${String(key)}`),
        },
      )
    // Bundled as an app's build would: every module of core evaluated, none of it cached by vitest.
    const bundled = await build({
      entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      write: false,
      logLevel: 'silent',
    })
    const code = Buffer.from(bundled.outputFiles[0]!.text).toString('base64')
    try {
      for (const name of names)
        Object.defineProperty(globalThis, name, { configurable: true, value: trap(name) })
      const imported = await import(/* @vite-ignore */ `data:text/javascript;base64,${code}`)
      expect(typeof imported.createAuthClient).toBe('function')
    } finally {
      for (const [name, descriptor] of saved) {
        if (descriptor) Object.defineProperty(globalThis, name, descriptor)
        else delete (globalThis as Record<string, unknown>)[name]
      }
    }
    expect(read).toEqual([])
  })
})
