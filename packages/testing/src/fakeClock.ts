/** A clock that moves only when told to. Returned by {@link fakeClock}. */
export interface FakeClock {
  /** The current time in ms. Needs no `this`, so it can be passed as `now: clock.now`. */
  now: () => number
  /** Moves the clock forward (or back, with a negative value) by `ms`. */
  advance: (ms: number) => void
  /** Sets the clock to `ms` since the epoch. */
  set: (ms: number) => void
}

/**
 * A manual clock for the `now` option of `createAuthClient`, `createTestToken` and
 * `createMockAuthServer`.
 *
 * It does not touch timers. That is the point: `clock.advance(ms)` alone models a laptop that slept
 * (wall time moved, no timer fired). To also run timers, combine it with fake timers and move both:
 * `clock.advance(ms); await vi.advanceTimersByTimeAsync(ms)`. When you only need timers and time to
 * move together, `vi.useFakeTimers()` alone is enough, since it fakes `Date.now` too.
 *
 * @example
 * ```ts
 * const clock = fakeClock()
 * const auth = createAuthClient({ now: clock.now, refresh })
 * auth.setTokens({ accessToken: createTestToken({ sub: 'a' }, { now: clock.now, expiresIn: 60 }) })
 * clock.advance(61_000)
 * ```
 */
export function fakeClock(start: number = Date.UTC(2030, 0, 1)): FakeClock {
  let current = start
  return {
    now: () => current,
    advance: (ms) => {
      current += ms
    },
    set: (ms) => {
      current = ms
    },
  }
}
