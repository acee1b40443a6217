/**
 * Calls `onWake` when the page may have slept (visible again, restored from the back-forward cache,
 * focused) and `onOnline` when the network returns. Timers sleep in background tabs and on suspended
 * laptops, so these are the moments to re-check. Does nothing outside a browser.
 */
export function listenForWake(onWake: () => void, onOnline: () => void): () => void {
  if (typeof window === 'undefined' || typeof document === 'undefined' || !window.addEventListener)
    return () => {}
  const visible = () => document.visibilityState === 'visible' && onWake()
  const listeners = [
    [window, 'pageshow', onWake],
    [window, 'focus', onWake],
    [window, 'online', onOnline],
    [document, 'visibilitychange', visible],
  ] as const
  const each = (method: 'addEventListener' | 'removeEventListener') => {
    for (const [target, type, fn] of listeners) target[method](type, fn)
  }
  each('addEventListener')
  return () => each('removeEventListener')
}
