/**
 * An exclusive lock manager per the Web Locks spec, for one origin: requests queue in order; a
 * `signal` aborted while queued rejects with its reason (ignored once granted); `steal` releases the
 * held lock at once, rejecting the holder's request with an AbortError while its callback keeps
 * running, and grants the stealer. Callbacks run in a later task, like the lock task queue. `log`
 * records the steals.
 */
export function createLocks() {
  type Request = { fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }
  let holder: Request | null = null
  const queue: Request[] = []
  const log: string[] = []
  const release = (r: Request) => {
    if (holder !== r) return
    holder = null
    next()
  }
  const grant = (r: Request) => {
    holder = r
    setTimeout(() => {
      Promise.resolve()
        .then(r.fn)
        .then(
          (v) => {
            release(r)
            r.resolve(v)
          },
          (e) => {
            release(r)
            r.reject(e)
          },
        )
    }, 0)
  }
  const next = () => {
    if (!holder && queue.length) grant(queue.shift()!)
  }
  return {
    log,
    held: () => holder !== null,
    request(_name: string, options: { steal?: boolean; signal?: AbortSignal }, fn: () => unknown) {
      return new Promise((resolve, reject) => {
        const r: Request = { fn, resolve, reject }
        const { signal } = options
        if (signal?.aborted) return reject(signal.reason)
        if (options.steal) {
          log.push('steal')
          if (holder) {
            const old = holder
            holder = null
            old.reject(new DOMException('The lock request is aborted', 'AbortError'))
          }
          grant(r)
          return
        }
        signal?.addEventListener('abort', () => {
          const i = queue.indexOf(r)
          if (i < 0) return
          queue.splice(i, 1)
          reject(signal.reason)
        })
        queue.push(r)
        next()
      })
    },
  }
}
