import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, type TokenSet, type TokenStorage } from '../src'
import { flush, T0, token } from './helpers'
import { sharedArea } from './support/storages'

/**
 * A wall clock set back (an NTP step, the user, a VM restored from a snapshot) while the client runs.
 * Fake timers fake `performance.now()` as well, and `vi.setSystemTime` moves only `Date.now()`: the
 * wall clock goes back while the time that really passed (timers, `performance.now()`) goes on.
 */
const HOUR = 3_600_000
const setBack = (ms: number) => vi.setSystemTime(Date.now() - ms)
/** ms that really passed (monotonic) since the test began. */
let start = 0
const elapsed = () => performance.now() - start

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  start = performance.now()
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('a wall clock set back', () => {
  it('refreshes on time, by the time that really passed, when the clock is set back an hour', async () => {
    const at: number[] = []
    const refresh = vi.fn(async (): Promise<TokenSet> => {
      at.push(elapsed())
      return { accessToken: token(300, { n: 2 }) }
    })
    const auth = createAuthClient({ refresh })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' }) // due 240 s on (leeway 60 s)
    await vi.advanceTimersByTimeAsync(100_000)
    setBack(HOUR)
    await vi.advanceTimersByTimeAsync(140_000)
    expect(at).toEqual([240_000])
    // The new token is measured on the clock as it reads now: not moved back a second time.
    expect(auth.getState()).toMatchObject({ status: 'authenticated', expiresAt: Date.now() + 300_000 })
    auth.destroy()
  })

  it('getAccessToken() sees it before any timer does: a token really short of minValidity is renewed first', async () => {
    const fresh = token(300, { n: 2 })
    const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: fresh }))
    const auth = createAuthClient({ refresh })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' }) // due 240 s on
    await vi.advanceTimersByTimeAsync(200_000)
    setBack(HOUR)
    // 100 s left, by the time that really passed; by the wall clock, 3,700 s.
    expect(await auth.getAccessToken({ minValidity: 120 })).toBe(fresh)
    expect(refresh).toHaveBeenCalledTimes(1)
    auth.destroy()
  })

  it('peekAccessToken() hands out no token past its real expiry, and the session ends on time', async () => {
    const auth = createAuthClient() // nothing renews it
    const expired = vi.fn()
    auth.on('expired', expired)
    const held = token(300)
    auth.setTokens({ accessToken: held })
    await vi.advanceTimersByTimeAsync(250_000) // the check at exp − leeway is past: the next is at exp
    setBack(HOUR)
    // 50 s left really: within the leeway.
    expect(auth.peekAccessToken()).toBeNull()
    // The state tells the expiry on the clock as it reads now.
    await vi.advanceTimersByTimeAsync(0)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', expiresAt: T0 + 300_000 - HOUR })
    await vi.advanceTimersByTimeAsync(49_999)
    expect(auth.getState().status).toBe('authenticated')
    await vi.advanceTimersByTimeAsync(1)
    expect(auth.getState().status).toBe('unauthenticated')
    expect(expired).toHaveBeenCalledTimes(1)
    expect(await auth.getAccessToken()).toBeNull()
    auth.destroy()
  })

  it('a slew under a second changes nothing', async () => {
    const at: number[] = []
    const refresh = vi.fn(async (): Promise<TokenSet> => {
      at.push(elapsed())
      return { accessToken: token(300, { n: 2 }) }
    })
    const auth = createAuthClient({ refresh })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    const changes = vi.fn()
    auth.subscribe(changes)
    await vi.advanceTimersByTimeAsync(100_000)
    setBack(900)
    expect(auth.peekAccessToken()).not.toBeNull()
    await vi.advanceTimersByTimeAsync(0)
    expect(changes).not.toHaveBeenCalled()
    expect(auth.getState().expiresAt).toBe(T0 + 300_000)
    // Due at exp − leeway on the wall clock, as before: 0.9 s later by the time that passed.
    await vi.advanceTimersByTimeAsync(140_899)
    expect(at).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(at).toEqual([240_900])
    auth.destroy()
  })

  it('reads within a second of the last look cost one Date.now(): the hot path reads no monotonic clock', async () => {
    const auth = createAuthClient()
    auth.setTokens({ accessToken: token(300) })
    await vi.advanceTimersByTimeAsync(5_000)
    expect(auth.peekAccessToken()).not.toBeNull() // a look, a second or more after the last
    const mono = vi.spyOn(performance, 'now')
    for (let i = 0; i < 100; i++) auth.peekAccessToken()
    await vi.advanceTimersByTimeAsync(999)
    auth.peekAccessToken()
    expect(mono).not.toHaveBeenCalled()
    // (A spy is another clock to the watch: the next look would start afresh, and see nothing set back.)
    mono.mockRestore()
    // A clock set back shows at once: it reads earlier than the last look.
    setBack(HOUR)
    auth.peekAccessToken()
    await vi.advanceTimersByTimeAsync(0)
    expect(auth.getState().expiresAt).toBe(T0 + 300_000 - HOUR)
    auth.destroy()
  })

  it('an injected clock is taken as it is: one that falls behind the timers moves nothing', async () => {
    // A test's fake clock and its fake timers move in turn: in between, the clock would look set back.
    let clock = T0
    const auth = createAuthClient({ now: () => clock })
    auth.setTokens({ accessToken: token(300) })
    await vi.advanceTimersByTimeAsync(100_000)
    clock -= HOUR
    expect(auth.peekAccessToken()).not.toBeNull()
    await vi.advanceTimersByTimeAsync(0)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', expiresAt: T0 + 300_000 })
    auth.destroy()
  })

  it('a session set after the clock was set back is taken as measured, not moved back again', async () => {
    const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: token(300, { n: 3 }) }))
    const auth = createAuthClient({ refresh })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(10_000)
    setBack(HOUR)
    // The first look at the clock since it was set back: a sign-in on the clock as it reads now.
    auth.setTokens({ accessToken: token(300, { sub: 'user-2' }), refreshToken: 'rt' })
    expect(auth.getState()).toMatchObject({ status: 'authenticated', expiresAt: Date.now() + 300_000 })
    await vi.advanceTimersByTimeAsync(239_999)
    expect(refresh).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(refresh).toHaveBeenCalledTimes(1)
    auth.destroy()
  })

  it("another tab's renewal, measured after the clock was set back, is not moved back again", async () => {
    const area = sharedArea()
    const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: token(300, { n: 2 }) }))
    const a = createAuthClient({ storage: area.tab(), refresh }) // due 240 s on
    const b = createAuthClient({ storage: area.tab(), refresh, refreshLeeway: 30 }) // due 270 s on
    a.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await flush() // the storage event reaches B
    await vi.advanceTimersByTimeAsync(100_000)
    setBack(HOUR)
    // A's timer sees it and renews; B first looks at the clock when A's entry arrives.
    await vi.advanceTimersByTimeAsync(140_000)
    expect(refresh).toHaveBeenCalledTimes(1)
    const expiresAt = Date.now() + 300_000
    expect(a.getState()).toMatchObject({ status: 'authenticated', expiresAt })
    expect(b.getState()).toMatchObject({ status: 'authenticated', expiresAt })
    // None early in B: the next is A's, 240 s after the first.
    await vi.advanceTimersByTimeAsync(239_999)
    expect(refresh).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(refresh).toHaveBeenCalledTimes(2)
    a.destroy()
    b.destroy()
  })

  it('a renewal another tab stored while this one went to refresh is not moved back again', async () => {
    const backing = new Map<string, string>()
    const store = (reads: 'now' | 'when told'): TokenStorage => ({
      get: (k) =>
        reads === 'now'
          ? (backing.get(k) ?? null)
          : new Promise((resolve) => {
              answer = () => resolve(backing.get(k) ?? null)
            }),
      set: (k, v) => void backing.set(k, v),
      remove: (k) => void backing.delete(k),
      subscribe: () => () => {}, // its storage events never come
    })
    let answer = () => {}
    const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: token(300, { n: 2 }) }))
    const a = createAuthClient({ storage: store('now'), refresh })
    a.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    const b = createAuthClient({ storage: store('when told'), refresh })
    answer()
    await b.ready
    await vi.advanceTimersByTimeAsync(100_000)
    // B's refresh reads storage first; A renews meanwhile, after the clock was set back.
    const renewed = b.refresh()
    await flush()
    setBack(HOUR)
    await a.refresh()
    answer()
    await renewed
    // B first looked at the clock when it found A's renewal: it adopted it as measured, spending nothing.
    expect(refresh).toHaveBeenCalledTimes(1)
    const { expiresAt } = a.getState()
    expect(expiresAt).toBe(Date.now() + 300_000)
    expect(b.getState()).toMatchObject({ status: 'authenticated', expiresAt })
    a.destroy()
    b.destroy()
  })
})

