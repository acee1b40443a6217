/** How long a lock is kept after the refresh ends, so the broadcast reaches waiting tabs first. */
const HOLD = 50

export interface TabSync {
  /** Tells other tabs about a new stored entry (or its removal); `0` asks them for theirs. */
  post(raw: string | null | 0): void
  /** Runs `fn` holding the refresh lock shared by every tab of this origin and key. */
  lock<T>(fn: () => Promise<T>): Promise<T>
  close(): void
}

/**
 * Cross-tab plumbing: a BroadcastChannel named after the key, and one refresh at a time across tabs
 * with Web Locks, else a lease in localStorage. Waiting is bounded by `waitMs`: then a lock held all
 * that time is taken over (by one tab at a time), so a frozen tab never blocks the others for good.
 */
export function createTabSync(
  key: string,
  onMessage: (raw: string | null | 0) => void,
  now: () => number,
  waitMs: number,
): TabSync {
  const name = `latchkey:${key}`
  const id = Math.random().toString(36).slice(2)
  // Tabs exist only for pages and workers. Elsewhere (Node, Deno, Bun) a BroadcastChannel spans the whole
  // process: clients of unrelated requests or users would hand each other their sessions.
  const tabs =
    typeof document !== 'undefined' ||
    typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined'
  const channel = tabs && typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : null
  // Anything else on the channel (another version, another script) is not ours: ignored.
  if (channel)
    channel.onmessage = ({ data }) =>
      (typeof data === 'string' || data === null || data === 0) && onMessage(data)
  const pending = new Set<() => void>()
  let closed = false
  /** Calls `fn` after `ms`, or at once on close(), so no timer outlives the client. Returns a cancel. */
  const after = (ms: number, fn: () => void) => {
    const cancel = () => {
      clearTimeout(t)
      pending.delete(done)
    }
    const done = () => {
      cancel()
      fn()
    }
    const t = setTimeout(done, ms)
    pending.add(done)
    if (closed) done()
    return cancel
  }
  const sleep = (ms: number) => new Promise<void>((resolve) => after(ms, resolve))
  const locks = typeof navigator === 'object' ? navigator.locks : undefined

  const withWebLock = <T>(fn: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      let running = false
      let stop = () => {}
      const held = async () => {
        stop()
        running = true
        await fn().then(resolve, reject)
        await sleep(HOLD)
      }
      // Once `held` runs, `fn` settles this: a takeover of our lock must not fail a refresh that goes on.
      const fail = (e: unknown) => running || reject(e)
      /** The tab (or worker) holding the lock; undefined if none does, or query() fails or is missing. */
      const holder = async () => {
        try {
          return (await locks!.query()).held?.find((l) => l.name === name)?.clientId
        } catch {}
      }
      // Past waitMs the holder is stuck (a frozen tab): take the lock over rather than wait forever.
      const wait = (stuck: ReturnType<typeof holder>) => {
        // Our own timer: AbortSignal.timeout is missing where Web Locks are not (Safari 15.4).
        const timeout = new AbortController()
        stop = after(waitMs, () => timeout.abort())
        locks!.request(name, { signal: timeout.signal }, held).catch((e) =>
          // Only our own wait running out takes over: not close() (a tab torn down while it waits must
          // not break the lock of a tab that is refreshing). Tabs whose waits ran out take turns, and
          // each takes over only from the tab that held the lock all through its wait: never from one
          // that has just taken it over (that one gets a full wait of its own).
          timeout.signal.aborted && !closed
            ? locks!
                .request(`${name}:takeover`, {}, async () => {
                  const now = holder()
                  if ((await now) === (await stuck) && !closed) {
                    locks!.request(name, { steal: true }, held).catch(fail)
                  } else wait(now)
                })
                .catch(fail)
            : fail(e),
        )
      }
      wait(holder())
    })

  const withLease = async <T>(fn: () => Promise<T>, store: Storage): Promise<T> => {
    const lockKey = `${name}:lock`
    const owner = () => {
      try {
        const lease = JSON.parse(store.getItem(lockKey)!)
        return lease.x > now() ? lease.o : null
      } catch {
        return null
      }
    }
    const deadline = now() + waitMs
    // Tabs whose timers fire together would race for the lease: spread them out, so the first one's
    // broadcast usually arrives before the others try (a lease in storage is only as fast as storage).
    await sleep(Math.random() * 200)
    for (;;) {
      if (closed) throw new Error('closed')
      const current = owner()
      if (current === null || current === id || now() > deadline) {
        // The lease lasts as long as others wait (longer than a refresh may take), so it never expires
        // under a live holder. A storage that takes no writes (quota) cannot hold one: go on alone.
        try {
          store.setItem(lockKey, JSON.stringify({ o: id, x: now() + waitMs }))
        } catch {
          break
        }
        // Another tab may have written in the same instant: keep the lease only if ours survived.
        await sleep(60)
        if (owner() === id) break
      }
      await sleep(40 + Math.random() * 40)
    }
    try {
      return await fn()
    } finally {
      await sleep(HOLD)
      if (owner() === id) store.removeItem(lockKey)
    }
  }

  return {
    post: (raw) => channel?.postMessage(raw),
    lock(fn) {
      if (locks) return withWebLock(fn)
      let store: Storage | undefined
      try {
        store = localStorage
      } catch {
        // No usable localStorage either: this tab refreshes on its own.
      }
      return store ? withLease(fn, store) : fn()
    },
    close() {
      closed = true
      channel?.close()
      for (const done of [...pending]) done()
    },
  }
}
