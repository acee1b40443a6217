import type { Session } from './session'

/** The most `setTimeout` takes: larger delays overflow and fire at once. */
export const MAX_TIMEOUT = 2 ** 31 - 1

/** The leeway in ms: `refreshLeeway` capped at half the token's lifetime, so short tokens do not loop. */
export function leewayMs(session: Session, refreshLeeway: number): number {
  const leeway = Math.max(0, refreshLeeway * 1000)
  return session.life === null ? leeway : Math.min(leeway, Math.max(0, session.life / 2))
}

/** Full-jitter exponential backoff: a random delay in [0, min(maxDelay, baseDelay·2^(attempt−1))). */
export function backoff(attempt: number, baseDelay: number, maxDelay: number): number {
  return Math.floor(Math.random() * Math.min(maxDelay, baseDelay * 2 ** (attempt - 1)))
}

export interface Timer {
  /** Calls `fn` at `time` (local clock, ms), replacing whatever was armed. */
  at(time: number, fn: () => void): void
  cancel(): void
}

/**
 * A one-shot timer for an absolute time. Long delays are re-armed in steps, so `setTimeout` never
 * gets more than 2^31−1 ms; each step re-reads the clock, so a suspended machine catches up.
 */
export function createTimer(now: () => number): Timer {
  let id: ReturnType<typeof setTimeout> | undefined
  const cancel = () => {
    clearTimeout(id)
    id = undefined
  }
  const at = (time: number, fn: () => void) => {
    cancel()
    const delay = time - now()
    id = setTimeout(delay > MAX_TIMEOUT ? () => at(time, fn) : fn, Math.min(Math.max(delay, 0), MAX_TIMEOUT))
    // In Node, a session's schedule alone does not keep the process alive (a CLI exits when its work
    // is done, without destroy()); browsers' timer ids are numbers.
    ;(id as { unref?: () => void }).unref?.()
  }
  return { at, cancel }
}
