/**
 * An exclusive, first-come lock manager like `navigator.locks`: honours `signal` (a wait aborted
 * before the grant rejects with its reason) and `steal` (runs at once). `log` records the steals.
 */
export function createLocks() {
  let tail: Promise<unknown> = Promise.resolve()
  const log: string[] = []
  return {
    log,
    request(_name: string, options: { steal?: boolean; signal?: AbortSignal }, fn: () => Promise<unknown>) {
      if (options.steal) {
        log.push('steal')
        return fn()
      }
      return new Promise((resolve, reject) => {
        let granted = false
        options.signal?.addEventListener('abort', () => !granted && reject(options.signal!.reason))
        const result = tail.then(() => {
          if (options.signal?.aborted) return
          granted = true
          return fn().then(resolve, reject)
        })
        tail = result.catch(() => {})
      })
    },
  }
}
