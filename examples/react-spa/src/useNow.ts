import { useEffect, useState } from 'react'

/**
 * The current time, re-rendering every `interval` ms so countdowns tick. It reads the clock at each
 * render, so a render caused by something else (a new token) does not show a stale countdown.
 */
export function useNow(interval = 1000): number {
  const [, setTick] = useState(0)
  useEffect(() => {
    const id = setInterval(() => setTick((t) => t + 1), interval)
    return () => clearInterval(id)
  }, [interval])
  return Date.now()
}
