// @vitest-environment happy-dom
import { createTestToken } from '@latchkey/testing'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { createAuthClient, type TokenSet } from '../src'
import { T0 } from './helpers'

const token = (ttl = 300, claims: Record<string, unknown> = {}) =>
  createTestToken({ sub: 'u', ...claims }, { expiresIn: ttl, issuedAt: Math.floor(Date.now() / 1000) })
/** Wall clock moves, timers do not: a suspended laptop / frozen background tab. */
const sleepFor = (ms: number) => vi.setSystemTime(Date.now() + ms)

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  localStorage.clear()
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

// API.md, Refresh rules › Scheduling: "On `visibilitychange` (to visible), `pageshow`, `online` and
// `focus` the client re-reads shared storage and re-checks at once, because timers sleep in background
// tabs and on suspended laptops."
// API.md, Failures: "The tokens are kept and the refresh retried with backoff and full jitter".
it.each([
  ['visibilitychange', () => document.dispatchEvent(new Event('visibilitychange'))],
  ['focus', () => window.dispatchEvent(new Event('focus'))],
  ['pageshow', () => window.dispatchEvent(new Event('pageshow'))],
  ['online', () => window.dispatchEvent(new Event('online'))],
])('a retry whose time passed while the machine slept runs at once on %s', async (_, wake) => {
  vi.spyOn(Math, 'random').mockReturnValue(0.5)
  let fail = true
  const refresh = vi.fn(async (): Promise<TokenSet> => {
    if (fail) throw Object.assign(new Error('HTTP 503'), { status: 503 })
    return { accessToken: token(300) }
  })
  const auth = createAuthClient({ refresh, retry: { attempts: 4, baseDelay: 1_000, maxDelay: 30_000 } })
  auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
  await vi.advanceTimersByTimeAsync(240_000) // due: first try fails, a retry is due within 500 ms
  expect(refresh).toHaveBeenCalledTimes(1)
  fail = false
  sleepFor(3_600_000) // the laptop sleeps an hour right after: the retry timer did not fire
  wake()
  await vi.advanceTimersByTimeAsync(0)
  // The retry was due 59+ minutes ago (wall clock): re-checking at once must run it.
  expect(refresh).toHaveBeenCalledTimes(2)
  expect(auth.getState().status).toBe('authenticated')
  auth.destroy()
})

// Same root cause, no wake event (a background tab whose throttled timer has not fired yet, a request
// sent from a message handler): API.md getAccessToken "Refreshes first if needed … it starts no new
// attempt while a retry is scheduled". The retry is not a new attempt: it is the scheduled one, and its
// time (wall clock) has passed. Leaving it asleep makes getAccessToken resolve null for a session that
// the very next try would renew.
it('getAccessToken() after the machine slept past an overdue retry runs that retry instead of resolving null', async () => {
  vi.spyOn(Math, 'random').mockReturnValue(0.5)
  let fail = true
  const fresh = token(300, { jti: 'next' }) // not the token held: that one sent back is not renewed
  const refresh = vi.fn(async (): Promise<TokenSet> => {
    if (fail) throw Object.assign(new Error('HTTP 503'), { status: 503 })
    return { accessToken: fresh }
  })
  const auth = createAuthClient({ refresh })
  auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
  await vi.advanceTimersByTimeAsync(240_000)
  fail = false
  sleepFor(3_600_000)
  expect(await auth.getAccessToken()).toBe(fresh)
  auth.destroy()
})

it('a wake-up before the retry is due starts nothing: the retry runs at its time, once', async () => {
  vi.spyOn(Math, 'random').mockReturnValue(0.5)
  let fail = true
  const refresh = vi.fn(async (): Promise<TokenSet> => {
    if (fail) throw Object.assign(new Error('HTTP 503'), { status: 503 })
    return { accessToken: token(300) }
  })
  const auth = createAuthClient({ refresh })
  auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
  await vi.advanceTimersByTimeAsync(240_000) // the first try fails; the retry is due in 500 ms
  fail = false
  await vi.advanceTimersByTimeAsync(100)
  window.dispatchEvent(new Event('focus'))
  expect(await auth.getAccessToken({ minValidity: 0 })).not.toBeNull() // still valid: no new attempt
  await vi.advanceTimersByTimeAsync(0)
  expect(refresh).toHaveBeenCalledTimes(1)
  await vi.advanceTimersByTimeAsync(400)
  expect(refresh).toHaveBeenCalledTimes(2)
  expect(auth.getState().error).toBeNull()
  auth.destroy()
})
