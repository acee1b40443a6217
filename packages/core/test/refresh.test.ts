import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type AuthClientOptions,
  createAuthClient,
  createAuthFetch,
  oauth2Refresh,
  RefreshError,
  type TokenSet,
} from '../src'
import { flush, rawJwt, T0, token } from './helpers'

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

/** A refresh function that issues `ttl`-second tokens, counting calls and rotating refresh tokens. */
function issuer(ttl = 300) {
  const calls: Array<{ refreshToken: string | null; at: number }> = []
  const refresh = vi.fn(async ({ refreshToken }: { refreshToken: string | null }): Promise<TokenSet> => {
    calls.push({ refreshToken, at: Date.now() })
    return { accessToken: token(ttl, { n: calls.length }), refreshToken: `rt${calls.length}` }
  })
  return { refresh, calls }
}

const httpError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status })

function client(options: AuthClientOptions = {}) {
  return createAuthClient({ refreshLeeway: 60, ...options })
}

describe('scheduling', () => {
  it('refreshes at expiresAt − leeway', async () => {
    const { refresh, calls } = issuer()
    const auth = client({ refresh })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt0' })
    await vi.advanceTimersByTimeAsync(239_999)
    expect(refresh).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toEqual([{ refreshToken: 'rt0', at: T0 + 240_000 }])
    auth.destroy()
  })

  it('caps the leeway at half the lifetime, so a 30-second token is not refreshed in a loop', async () => {
    const { refresh, calls } = issuer(30)
    const auth = client({ refresh })
    auth.setTokens({ accessToken: token(30), refreshToken: 'rt0' })
    await vi.advanceTimersByTimeAsync(300_000)
    // One refresh every 15 s.
    expect(calls.map((c) => c.at - T0)).toEqual(Array.from({ length: 20 }, (_, i) => 15_000 * (i + 1)))
    auth.destroy()
  })

  it('steps delays above 2^31−1 ms, so a 60-day token does not refresh at once', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout')
    const { refresh, calls } = issuer(60 * 86_400)
    const auth = client({ refresh })
    auth.setTokens({ accessToken: token(60 * 86_400), refreshToken: 'rt0' })
    await vi.advanceTimersByTimeAsync(59 * 86_400_000)
    expect(refresh).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(86_400_000)
    expect(calls[0]!.at).toBe(T0 + 60 * 86_400_000 - 60_000)
    for (const call of setTimeoutSpy.mock.calls) expect(call[1]).toBeLessThanOrEqual(2 ** 31 - 1)
    auth.destroy()
  })

  it('uses expiresIn for opaque tokens, with the leeway capped at half of it', async () => {
    const refresh = vi.fn(async () => ({ accessToken: 'opaque-2', expiresIn: 100 }))
    const auth = client({ refresh })
    auth.setTokens({ accessToken: 'opaque-1', expiresIn: 100, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(49_999)
    expect(refresh).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(auth.getState()).toMatchObject({ accessToken: 'opaque-2', expiresAt: T0 + 150_000 })
    auth.destroy()
  })

  it('schedules nothing for a token that never expires', () => {
    const auth = client({ refresh: issuer().refresh })
    auth.setTokens({ accessToken: rawJwt({ alg: 'none' }, { sub: 'x' }), refreshToken: 'rt' })
    expect(vi.getTimerCount()).toBe(0)
    expect(auth.getState().expiresAt).toBeNull()
  })

  it.each([
    ['fast', 10 * 60_000],
    ['slow', -10 * 60_000],
  ])('a device clock 10 minutes %s neither refreshes at once nor late', async (_, offset) => {
    const { refresh, calls } = issuer()
    const now = () => Date.now() + offset
    const auth = client({ refresh, now })
    // The server's clock is the real one (Date.now()); the device's is off by `offset`.
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt0' })
    expect(auth.getState().expiresAt).toBe(T0 + offset + 300_000)
    await vi.advanceTimersByTimeAsync(239_000)
    expect(refresh).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(calls.map((c) => c.at)).toEqual([T0 + 240_000])
    auth.destroy()
  })

  it('reuses the stored skew, and treats an issuer-clock token without iat as unskewed', () => {
    const auth = client({ now: () => Date.now() + 600_000 })
    const exp = Math.floor(T0 / 1000) + 3000
    expect(auth.setTokens({ accessToken: rawJwt({ alg: 'none' }, { exp }) }).expiresAt).toBe(exp * 1000)
  })
})

describe('single flight', () => {
  it('1,000 concurrent getAccessToken() on an expired token make one refresh call and get one token', async () => {
    let resolve!: (t: TokenSet) => void
    const refresh = vi.fn(() => new Promise<TokenSet>((r) => (resolve = r)))
    const auth = client({ refresh })
    auth.setTokens({ accessToken: 'old', expiresIn: 0, refreshToken: 'rt' })
    const results = Promise.all(Array.from({ length: 1000 }, () => auth.getAccessToken()))
    await flush()
    const fresh = token()
    resolve({ accessToken: fresh })
    const tokens = await results
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(new Set(tokens)).toEqual(new Set([fresh]))
    expect(tokens).toHaveLength(1000)
    auth.destroy()
  })

  it('refresh() and getAccessToken() share one call', async () => {
    const { refresh } = issuer()
    const auth = client({ refresh })
    auth.setTokens({ accessToken: 'old', expiresIn: 0, refreshToken: 'rt' })
    const [a, b, c] = await Promise.all([auth.refresh(), auth.getAccessToken(), auth.refresh()])
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(new Set([a, b, c]).size).toBe(1)
    auth.destroy()
  })

  it('refresh() called while a refresh is in flight joins it, even in its last microtasks', async () => {
    vi.useRealTimers()
    const late: string[] = []
    for (let k = 0; k < 40; k++) {
      let calls = 0
      const auth = client({ refresh: async () => ({ accessToken: token(300, { n: ++calls }) }) })
      auth.setTokens({ accessToken: token(300), refreshToken: 'r' })
      const a = auth.refresh()
      for (let i = 0; i < k; i++) await Promise.resolve()
      const inFlight = auth.getState().isRefreshing
      const b = auth.refresh()
      await Promise.all([a, b])
      if (inFlight && calls !== 1) late.push(`${k} microtasks in: ${calls} refreshes`)
      auth.destroy()
    }
    expect(late).toEqual([])
  })

  it('getAccessToken({ minValidity }) calls no refresh again once the server sent back the token held', async () => {
    const held = token(300)
    const refresh = vi.fn(async () => ({ accessToken: held }))
    const auth = client({ refresh })
    auth.setTokens({ accessToken: held, refreshToken: 'rt' })
    // The refresh at expiresAt − 60 s returns the token held: the server wants no other before exp.
    await vi.advanceTimersByTimeAsync(240_000)
    expect(refresh).toHaveBeenCalledTimes(1)
    for (let i = 0; i < 10; i++) expect(await auth.getAccessToken({ minValidity: 60 })).toBe(held)
    expect(refresh).toHaveBeenCalledTimes(1)
    auth.destroy()
  })

  it('the held token sent back, then set again with a new refresh token, is refreshed at its leeway again', async () => {
    const held = token(300)
    const next = token(300, { n: 2 })
    const refresh = vi.fn(async () => ({ accessToken: refresh.mock.calls.length === 1 ? held : next }))
    const auth = client({ refresh })
    auth.setTokens({ accessToken: held, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(250_000)
    expect(refresh).toHaveBeenCalledTimes(1)
    const statuses: string[] = []
    auth.subscribe((s) => statuses.push(s.status))
    // Past expiresAt − 60 s: due at once, not at exp.
    auth.setTokens({ accessToken: held, refreshToken: 'rt-new' })
    await vi.advanceTimersByTimeAsync(0)
    expect(refresh).toHaveBeenCalledTimes(2)
    expect(auth.getState().accessToken).toBe(next)
    expect(statuses).not.toContain('expired')
    auth.destroy()
  })

  it('getAccessToken({ minValidity }) refreshes first when the token expires sooner', async () => {
    const { refresh } = issuer()
    const auth = client({ refresh })
    const t = token(300)
    auth.setTokens({ accessToken: t, refreshToken: 'rt' })
    expect(await auth.getAccessToken({ minValidity: 100 })).toBe(t)
    expect(refresh).not.toHaveBeenCalled()
    const fresh = await auth.getAccessToken({ minValidity: 400 })
    expect(fresh).not.toBe(t)
    expect(refresh).toHaveBeenCalledTimes(1)
    auth.destroy()
  })

  it('resolves null with no session, and with refreshWithoutToken does not call refresh', async () => {
    const refresh = vi.fn(async () => ({ accessToken: token() }))
    const auth = client({ refresh, refreshWithoutToken: true })
    expect(await auth.getAccessToken()).toBeNull()
    expect(refresh).not.toHaveBeenCalled()
  })
})

describe('transient failures', () => {
  it('keeps the tokens and retries with full-jitter backoff within bounds', async () => {
    const failures: number[] = []
    const refresh = vi.fn(async () => {
      failures.push(Date.now())
      throw httpError(503)
    })
    const auth = client({ refresh, retry: { attempts: 5, baseDelay: 1_000, maxDelay: 5_000 } })
    const events: Array<{ attempt: number; willRetry: boolean; code: string }> = []
    auth.on('refreshError', (e) =>
      events.push({ attempt: e.attempt, willRetry: e.willRetry, code: e.error.code }),
    )
    const t = token(300)
    auth.setTokens({ accessToken: t, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(300_000)
    expect(refresh).toHaveBeenCalledTimes(5)
    const gaps = failures.slice(1).map((at, i) => at - failures[i]!)
    const caps = [1_000, 2_000, 4_000, 5_000]
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(0)
      expect(gap).toBeLessThan(caps[i]!)
    })
    expect(events).toEqual([
      { attempt: 1, willRetry: true, code: 'refresh_failed' },
      { attempt: 2, willRetry: true, code: 'refresh_failed' },
      { attempt: 3, willRetry: true, code: 'refresh_failed' },
      { attempt: 4, willRetry: true, code: 'refresh_failed' },
      { attempt: 5, willRetry: false, code: 'refresh_failed' },
    ])
    auth.destroy()
  })

  it('uses the whole jitter range: random() near 1 gives delays near the cap', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999)
    const times: number[] = []
    const refresh = vi.fn(async () => {
      times.push(Date.now())
      throw new TypeError('Failed to fetch')
    })
    const auth = client({ refresh, retry: { attempts: 3, baseDelay: 1_000, maxDelay: 30_000 } })
    auth.setTokens({ accessToken: 'o', expiresIn: 0, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([999, 1998])
    auth.destroy()
  })

  it.each([
    ['a network error', new TypeError('Failed to fetch'), 'refresh_failed'],
    ['408', httpError(408), 'refresh_failed'],
    ['429', httpError(429), 'refresh_failed'],
    ['500', httpError(500), 'refresh_failed'],
    ['an axios-style 502', Object.assign(new Error('x'), { response: { status: 502 } }), 'refresh_failed'],
    ['418', httpError(418), 'refresh_failed'],
    ['a RefreshError', new RefreshError('nope'), 'refresh_failed'],
  ])('treats %s as transient', async (_, error, code) => {
    const auth = client({
      refresh: async () => {
        throw error
      },
    })
    const t = token()
    auth.setTokens({ accessToken: t, refreshToken: 'rt' })
    const e = await auth.refresh().catch((x: RefreshError) => x)
    expect(e).toMatchObject({ code, permanent: false })
    expect(auth.getState()).toMatchObject({ status: 'authenticated', accessToken: t, error: e })
    auth.destroy()
  })

  it('walks authenticated → expired → authenticated across an outage', async () => {
    let down = true
    const refresh = vi.fn(async () => {
      if (down) throw httpError(503)
      return { accessToken: token(300) }
    })
    const auth = client({ refresh, retry: { attempts: 100, baseDelay: 1_000, maxDelay: 10_000 } })
    const statuses: string[] = []
    auth.subscribe((s) => statuses.at(-1) !== s.status && statuses.push(s.status))
    const expired = vi.fn()
    auth.on('expired', expired)
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(400_000)
    expect(auth.getState().status).toBe('expired')
    expect(await auth.getAccessToken()).toBeNull()
    down = false
    await vi.advanceTimersByTimeAsync(10_000)
    expect(auth.getState().status).toBe('authenticated')
    expect(statuses).toEqual(['authenticated', 'expired', 'authenticated'])
    expect(expired).toHaveBeenCalledTimes(1)
    auth.destroy()
  })

  it('getAccessToken resolves the current token after a failure while it is unexpired, starting no new attempt', async () => {
    const refresh = vi.fn(async () => {
      throw httpError(500)
    })
    const auth = client({ refresh, retry: { attempts: 3, baseDelay: 10_000, maxDelay: 10_000 } })
    const t = token(300)
    auth.setTokens({ accessToken: t, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(240_000)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(await auth.getAccessToken()).toBe(t)
    expect(refresh).toHaveBeenCalledTimes(1)
    auth.destroy()
  })

  it('refresh() while a retry is scheduled tries at once and replaces that retry', async () => {
    let fail = true
    const refresh = vi.fn(async () => {
      if (fail) throw httpError(500)
      return { accessToken: token(300) }
    })
    const auth = client({ refresh, retry: { attempts: 5, baseDelay: 60_000, maxDelay: 60_000 } })
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await auth.refresh().catch(() => {})
    fail = false
    await auth.refresh()
    expect(refresh).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(refresh).toHaveBeenCalledTimes(2)
    auth.destroy()
  })

  it('rejects refresh() with the same RefreshError the refreshError event carries', async () => {
    const auth = client({
      refresh: async () => {
        throw httpError(500)
      },
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const seen: unknown[] = []
    auth.on('refreshError', (e) => seen.push(e.error))
    const e = await auth.refresh().catch((x) => x)
    expect(seen).toEqual([e])
    expect(seen[0]).toBe(e)
    auth.destroy()
  })

  it('aborts a hung refresh after refreshTimeout through the signal, and retries', async () => {
    const signals: AbortSignal[] = []
    const refresh = vi.fn(({ signal }: { signal: AbortSignal }) => {
      signals.push(signal)
      return new Promise<TokenSet>(() => {})
    })
    const auth = client({
      refresh,
      refreshTimeout: 5_000,
      retry: { attempts: 2, baseDelay: 10, maxDelay: 10 },
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const p = auth.refresh().catch((e) => e)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(await p).toMatchObject({ code: 'refresh_timeout', permanent: false })
    expect(signals[0]!.aborted).toBe(true)
    await vi.advanceTimersByTimeAsync(5_100)
    expect(refresh).toHaveBeenCalledTimes(2)
    expect(auth.getState().status).toBe('authenticated')
    auth.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('Retry-After', () => {
  /** A refresh that fails once with `error`, then issues tokens; the times of its calls after T0. */
  function failOnce(error: unknown) {
    const at: number[] = []
    const refresh = vi.fn(async (): Promise<TokenSet> => {
      at.push(Date.now() - T0)
      if (at.length === 1) throw error
      return { accessToken: token(300) }
    })
    return { refresh, at }
  }

  it.each([
    ['a RefreshError with retryAfter', new RefreshError('Rate limited', { status: 429, retryAfter: 20 })],
    [
      // axios's own errors are tested in @latchkey/axios: its AxiosHeaders has the same get().
      'an error whose response holds headers with get(), as AxiosHeaders does',
      Object.assign(new Error('x'), {
        response: { status: 429, headers: new Headers({ 'Retry-After': '20' }) },
      }),
    ],
    [
      'an error carrying a fetch Response (ky, ofetch)',
      Object.assign(new Error('x'), {
        response: new Response(null, { status: 503, headers: { 'Retry-After': '20' } }),
      }),
    ],
    [
      'a fetch Response thrown as it is (`if (!res.ok) throw res`)',
      new Response(null, { status: 429, headers: { 'Retry-After': '20' } }),
    ],
  ])("%s: the retry waits the server's seconds, then its jitter; nothing tries sooner", async (_, error) => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const { refresh, at } = failOnce(error)
    const auth = client({ refresh, retry: { attempts: 4, baseDelay: 1_000, maxDelay: 30_000 } })
    // Already expired: the refresh starts at once and fails.
    auth.setTokens({ accessToken: 'opaque', expiresIn: 0, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(0)
    expect(auth.getState()).toMatchObject({
      status: 'expired',
      error: { code: 'refresh_failed', retryAfter: 20 },
    })
    // Asked for a token during the wait: none, and no new try.
    await vi.advanceTimersByTimeAsync(10_000)
    expect(await auth.getAccessToken()).toBeNull()
    await vi.advanceTimersByTimeAsync(10_499)
    expect(at).toEqual([0])
    // 20 s the server asked for + U(0, 1 s) at random() = 0.5.
    await vi.advanceTimersByTimeAsync(1)
    expect(at).toEqual([0, 20_500])
    expect(auth.getState().status).toBe('authenticated')
    auth.destroy()
  })

  it('without Retry-After the first retry comes within the backoff alone', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const { refresh, at } = failOnce(
      Object.assign(new Error('x'), { response: { status: 429, headers: new Headers() } }),
    )
    const auth = client({ refresh, retry: { attempts: 4, baseDelay: 1_000, maxDelay: 30_000 } })
    auth.setTokens({ accessToken: 'opaque', expiresIn: 0, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(1_000)
    expect(at).toEqual([0, 500])
    auth.destroy()
  })

  it('refresh() during the wait still tries at once, as it does during any scheduled retry', async () => {
    const { refresh, at } = failOnce(new RefreshError('Rate limited', { status: 429, retryAfter: 60 }))
    const auth = client({ refresh })
    auth.setTokens({ accessToken: 'opaque', expiresIn: 0, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(5_000)
    await auth.refresh()
    expect(at).toEqual([0, 5_000])
    // The retry it replaced does not run later.
    await vi.advanceTimersByTimeAsync(120_000)
    expect(at).toEqual([0, 5_000])
    auth.destroy()
  })

  it('401s during the wait are returned, not each answered with a refresh the server said it refuses', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    // The token endpoint refuses every call until 270 s, saying how long is left.
    const at: number[] = []
    const refresh = vi.fn(async (): Promise<TokenSet> => {
      const t = at[at.push(Date.now() - T0) - 1]!
      if (t < 270_000)
        throw new RefreshError('Rate limited', { status: 429, retryAfter: (270_000 - t) / 1000 })
      return { accessToken: token(300) }
    })
    const auth = client({ refresh })
    const first = token(300)
    auth.setTokens({ accessToken: first, refreshToken: 'rt' })
    // The API refuses the first token (revoked, say): every request with it gets a 401.
    const fetch = vi.fn(
      async (_: unknown, init?: RequestInit) =>
        new Response(null, {
          status: new Headers(init?.headers).get('authorization')?.endsWith(first) ? 401 : 200,
        }),
    )
    const api = createAuthFetch(auth, { origins: ['https://api.example'], fetch })
    await vi.advanceTimersByTimeAsync(240_000)
    expect(at).toEqual([240_000])
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) {
      statuses.push((await api('https://api.example/x')).status)
      await vi.advanceTimersByTimeAsync(5_000)
    }
    // Within the 30 s the server asked for, its token endpoint hears nothing more.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401])
    expect(at).toEqual([240_000])
    // Its own retry comes as scheduled: 30 s + U(0, 1 s) at random() = 0.5.
    await vi.advanceTimersByTimeAsync(500)
    expect(at).toEqual([240_000, 270_500])
    expect((await api('https://api.example/x')).status).toBe(200)
    auth.destroy()
  })

  it('oauth2Refresh: a 429 whose Retry-After is an HTTP date holds the retry until that date', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    let calls = 0
    const fetch = vi.fn(async () =>
      ++calls === 1
        ? new Response(JSON.stringify({ error: 'slow_down' }), {
            status: 429,
            headers: { 'Retry-After': new Date(T0 + 90_000).toUTCString() },
          })
        : Response.json({ access_token: token(300), expires_in: 300 }),
    )
    const auth = client({
      refresh: oauth2Refresh({ tokenEndpoint: 'https://id.example/token', clientId: 'spa', fetch }),
    })
    auth.setTokens({ accessToken: 'opaque', expiresIn: 0, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(89_999)
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(auth.getState().error).toMatchObject({ code: 'refresh_failed', status: 429, retryAfter: 90 })
    await vi.advanceTimersByTimeAsync(1)
    expect(fetch).toHaveBeenCalledTimes(2)
    expect(auth.getState().status).toBe('authenticated')
    auth.destroy()
  })

  it.each(['Infinity', '1e12', '-5', '0x10'])(
    'a Retry-After of %s (not delay-seconds, not a date) asks for no wait',
    async (header) => {
      vi.spyOn(Math, 'random').mockReturnValue(0.5)
      const { refresh, at } = failOnce(
        Object.assign(new Error('x'), {
          response: { status: 429, headers: new Headers({ 'Retry-After': header }) },
        }),
      )
      const auth = client({ refresh, retry: { attempts: 4, baseDelay: 1_000, maxDelay: 30_000 } })
      auth.setTokens({ accessToken: 'opaque', expiresIn: 0, refreshToken: 'rt' })
      await vi.advanceTimersByTimeAsync(0)
      expect(auth.getState().error).toMatchObject({ code: 'refresh_failed', retryAfter: undefined })
      await vi.advanceTimersByTimeAsync(1_000)
      expect(at).toEqual([0, 500])
      auth.destroy()
    },
  )

  it.each([
    ["the app's own RefreshError with retryAfter: Infinity", new RefreshError('x', { retryAfter: Infinity })],
    ['a far date (or a digit string past what a timer holds)', new RefreshError('x', { retryAfter: 1e306 })],
  ])('%s: the retry still comes, after at most 2^31−1 ms', async (_, error) => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    const { refresh, at } = failOnce(error)
    const auth = client({ refresh })
    auth.setTokens({ accessToken: 'opaque', expiresIn: 0, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(2 ** 31 - 2)
    expect(at).toEqual([0])
    await vi.advanceTimersByTimeAsync(1)
    expect(at).toEqual([0, 2 ** 31 - 1])
    auth.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a RefreshError of another copy whose retryAfter is not a positive number waits the backoff alone', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const foreign = Object.assign(new Error('x'), {
      name: 'RefreshError',
      code: 'refresh_failed',
      permanent: false,
      retryAfter: Number.NaN,
    })
    const { refresh, at } = failOnce(foreign)
    const auth = client({ refresh })
    auth.setTokens({ accessToken: 'opaque', expiresIn: 0, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(0)
    // Waiting: a token asked for now starts no try.
    expect(await auth.getAccessToken()).toBeNull()
    expect(at).toEqual([0])
    await vi.advanceTimersByTimeAsync(500)
    expect(at).toEqual([0, 500])
    auth.destroy()
  })

  it.each([
    [0, undefined],
    [-5, undefined],
    [Number.NaN, undefined],
    [2.5, 2.5],
  ])('RefreshError keeps retryAfter %s as %s', (given, kept) => {
    expect(new RefreshError('x', { retryAfter: given }).retryAfter).toBe(kept)
  })
})

describe('permanent failures', () => {
  it.each([
    ['400', httpError(400)],
    ['401', httpError(401)],
    ['403', httpError(403)],
    ['invalid_grant', Object.assign(new Error('x'), { error: 'invalid_grant' })],
    [
      'an axios invalid_grant',
      Object.assign(new Error('x'), { response: { status: 418, data: { error: 'invalid_grant' } } }),
    ],
    ['RefreshError { permanent: true }', new RefreshError('no', { permanent: true })],
    ['an error with permanent: true', Object.assign(new Error('revoked'), { permanent: true })],
    ["RefreshError { code: 'refresh_rejected' }", new RefreshError('no', { code: 'refresh_rejected' })],
  ])('%s ends the session with logout { reason: refresh_rejected }', async (_, error) => {
    const auth = client({
      refresh: async () => {
        throw error
      },
    })
    const order: string[] = []
    auth.on('refreshError', (e) => order.push(`refreshError:${e.willRetry}`))
    auth.on('logout', (e) => order.push(`logout:${e.reason}`))
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const e = await auth.refresh().catch((x) => x)
    expect(e).toMatchObject({ code: 'refresh_rejected', permanent: true })
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', accessToken: null, error: e })
    expect(order).toEqual(['refreshError:false', 'logout:refresh_rejected'])
    expect(vi.getTimerCount()).toBe(0)
  })

  it.each([
    ['a malformed token', { accessToken: 'a.b.c' }],
    ['an opaque token without expiresIn', { accessToken: 'opaque' }],
    ['a token with exp ≤ iat', { accessToken: rawJwt({ alg: 'none' }, { iat: 2e9, exp: 2e9 }) }],
    [
      'a token without iat already past exp',
      { accessToken: rawJwt({ alg: 'none' }, { exp: T0 / 1000 - 1 }) },
    ],
    ['nothing', undefined],
  ])('a refresh that returns %s is permanent', async (_, result) => {
    const auth = client({ refresh: async () => result as never })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_rejected' })
    expect(auth.getState().status).toBe('unauthenticated')
  })
})

describe('rotation', () => {
  it('keeps the refresh token when the result omits it, replaces it when given, removes it on null', async () => {
    const results: TokenSet[] = [
      { accessToken: token(300) },
      { accessToken: token(300), refreshToken: 'rt2' },
      { accessToken: token(300), refreshToken: null },
    ]
    const seen: Array<string | null> = []
    const auth = client({
      refresh: async ({ refreshToken }) => {
        seen.push(refreshToken)
        return results.shift()!
      },
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt1' })
    await auth.refresh()
    await auth.refresh()
    await auth.refresh()
    expect(seen).toEqual(['rt1', 'rt1', 'rt2'])
    expect(auth.getState().canRefresh).toBe(false)
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'no_refresh' })
    auth.destroy()
  })
})

describe('no_refresh', () => {
  it('thrown by the refresh function, it is a failure like any other: told, retried, never stuck', async () => {
    const refresh = vi.fn(async (): Promise<TokenSet> => {
      throw new RefreshError('nothing', { code: 'no_refresh' })
    })
    const auth = client({ refresh, retry: { attempts: 2, baseDelay: 1_000, maxDelay: 1_000 } })
    const failures: unknown[] = []
    auth.on('refreshError', (e) => failures.push([e.error.code, e.willRetry]))
    auth.setTokens({ accessToken: 'opaque', expiresIn: 0, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(5_000)
    expect(failures).toEqual([
      ['refresh_failed', true],
      ['refresh_failed', false],
    ])
    expect(auth.getState()).toMatchObject({ status: 'expired', error: { code: 'refresh_failed' } })
    // Waiting for `online` now: asking for a token calls nothing.
    expect(await auth.getAccessToken()).toBeNull()
    expect(refresh).toHaveBeenCalledTimes(2)
    auth.destroy()
  })

  it('rejects refresh() without a refresh function or a refresh token', async () => {
    const a = client()
    a.setTokens({ accessToken: token(), refreshToken: 'rt' })
    await expect(a.refresh()).rejects.toMatchObject({ code: 'no_refresh' })
    const b = client({ refresh: issuer().refresh })
    b.setTokens({ accessToken: token() })
    expect(b.getState().canRefresh).toBe(false)
    await expect(b.refresh()).rejects.toMatchObject({ code: 'no_refresh' })
    await expect(client({ refresh: issuer().refresh }).refresh()).rejects.toMatchObject({
      code: 'no_refresh',
    })
  })
})

describe('refreshWithoutToken (HttpOnly cookie)', () => {
  it('counts as refreshable with no stored refresh token', async () => {
    const refresh = vi.fn(async (_: { refreshToken: string | null }) => ({ accessToken: token(300) }))
    const auth = client({ refresh, refreshWithoutToken: true })
    auth.setTokens({ accessToken: token(300) })
    expect(auth.getState().canRefresh).toBe(true)
    await auth.refresh()
    expect(refresh.mock.calls[0]![0]).toMatchObject({ refreshToken: null })
    auth.destroy()
  })

  it('restores a session at start-up from unauthenticated, emitting login', async () => {
    const refresh = vi.fn(async (_: { refreshToken: string | null }) => ({ accessToken: token(300) }))
    const auth = client({ refresh, refreshWithoutToken: true })
    expect(auth.getState().canRefresh).toBe(false)
    const onLogin = vi.fn()
    auth.on('login', onLogin)
    await auth.refresh()
    expect(refresh.mock.calls[0]![0]).toMatchObject({ refreshToken: null, accessToken: null })
    expect(onLogin).toHaveBeenCalledTimes(1)
    expect(auth.getState().status).toBe('authenticated')
    auth.destroy()
  })

  it('a 401 at start-up leaves it unauthenticated without a logout event', async () => {
    const auth = client({
      refresh: async () => {
        throw httpError(401)
      },
      refreshWithoutToken: true,
    })
    const onLogout = vi.fn()
    auth.on('logout', onLogout)
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_rejected' })
    expect(onLogout).not.toHaveBeenCalled()
    expect(auth.getState().status).toBe('unauthenticated')
  })
})

describe('events and re-entrancy', () => {
  it('a listener may call refresh() and getAccessToken() without deadlocking', async () => {
    const { refresh } = issuer()
    const auth = client({ refresh })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const got: Array<string | null> = []
    let again = true
    auth.on('refresh', () => {
      void auth.getAccessToken().then((t) => got.push(t))
      if (again) {
        again = false
        void auth.refresh().then((t) => got.push(t))
      }
    })
    auth.subscribe(() => void auth.getAccessToken())
    await auth.refresh()
    await vi.advanceTimersByTimeAsync(10)
    expect(refresh).toHaveBeenCalledTimes(2)
    expect(got).toHaveLength(3)
    auth.destroy()
  })

  it('a listener that throws breaks neither the refresh nor the others', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const { refresh } = issuer()
    const auth = client({ refresh })
    auth.on('refresh', () => {
      throw new Error('listener bug')
    })
    const after = vi.fn()
    auth.on('refresh', after)
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    await expect(auth.refresh()).resolves.toBeTypeOf('string')
    expect(after).toHaveBeenCalledTimes(1)
    expect(auth.getState()).toMatchObject({ isRefreshing: false, status: 'authenticated' })
    auth.destroy()
  })

  it('isRefreshing is true while a refresh is in flight, and the refresh event sees the new state', async () => {
    let resolve!: (t: TokenSet) => void
    const auth = client({ refresh: () => new Promise((r) => (resolve = r)) })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const p = auth.refresh()
    expect(auth.getState().isRefreshing).toBe(false)
    await flush()
    expect(auth.getState().isRefreshing).toBe(true)
    const seen = vi.fn()
    auth.on('refresh', seen)
    resolve({ accessToken: token(500) })
    const t = await p
    expect(seen.mock.calls[0]![0]).toMatchObject({ accessToken: t, isRefreshing: false })
    auth.destroy()
  })

  it('drops a refresh result that arrives after logout', async () => {
    let resolve!: (t: TokenSet) => void
    const auth = client({ refresh: () => new Promise((r) => (resolve = r)) })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const p = auth.refresh().catch((e) => e)
    await flush()
    await auth.logout()
    resolve({ accessToken: token() })
    expect(await p).toMatchObject({ code: 'no_refresh' })
    expect(auth.getState().status).toBe('unauthenticated')
  })

  it('destroy() with a retry pending leaves no timer', async () => {
    const auth = client({
      refresh: async () => {
        throw httpError(500)
      },
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    await auth.refresh().catch(() => {})
    expect(vi.getTimerCount()).toBeGreaterThan(0)
    auth.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })
})
