/** In a worker (dedicated, shared or service): a tab of its own, with no page. */
export const inWorker = () =>
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined'

/**
 * Calls `onWake(false)` when the page may have slept (visible again, restored from the back-forward
 * cache, resumed after Chromium froze it, focused) and `onWake(true)` when the network returns; a
 * resume from a freeze also says `resumed`.
 * Timers sleep in background tabs and on suspended laptops, so these are the moments to re-check.
 * In a worker only the network's return is heard; elsewhere (Node, React Native) nothing.
 */
export function listenForWake(onWake: (online: boolean, resumed?: boolean) => void): () => void {
  const page = typeof document === 'object' && typeof window === 'object' && !!window.addEventListener
  // The page's window; a worker has no page to show or focus, but its global scope hears `online`
  // (in Firefox and Safari).
  const scope: Partial<EventTarget> = page ? window : globalThis
  if (typeof scope.addEventListener !== 'function') return () => {}
  const wake = () => onWake(false)
  // Chromium fires no `online` in workers (crbug.com/114475), though `navigator.onLine` changes there:
  // a worker watches it. Where the event fires as well (Firefox, Safari: as `onLine` turns true), the
  // watch then finds the return reported: a second report, while the refresh the first one started
  // runs, would count that refresh as one that left on the dead network, and retry it beyond the one try.
  const net = globalThis.navigator as { onLine?: boolean } | undefined
  let was = net?.onLine
  const online = () => {
    was = true
    onWake(true)
  }
  const listeners: Array<[Partial<EventTarget>, string, () => void]> = [[scope, 'online', online]]
  if (page)
    listeners.push(
      [scope, 'pageshow', wake],
      [scope, 'focus', wake],
      // A frozen background tab resumes still hidden: no other event comes, and its overdue timers run
      // only at Chromium's next once-a-second slot for hidden pages, reporting an expired token until then.
      [document, 'resume', () => onWake(false, true)],
      [document, 'visibilitychange', () => document.visibilityState === 'visible' && wake()],
    )
  const each = (method: 'addEventListener' | 'removeEventListener') => {
    for (const [target, type, fn] of listeners) target[method]!(type, fn)
  }
  each('addEventListener')
  const timer =
    !page && inWorker() && setInterval(() => (net?.onLine && !was ? online() : (was = net?.onLine)), 1_000)
  return () => {
    each('removeEventListener')
    clearInterval(timer as never)
  }
}
