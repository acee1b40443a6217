/** What `navigator.locks` offers, as far as latchkey and its tests use it. */
export interface LockManagerStandIn {
  request(name: string, fn: Callback): Promise<unknown>
  request(name: string, options: LockOptions, fn: Callback): Promise<unknown>
  query(): Promise<{ held: LockInfo[]; pending: LockInfo[] }>
}

type Callback = (lock: { name: string; mode: 'exclusive' } | null) => unknown
type LockOptions = { steal?: boolean; ifAvailable?: boolean; signal?: AbortSignal }

export interface LockInfo {
  name: string
  mode: 'exclusive'
  clientId: string
}

/**
 * Exclusive locks per the Web Locks spec (https://w3c.github.io/web-locks/), for one origin. Requests
 * queue in order, per name. A `signal` aborted while queued rejects with its reason (ignored once
 * granted). `ifAvailable` calls back with `null` when the lock is held or queued for. `steal` releases
 * the held lock at once, rejecting the holder's request with an AbortError while its callback keeps
 * running, and grants the stealer ahead of the queue. Options the spec refuses together reject with
 * NotSupportedError. `query()` snapshots held locks and pending requests with their clientId.
 * Callbacks run in a later task, like the lock task queue.
 *
 * The manager itself is one client (`clientId` 'tab'); `client(id)` is the `navigator.locks` of
 * another tab or worker, sharing the same locks. `log` records the steals.
 */
export function createLocks() {
  type Request = {
    name: string
    clientId: string
    fn: Callback
    resolve: (v: unknown) => void
    reject: (e: unknown) => void
  }
  const held = new Map<string, Request>()
  const queue: Request[] = []
  const log: string[] = []
  const info = ({ name, clientId }: Request): LockInfo => ({ name, mode: 'exclusive', clientId })
  const release = (r: Request) => {
    if (held.get(r.name) !== r) return
    held.delete(r.name)
    processQueue()
  }
  const grant = (r: Request) => {
    held.set(r.name, r)
    setTimeout(() => {
      Promise.resolve({ name: r.name, mode: 'exclusive' as const })
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
  // A request is grantable when its name is not held and no earlier request waits for the same name.
  const processQueue = () => {
    const waiting = new Set<string>()
    for (const r of [...queue]) {
      if (!held.has(r.name) && !waiting.has(r.name)) {
        queue.splice(queue.indexOf(r), 1)
        grant(r)
      }
      waiting.add(r.name)
    }
  }
  const manager = (clientId: string): LockManagerStandIn => ({
    request(name: string, ...args: [Callback] | [LockOptions, Callback]) {
      const [options, fn] = args.length === 1 ? [{}, args[0]] : args
      return new Promise((resolve, reject) => {
        const r: Request = { name, clientId, fn, resolve, reject }
        const { signal, steal, ifAvailable } = options
        if ((steal && ifAvailable) || (signal && (steal || ifAvailable))) {
          return reject(new DOMException('Options not supported together', 'NotSupportedError'))
        }
        if (signal?.aborted) return reject(signal.reason)
        if (steal) {
          log.push('steal')
          const old = held.get(name)
          if (old) {
            held.delete(name)
            // The spec queues the holder's callback at its grant; the rejection reaches it after that
            // task (Chromium runs a just-granted callback first, then rejects the request).
            setTimeout(() => old.reject(new DOMException('The lock request is aborted', 'AbortError')), 0)
          }
          queue.unshift(r)
          processQueue()
          return
        }
        if (ifAvailable && (held.has(name) || queue.some((q) => q.name === name))) {
          setTimeout(() => Promise.resolve(null).then(fn).then(resolve, reject), 0)
          return
        }
        signal?.addEventListener('abort', () => {
          const i = queue.indexOf(r)
          if (i < 0) return
          queue.splice(i, 1)
          reject(signal.reason)
          processQueue()
        })
        queue.push(r)
        processQueue()
      })
    },
    query: async () => ({ held: [...held.values()].map(info), pending: queue.map(info) }),
  })
  return {
    ...manager('tab'),
    client: manager,
    log,
    held: () => held.size > 0,
  }
}