/**
 * An app's own tests stop or swap the clocks the client reads: a `Date.now()` frozen without fake timers
 * (while the test's real time goes on), fake timers installed or removed while a client lives (their
 * `performance.now()` starts from 0). None of that is a clock set back, and before these guards each of
 * them moved the session's times, by the time the test took or by years.
 */
describe('a clock a test stops or swaps', () => {
  const realTick = () => new Promise((resolve) => setTimeout(resolve, 0))

  it.each([
    ['vi.setSystemTime() without fake timers', () => vi.setSystemTime(new Date('2024-01-01T00:00:00Z'))],
    ['a spy on Date.now', () => vi.spyOn(Date, 'now').mockReturnValue(Date.UTC(2024, 0, 1))],
  ])(
    'a Date.now() that stands still (%s) sets nothing back, however long the test takes',
    async (_, freeze) => {
      vi.useRealTimers()
      freeze()
      // The time the test really takes, while its wall clock stands still.
      let elapsed = 0
      vi.spyOn(performance, 'now').mockImplementation(() => elapsed)
      const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: token(10, { n: 2 }) }))
      const auth = createAuthClient({ refresh })
      const held = token(10) // due 5 s on by the wall clock, which stands still
      auth.setTokens({ accessToken: held, refreshToken: 'rt' })
      const changes = vi.fn()
      auth.subscribe(changes)
      elapsed += 6_000
      expect(await auth.getAccessToken()).toBe(held)
      await realTick()
      expect(refresh).not.toHaveBeenCalled()
      expect(changes).not.toHaveBeenCalled()
      expect(auth.getState()).toMatchObject({ status: 'authenticated', expiresAt: Date.now() + 10_000 })
      auth.destroy()
    },
  )

  it('fake timers installed at a fixed past date after the client was created, then removed, refresh nothing', async () => {
    vi.useRealTimers()
    const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: token(300, { n: 2 }) }))
    const auth = createAuthClient({ refresh })
    const held = token(300)
    auth.setTokens({ accessToken: held, refreshToken: 'rt' })
    const { expiresAt } = auth.getState()
    vi.useFakeTimers({ now: new Date('2024-01-01T00:00:00Z') })
    expect(auth.peekAccessToken()).toBe(held) // a render on the fake date
    vi.useRealTimers()
    expect(await auth.getAccessToken()).toBe(held)
    expect(refresh).not.toHaveBeenCalled()
    expect(auth.getState()).toMatchObject({ status: 'authenticated', expiresAt })
    auth.destroy()
  })

  it.each([
    ['at a fixed date', () => vi.useFakeTimers({ now: T0 })],
    // At the real time, once the run is over a second old: their performance.now() starts from 0 again.
    [
      'at the real time',
      async () => {
        vi.useRealTimers()
        while (performance.now() < 1_500) await new Promise((resolve) => setTimeout(resolve, 50))
        vi.useFakeTimers()
      },
    ],
  ])('fake timers (%s) removed while a client lives set nothing back', async (_, install) => {
    await install()
    const auth = createAuthClient()
    auth.setTokens({ accessToken: token(300) })
    await vi.advanceTimersByTimeAsync(1_000)
    const { expiresAt } = auth.getState()
    const changes = vi.fn()
    auth.subscribe(changes)
    vi.useRealTimers()
    auth.peekAccessToken()
    await realTick()
    expect(changes).not.toHaveBeenCalled()
    expect(auth.getState().expiresAt).toBe(expiresAt)
    auth.destroy()
  })
})
