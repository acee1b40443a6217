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
  // What the last read saw: the time, and the two clocks it was read from.
  let last: number | undefined
  let wall: unknown
  let mono: unknown
  return () => {
    const perf = globalThis.performance
    const t = Date.now()
    // NaN (never set back) without performance.now().
    const o = t - perf?.now()
    // Measured afresh, with nothing set back: a wall clock that stood still while the monotonic one ran
    // on (a test's frozen Date: vi.setSystemTime() without fake timers, a spy on Date.now), or either clock
    // replaced (fake timers installed or removed: theirs starts from 0). A running clock never stands
    // still, and readings of different clocks say nothing about each other.
    if (t === last || Date.now !== wall || perf?.now !== mono) ahead = o
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
