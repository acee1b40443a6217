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
  return () => {
    const t = Date.now()
    // NaN (never set back) without performance.now().
    const o = t - globalThis.performance?.now()
    const d = o - (ahead = Math.max(ahead, o))
    if (d < -1_000) {
      ahead = o
      setBack(d)
    }
    return t
  }
}
