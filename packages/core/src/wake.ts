/**
 * Calls `onWake(false)` when the page may have slept (visible again, restored from the back-forward
 * cache, focused) and `onWake(true)` when the network returns. Timers sleep in background tabs and
 * on suspended laptops, so these are the moments to re-check. Does nothing outside a browser.
 */
export function listenForWake(onWake: (online: boolean) => void): () => void {
  if (typeof window === 'undefined' || typeof document === 'undefined' || !window.addEventListener)
    return () => {}
  const wake = () => onWake(false)
  const listeners = [
    [window, 'pageshow', wake],
    [window, 'focus', wake],
    [window, 'online', () => onWake(true)],
    [document, 'visibilitychange', () => document.visibilityState === 'visible' && wake()],
  ] as const
  const each = (method: 'addEventListener' | 'removeEventListener') => {
    for (const [target, type, fn] of listeners) target[method](type, fn)
  }
  each('addEventListener')
  return () => each('removeEventListener')
}
