import { createTestToken } from '@latchkey/testing'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, type TokenSet, type TokenStorage } from '../src'
import { flush, T0 } from './helpers'
import { sharedArea } from './support/storages'

/**
 * Time edges found in review: retry options left undefined, `expiresIn` beside a JWT's own `exp`, the
 * last error at expiry, and an expiry another tab saw first.
 */
const token = (ttl = 300) =>
  createTestToken({ sub: 'u' }, { expiresIn: ttl, issuedAt: Math.floor(Date.now() / 1000) })

beforeEach(() => vi.useFakeTimers({ now: T0 }))
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
})

describe('retry options', () => {
  // API.md: `retry: { attempts: 4, baseDelay: 1_000, maxDelay: 30_000 }, // total tries incl. the first;
  // exponential backoff, full jitter`. A field left undefined (e.g. `{ maxDelay: cfg.maxDelay }`) must mean
  // its default, as for every other numeric option (engine.ts `numeric`: "a missing value means
  // the default"), not "no backoff at all".
  it.each([
    ['maxDelay', { maxDelay: undefined }],
    ['baseDelay', { baseDelay: undefined }],
    ['attempts', { attempts: undefined }],
  ])('retry.%s: undefined keeps the default backoff', async (_, retry) => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const times: number[] = []
    const refresh = vi.fn(async (): Promise<TokenSet> => {
      times.push(Date.now() - T0)
      throw Object.assign(new Error('HTTP 503'), { status: 503 })
    })
    const auth = createAuthClient({ refresh, retry: retry as never })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    auth.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(60_000)
    // Defaults, random() = 0.5: tries at 0, +500, +1000, +2000 ms.
    expect(times).toEqual([0, 500, 1_500, 3_500])
    auth.destroy()
  })
})

describe('expiresIn beside exp', () => {
  // API.md, Tokens: "`expiresIn` is in seconds. It is used only when the access token has no `exp`."
  // A JWT with its own `exp` is well formed whatever `expiresIn` says; `expiresIn` must be ignored, not
  // make the token "malformed" (which, for a refresh result, is a permanent failure that logs the user out).
  const odd: Array<[string, unknown]> = [
    ['-1', -1],
    ['"3599" (a string, as some servers send expires_in)', '3599'],
    ['null', null],
  ]

  it.each(odd)('setTokens accepts a JWT with exp and expiresIn %s, using exp', (_, expiresIn) => {
    const auth = createAuthClient()
    const state = auth.setTokens({ accessToken: token(300), expiresIn } as never)
    expect(state).toMatchObject({ status: 'authenticated', expiresAt: T0 + 300_000 })
    auth.destroy()
  })

  it.each(odd)(
    'a refresh returning a JWT with exp and expiresIn %s succeeds (no logout)',
    async (_, expiresIn) => {
      const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: token(300), expiresIn }) as never)
      const auth = createAuthClient({ refresh })
      const logouts: unknown[] = []
      auth.on('logout', (e) => logouts.push(e))
      auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
      await vi.advanceTimersByTimeAsync(1_000)
      await expect(auth.refresh()).resolves.toEqual(expect.any(String))
      expect(logouts).toEqual([])
      expect(auth.getState()).toMatchObject({ status: 'authenticated', expiresAt: T0 + 1_000 + 300_000 })
      auth.destroy()
    },
  )
})

describe('the last error at expiry', () => {
  // API.md, State: `error: AuthError | null // the last error; cleared by the next successful login or refresh`
  it('the last error (storage_unavailable) is not wiped when a session nothing can renew reaches exp', async () => {
    const broken = {
      get: () => null,
      set: () => {
        throw new Error('quota')
      },
      remove: () => {},
    }
    const auth = createAuthClient({ storage: broken })
    auth.setTokens({ accessToken: token(300) })
    expect(auth.getState().error?.code).toBe('storage_unavailable')
    await vi.advanceTimersByTimeAsync(300_000)
    expect(auth.getState().status).toBe('unauthenticated')
    // Neither a login nor a refresh succeeded meanwhile: the last error is still the storage failure.
    expect(auth.getState().error?.code).toBe('storage_unavailable')
    auth.destroy()
  })

  it('the last error (login_failed) is not wiped when the old session reaches exp', async () => {
    const auth = createAuthClient({
      login: async () => {
        throw new Error('bad password')
      },
    })
    auth.setTokens({ accessToken: token(300) })
    await auth.login({}).catch(() => {})
    expect(auth.getState().error?.code).toBe('login_failed')
    await vi.advanceTimersByTimeAsync(300_000)
    expect(auth.getState().status).toBe('unauthenticated')
    expect(auth.getState().error?.code).toBe('login_failed')
    auth.destroy()
  })
})

