/** At most the last 6 characters of a token, so the UI can show that it changed without leaking it. */
export const fingerprint = (token: string | null): string => (token ? `…${token.slice(-6)}` : '—')

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** `14:03:27`, local time. */
export const clockTime = (ms: number): string => {
  const d = new Date(ms)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** `14:03:27.412` */
export const logTime = (ms: number): string => `${clockTime(ms)}.${pad(ms % 1000, 3)}`

/** Whole seconds from `now` to `at`, never negative. */
export const secondsUntil = (at: number, now: number): number => Math.max(0, Math.ceil((at - now) / 1000))
