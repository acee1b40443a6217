// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, type TokenSet } from '../src'
import { T0, token } from './helpers'

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  localStorage.clear()
})
afterEach(() => {
  vi.useRealTimers()
})

/** Moves the clock without running timers: what a suspended laptop or a throttled tab sees. */
const sleepFor = (ms: number) => vi.setSystemTime(Date.now() + ms)

describe('waking up', () => {
  it.each([
    ['visibilitychange', () => document.dispatchEvent(new Event('visibilitychange'))],
    ['pageshow', () => window.dispatchEvent(new Event('pageshow'))],
    ['focus', () => window.dispatchEvent(new Event('focus'))],
    ['online', () => window.dispatchEvent(new Event('online'))],
    ['resume', () => document.dispatchEvent(new Event('resume'))],
  ])('re-checks at once on %s after the machine slept past exp', async (_, wake) => {
    const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: token(300) }))
    const auth = createAuthClient({ refresh })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    // Started up: the check made after creation's microtask would otherwise see the sleep, not the event.
    await auth.ready
    sleepFor(3_600_000)
    expect(refresh).not.toHaveBeenCalled()
    wake()
    await vi.advanceTimersByTimeAsync(0)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(auth.getState().status).toBe('authenticated')
    auth.destroy()
  })

  // A sleep is no clock set back: the wall clock runs on while the monotonic one may stop. Only a wall
  // clock that fell behind the monotonic one moves the session's times (see clock.test.ts).
  it('after the clock was set back, a short sleep moves nothing and a long one refreshes at once on wake', async () => {
    const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: token(300, { n: 2 }) }))
    const auth = createAuthClient({ refresh })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    const expiresAt = T0 + 300_000 - 3_600_000
    vi.setSystemTime(Date.now() - 3_600_000)
    window.dispatchEvent(new Event('focus'))
    await vi.advanceTimersByTimeAsync(0)
    expect(auth.getState().expiresAt).toBe(expiresAt)
    sleepFor(100_000)
    window.dispatchEvent(new Event('focus'))
    await vi.advanceTimersByTimeAsync(0)
    expect(refresh).not.toHaveBeenCalled()
    expect(auth.getState()).toMatchObject({ status: 'authenticated', expiresAt })
    sleepFor(3_600_000)
    document.dispatchEvent(new Event('visibilitychange'))
    await vi.advanceTimersByTimeAsync(0)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', expiresAt: Date.now() + 300_000 })
    auth.destroy()
  })

  it('refreshes before the next request leaves, even with no wake event', async () => {
    const fresh = token(300, { jti: 'next' }) // not the token held: that one sent back is not renewed
    const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: fresh }))
    const auth = createAuthClient({ refresh })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    sleepFor(3_600_000)
    expect(await auth.getAccessToken()).toBe(fresh)
    auth.destroy()
  })

  it('re-reads shared storage on wake, adopting a token another tab stored meanwhile', () => {
    const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: token(300) }))
    const auth = createAuthClient({ storage: 'localStorage', refresh, syncTabs: false })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    sleepFor(3_600_000)
    const other = createAuthClient({ storage: 'localStorage', syncTabs: false })
    // The other tab logged in again while this one slept (no storage event reached us).
    other.setTokens({ accessToken: token(300, { sub: 'other' }), refreshToken: 'rt2' })
    document.dispatchEvent(new Event('visibilitychange'))
    expect(refresh).not.toHaveBeenCalled()
    expect(auth.getState().claims).toMatchObject({ sub: 'other' })
    auth.destroy()
  })

  it('after the last retry, waits for online and then tries exactly once per online', async () => {
    const refresh = vi.fn(async (): Promise<TokenSet> => {
      throw new TypeError('offline')
    })
    const auth = createAuthClient({ refresh, retry: { attempts: 2, baseDelay: 100, maxDelay: 100 } })
    const events: Array<[number, boolean]> = []
    auth.on('refreshError', (e) => events.push([e.attempt, e.willRetry]))
    auth.setTokens({ accessToken: 'o', expiresIn: 0, refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(refresh).toHaveBeenCalledTimes(2)
    // Neither a wake-up nor getAccessToken starts an attempt in this state.
    window.dispatchEvent(new Event('focus'))
    expect(await auth.getAccessToken()).toBeNull()
    expect(refresh).toHaveBeenCalledTimes(2)
    window.dispatchEvent(new Event('online'))
    await vi.advanceTimersByTimeAsync(60_000)
    window.dispatchEvent(new Event('online'))
    await vi.advanceTimersByTimeAsync(60_000)
    expect(refresh).toHaveBeenCalledTimes(4)
    expect(events).toEqual([
      [1, true],
      [2, false],
      [3, false],
      [4, false],
    ])
    auth.destroy()
  })

  // The usual outage: the last attempt left as the network dropped and hangs until refreshTimeout; the
  // network returns (and `online` fires) before it times out. No `online` comes after it.
  it('an online heard while the last attempt is in flight is not missed: that attempt failing, it tries once more', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    let down = true
    const fresh = token(300, { jti: 'fresh' })
    const refresh = vi.fn(
      ({ signal }: { signal: AbortSignal }): Promise<TokenSet> =>
        down
          ? new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
          : Promise.resolve({ accessToken: fresh }),
    )
    const auth = createAuthClient({ refresh, retry: { attempts: 2 } })
    const events: Array<[number, boolean]> = []
    auth.on('refreshError', (e) => events.push([e.attempt, e.willRetry]))
    auth.setTokens({ accessToken: 'o', expiresIn: 0, refreshToken: 'rt' })
    // Attempt 1 times out at 10 s; attempt 2 (the last) starts at once and hangs.
    await vi.advanceTimersByTimeAsync(15_000)
    expect(refresh).toHaveBeenCalledTimes(2)
    down = false
    window.dispatchEvent(new Event('online'))
    await vi.advanceTimersByTimeAsync(60_000)
    expect(events).toEqual([
      [1, true],
      [2, true],
    ])
    expect(refresh).toHaveBeenCalledTimes(3)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', accessToken: fresh })
    auth.destroy()
    vi.restoreAllMocks()
  })

  // A frozen page's network goes on: the answer to its refresh may be waiting in its first tasks after the
  // resume. Timed out first, it was lost, and the retry spent the refresh token it had rotated again.
  it('takes the answer that came while the page was frozen, though the refresh’s time ran out meanwhile', async () => {
    let answer = (_: TokenSet) => {}
    const refresh = vi.fn(() => new Promise<TokenSet>((resolve) => (answer = resolve)))
    const auth = createAuthClient({ refresh, refreshTimeout: 10_000 })
    const failures: string[] = []
    auth.on('refreshError', ({ error }) => failures.push(error.code))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await auth.ready
    const pending = auth.refresh()
    await vi.advanceTimersByTimeAsync(0) // the call has left
    expect(refresh).toHaveBeenCalledTimes(1)
    sleepFor(60_000)
    document.dispatchEvent(new Event('resume'))
    await vi.advanceTimersByTimeAsync(500)
    const fresh = token(300, { n: 2 })
    answer({ accessToken: fresh })
    expect(await pending).toBe(fresh)
    expect(failures).toEqual([])
    expect(refresh).toHaveBeenCalledTimes(1)
    auth.destroy()
  })

  it('times out a refresh with no answer a second after the resume, also when its timer fires before', async () => {
    const refresh = vi.fn(() => new Promise<TokenSet>(() => {}))
    const auth = createAuthClient({ refresh, refreshTimeout: 10_000 })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await auth.ready
    const pending = auth.refresh().catch((e: { code: string }) => e.code)
    await vi.advanceTimersByTimeAsync(9_500)
    document.dispatchEvent(new Event('resume'))
    // The timeout's timer fires at 10 s, within the second after the resume: it waits until that ends.
    await vi.advanceTimersByTimeAsync(999)
    expect(auth.getState().isRefreshing).toBe(true)
    await vi.advanceTimersByTimeAsync(1)
    expect(await pending).toBe('refresh_timeout')
    auth.destroy()
  })

  // The wake-ups that follow a resume (the tab shown: visibilitychange, focus), the network's return and a
  // caller that wants a token all look at an overdue refresh too: within the second, none times it out.
  it('takes the answer in the second after the resume, whatever wakes or asks for a token meanwhile', async () => {
    let answer = (_: TokenSet) => {}
    const refresh = vi.fn(() => new Promise<TokenSet>((resolve) => (answer = resolve)))
    const auth = createAuthClient({ refresh, refreshTimeout: 10_000 })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await auth.ready
    const pending = auth.refresh()
    await vi.advanceTimersByTimeAsync(0)
    sleepFor(400_000)
    document.dispatchEvent(new Event('resume'))
    document.dispatchEvent(new Event('visibilitychange'))
    window.dispatchEvent(new Event('focus'))
    window.dispatchEvent(new Event('online'))
    const asked = auth.getAccessToken()
    await vi.advanceTimersByTimeAsync(900)
    expect(auth.getState().isRefreshing).toBe(true)
    const fresh = token(300, { n: 2 })
    answer({ accessToken: fresh })
    expect([await pending, await asked]).toEqual([fresh, fresh])
    expect(refresh).toHaveBeenCalledTimes(1)
    auth.destroy()
  })

  // The second is measured on the client's clock, and the timeout's timer asked for what was left of it
  // each time it fired: a clock set back just after the resume (an NTP step) had it wait as long as the
  // step, an injected clock that stands still for good, and a hung refresh held every caller that long.
  it.each([
    ['the clock is set back just after the resume', {}, () => vi.setSystemTime(Date.now() - 3_600_000)],
    ['an injected clock stands still', { now: () => T0 }, () => {}],
  ])(
    'times out a refresh with no answer a second after its time at most, though %s',
    async (_, options, after) => {
      const refresh = vi.fn(() => new Promise<TokenSet>(() => {}))
      const auth = createAuthClient({ ...options, refresh, refreshTimeout: 10_000 })
      auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
      await auth.ready
      const pending = auth.refresh().catch((e: { code: string }) => e.code)
      await vi.advanceTimersByTimeAsync(9_500)
      document.dispatchEvent(new Event('resume'))
      after()
      // Its time runs out at 10 s, when the timer waits a second more, and no longer.
      await vi.advanceTimersByTimeAsync(1_500)
      expect(auth.getState().isRefreshing).toBe(false)
      expect(await pending).toBe('refresh_timeout')
      auth.destroy()
    },
  )

  // Each resume has its second: frozen again within one, a page may get its answer in the next.
  it('takes the answer after a second resume, though the timeout’s timer waited out the first', async () => {
    let answer = (_: TokenSet) => {}
    const refresh = vi.fn(() => new Promise<TokenSet>((resolve) => (answer = resolve)))
    const auth = createAuthClient({ refresh, refreshTimeout: 10_000 })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await auth.ready
    const pending = auth.refresh()
    await vi.advanceTimersByTimeAsync(9_500)
    document.dispatchEvent(new Event('resume'))
    // The timer fires at 10 s and waits until 10.5 s; the page freezes again at 10.2 s.
    await vi.advanceTimersByTimeAsync(700)
    sleepFor(60_000)
    document.dispatchEvent(new Event('resume'))
    await vi.advanceTimersByTimeAsync(900)
    const fresh = token(300, { n: 2 })
    answer({ accessToken: fresh })
    expect(await pending).toBe(fresh)
    expect(refresh).toHaveBeenCalledTimes(1)
    auth.destroy()
  })

  it('removes its listeners on destroy', () => {
    const remove = vi.spyOn(window, 'removeEventListener')
    const removeDoc = vi.spyOn(document, 'removeEventListener')
    const auth = createAuthClient()
    auth.destroy()
    expect(remove.mock.calls.map((c) => c[0]).sort()).toEqual(['focus', 'online', 'pageshow'])
    expect(removeDoc.mock.calls.map((c) => c[0]).sort()).toEqual(['resume', 'visibilitychange'])
  })
})
