/**
 * The default clock, `Date.now()`, watched against the monotonic `performance.now()`. Calls
 * `setBack(ms)` (ms < 0) when the wall clock has fallen behind the monotonic one by over a second
 * since it was last read: it was set back (an NTP step, the user, a VM restored). Less is a slew.
 * A sleep never looks like that: the wall clock runs on while the monotonic one may stop. Without
 * `performance.now()` it never calls. It reads `Date.now()` at each call, so fake timers installed
 * later apply to it.
 */
export function wallClock(setBack: (ms: number) => void): () => number {
  // How far the wall clock ran ahead of the monotonic one, at most, since it was last set back.
  let ahead = -Infinity
  // What the last look saw: the time, and the two clocks it was read from.
  let last: number | undefined
  let wall: unknown
  let mono: unknown
  return () => {
    const t = Date.now()
    // Less than a second on from the last look: nothing to see yet (a clock set back reads earlier than
    // that look, or shows at the next one, at most a second on). Hot paths (peekAccessToken() on every
    // request) stay at one Date.now(). A wall clock that stands still while the monotonic one runs on
    // (a test's frozen Date: vi.setSystemTime() without fake timers, a spy on Date.now) is not looked
    // at again until it moves a second on.
    if (t >= last! && t < last! + 1_000) return t
    const perf = globalThis.performance
    // NaN (never set back) without performance.now().
    const o = t - perf?.now()
    // Measured afresh, with nothing set back, when either clock was replaced (fake timers installed or
    // removed: theirs starts from 0): readings of different clocks say nothing about each other.
    if (Date.now !== wall || perf?.now !== mono) ahead = o
    last = t
    wall = Date.now
    mono = perf?.now
    const d = o - (ahead = Math.max(ahead, o))
    if (d < -1_000) {
      ahead = o
      setBack(d)
    }
    return t
  }
}