describe('an expiry another tab saw first', () => {
  // Only the storage events, delivered in order as sharedArea does.
  beforeEach(() => vi.stubGlobal('BroadcastChannel', undefined))

  // API.md, Events: `expired` — "AuthState, when the access token reached exp without a successful refresh";
  // `logout { reason: 'other_tab' }` is for a logout made in another tab. The user logged out nowhere here:
  // the session simply expired (nothing can renew it), and the tab whose timer fired second (throttled in
  // the background, say) receives the first tab's removal of the expired entry before its own timer.
  it.each([
    ['this tab saw the expiry first', true],
    ['another tab saw the expiry first', false],
  ])('ends with `expired` (not `logout other_tab`) and keeps login_failed when %s', async (_, bFirst) => {
    const area = sharedArea()
    const login = async () => {
      throw new Error('bad password')
    }
    const first = createAuthClient({ storage: area.tab(), login })
    const second = createAuthClient({ storage: area.tab(), login })
    const [a, b] = bFirst ? [second, first] : [first, second] // `first` has the earlier timer
    a.setTokens({ accessToken: token(300) })
    await flush() // the storage event reaches B
    expect(b.getState().status).toBe('authenticated')
    await b.login({}).catch(() => {})
    expect(b.getState().error?.code).toBe('login_failed')
    const seen: string[] = []
    b.on('expired', () => seen.push('expired'))
    b.on('logout', (e) => seen.push(`logout:${e.reason}`))
    await vi.advanceTimersByTimeAsync(300_000)
    expect(b.getState().status).toBe('unauthenticated')
    expect(seen).toEqual(['expired'])
    expect(b.getState().error?.code).toBe('login_failed')
    a.destroy()
    b.destroy()
  })
})

it('reads Date.now at each call: fake timers installed after the client was created apply to it', async () => {
  vi.useRealTimers()
  const auth = createAuthClient() // created on the real clock, as a module-scope client is
  vi.useFakeTimers({ now: T0 })
  auth.setTokens({ accessToken: token(300) })
  await vi.advanceTimersByTimeAsync(300_000)
  expect(auth.getState().status).toBe('unauthenticated')
  auth.destroy()
})

describe('the last error at expiry, more', () => {
  it('a storage failure while clearing the expired session is the last error (not the one before)', async () => {
    let value: string | null = null
    const storage: TokenStorage = {
      get: () => value,
      set: (_k, v) => {
        value = v
      },
      remove: () => {
        throw new Error('storage broke')
      },
    }
    const auth = createAuthClient({ storage })
    const errors: string[] = []
    auth.on('error', (e) => errors.push(e.code))
    auth.setTokens({ accessToken: token(300) })
    await vi.advanceTimersByTimeAsync(300_000)
    expect(auth.getState().status).toBe('unauthenticated')
    expect(errors).toEqual(['storage_unavailable'])
    expect(auth.getState().error?.code).toBe('storage_unavailable')
    auth.destroy()
  })
})

it('with a 0 ms backoff, refreshError for attempt n is emitted before attempt n+1 starts', async () => {
  const seen: Array<{ attempt: number; refreshing: boolean; calls: number }> = []
  const refresh = vi.fn(async (): Promise<TokenSet> => {
    throw Object.assign(new Error('HTTP 503'), { status: 503 })
  })
  const auth = createAuthClient({ refresh, retry: { attempts: 3, baseDelay: 0 } })
  auth.setTokens({ accessToken: token(3600), refreshToken: 'rt' })
  auth.on('refreshError', (e) =>
    seen.push({
      attempt: e.attempt,
      refreshing: auth.getState().isRefreshing,
      calls: refresh.mock.calls.length,
    }),
  )
  await vi.advanceTimersByTimeAsync(3_600_000 - 60_000) // due: the scheduled refresh runs and fails
  await vi.advanceTimersByTimeAsync(10)
  expect(seen).toEqual([
    { attempt: 1, refreshing: false, calls: 1 },
    { attempt: 2, refreshing: false, calls: 2 },
    { attempt: 3, refreshing: false, calls: 3 },
  ])
  auth.destroy()
})
