import type { RefreshErrorCode } from './errors'
import { inWorker } from './wake'

/** How long a lock is kept after the refresh ends, so the broadcast reaches waiting tabs first. */
const HOLD = 50
/** Names of the locks that mark each hold of the refresh lock: `latchkey-hold:<random>:<key>`. */
const MARK = 'latchkey-hold:'

/**
 * A refresh failure told to the other tabs of its session: when the failing tab tries again (Infinity:
 * at the next `online`), the expiry of the token it could not renew, and the failure's code, status and
 * `Retry-After` (seconds).
 */
export type Failure = [
  until: number,
  exp: number | null | undefined,
  code: RefreshErrorCode,
  status?: number | undefined,
  retryAfter?: number | undefined,
]
/**
 * The sign-ins logouts ended (their ids), here or heard of, the last 64 at most: told at a user's logout,
 * before the removal and its `1`. Versions before this one drop it.
 */
export type Ended = [0, ...ids: unknown[]]
/**
 * A removal of the stored entry, naming what it removed (its generation, 0 for nothing, and sign-in id;
 * never a token), so a tab that holds another sign-in stored since ignores it. Posted followed by a
 * `null`, the removal versions before this one follow (they drop this); this version drops that `null`,
 * and follows one that comes without a removal (from an older version) as before.
 */
export type Removal = [-1, g: number, id?: unknown]
/**
 * What tabs tell each other: a stored entry or its removal (`null` from versions before removals were
 * named), `0` (ask), `1` (a user's logout), `2` (garbage found at start-up removed: no sign-out; versions
 * before this one drop it), the sign-ins a logout ended, a failure.
 */
export type Message = string | null | 0 | 1 | 2 | Ended | Removal | Failure

export interface TabSync {
  /** Tells other tabs about a new stored entry (or its removal); `0` asks them for theirs. */
  post(raw: Message): void
  /** Runs `fn` holding the refresh lock shared by every tab of this origin and key. */
  lock<T>(fn: () => Promise<T>): Promise<T>
  /**
   * For the copies of one sign-in (a `secret` channel, see tabFollower): settles once another copy has
   * told its entry, or after `ms`; at once when no other copy had the channel open as this one opened it
   * (a reload), or without Web Locks to tell.
   */
  heard(ms: number): Promise<unknown>
  close(): void
}

/**
 * Cross-tab plumbing: a BroadcastChannel named after the key, and one refresh at a time across tabs
 * with Web Locks, else a lease in localStorage. Waiting is bounded by `waitMs`: then a lock held all
 * that time is taken over (by one tab at a time), so a frozen tab never blocks the others for good.
 * `secret` ends the channel's name only: any script of the origin sees the locks' names (query(), the
 * lease), and the channel carries the tokens. The lease is on `Date.now()`, the clock every tab shares
 * and the one its waits run on, never a client's injected `now`: a tab whose clock ran ahead of the
 * holder's by more than `waitMs` would take a live lease and spend its refresh token again.
 * `stay`: the channel is all this tab hears of the others (no shared storage to read on its return from
 * the back-forward cache): kept open there (see below).
 */
export function createTabSync(
  key: string,
  onMessage: (raw: Message) => void,
  waitMs: number,
  secret = '',
  stay?: boolean,
): TabSync {
  const name = `latchkey:${key}`
  const id = Math.random().toString(36).slice(2)
  // Tabs exist only for pages and workers. Elsewhere (Node, Deno, Bun) a BroadcastChannel spans the whole
  // process: clients of unrelated requests or users would hand each other their sessions.
  const tabs = typeof document === 'object' || inWorker()
  let channel: BroadcastChannel | null = null
  // Anything else on the channel (another version, another script) is not ours: ignored. Versions before
  // failures (ended sign-ins, named removals) were told ignore those (arrays) in turn. `named`: removals
  // heard whose `null` (for older versions; it comes after, as messages of one tab come in order) has not.
  let named = 0
  // A copy's entry heard (see heard()).
  let answer = () => {}
  const answered = new Promise<void>((resolve) => (answer = resolve))
  const hear = ({ data }: MessageEvent) => {
    const entry = typeof data === 'string'
    if (
      entry ||
      (data === null && !(named && named--)) ||
      data === 0 ||
      data === 1 ||
      data === 2 ||
      (Array.isArray(data) && (data[0] >= 0 || (data[0] === -1 && ++named)))
    )
      onMessage(data)
    // After it was taken: a copy's first refresh that waited for it finds it adopted.
    if (entry) answer()
  }
  const open = () => {
    channel = new BroadcastChannel(name + secret)
    channel.onmessage = hear
  }
  if (tabs && typeof BroadcastChannel === 'function') open()
  const pending = new Set<() => void>()
  let closed = false
  // A message that reaches a page in the back-forward cache evicts it (Chromium), and every store and
  // removal in any tab is broadcast: a page kept there closes its channel, and opens it again when it
  // comes back, when it reads storage again for what it missed (see wake.ts). Not a channel that
  // `stay`s (a memory session, copies of a sessionStorage sign-in): no storage would tell the page what
  // it missed, and it would come back with a session renewed or ended elsewhere. A message evicts it
  // instead, and its reload asks the open tabs, as any new tab does.
  const page =
    !stay && !!channel && typeof window === 'object' && typeof window.addEventListener === 'function'
  const away = (e: PageTransitionEvent) => {
    if (!e.persisted || closed) return
    channel?.close()
    channel = null
    if (e.type === 'pageshow') open()
  }
  if (page) for (const type of ['pagehide', 'pageshow'] as const) window.addEventListener(type, away)
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
  const locks = globalThis.navigator?.locks
  /** The locks held in this origin: none when query() fails or is missing (a polyfill of request() alone). */
  const snapshot = async () => {
    try {
      return (await locks!.query()).held || []
    } catch {
      return []
    }
  }

  // Each copy of a sign-in holds a lock of its own while its channel is open (`latchkey-copy:<id>:<key>`,
  // key last as in MARK), so a copy that opens can tell whether any other is there to answer it.
  const copy = (of: string) => `latchkey-copy:${of}:${key}`
  let leave = () => {}
  const others =
    secret && tabs && locks
      ? snapshot().then((held) =>
          held.some(({ name = '' }) => name !== copy(id) && name === copy(name.split(':')[1]!)),
        )
      : Promise.resolve(false)
  if (secret && tabs && locks)
    locks
      .request(copy(id), () => (closed ? undefined : new Promise<void>((r) => (leave = r))))
      .catch(() => {})

  const withWebLock = <T>(fn: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      // This call's one hold. Our queued request and our steal may both be granted (the holder let go
      // as we stole): the second grant joins the first hold, so fn runs once and the lock stays ours
      // until it ends (never let go to the next tab while fn runs).
      let running: Promise<void> | undefined
      let stop = () => {}
      // One request for the lock, queued from the start until it is granted or close(): a wait that runs
      // out looks at the holder again, and never queues again at the tail, behind tabs that asked later.
      const queued = new AbortController()
      const unqueue = () => {
        pending.delete(unqueue)
        queued.abort()
      }
      pending.add(unqueue)
      /** A lock of this key's marks: `latchkey-hold:<random>:<key>`. */
      const isMark = (n = '') => n.startsWith(MARK) && n.slice(n.indexOf(':', MARK.length) + 1) === key
      // `stuck`: the holds a takeover saw, when this hold is one (see takeover).
      const held = (stuck?: string) => (running ??= hold(stuck))
      const hold = async (stuck?: string) => {
        stop()
        // This hold's own mark, kept until the hold ends, so a waiting tab tells one hold from the next:
        // every client of a page shares its clientId, and a tab that takes the lock again keeps it. Its
        // own namespace, key last: no storageKey's locks can pass for this key's marks or turn.
        let mark = ''
        const marked = () =>
          locks!
            .request((mark = `${MARK}${Math.random().toString(36).slice(2)}:${key}`), {}, () => running)
            .catch(() => {})
        marked()
        try {
          if (stuck) {
            // Looked for a moment in (a hold granted in the instant of our takeover has its mark by then),
            // and for at most waitMs (see below).
            await sleep(HOLD)
            after(waitMs, unqueue)
          }
          const now = await snapshot()
          const client = (n?: string) => now.find((l) => l.name === n)?.clientId
          if (!stuck) {
            // Granted from the queue: a takeover in that same instant (the stuck holder let go as another
            // tab took the lock over) may have taken the lock before this page, busy, ran the grant, and
            // found no mark of ours to wait for. Then the lock is held by another client than our mark:
            // wait our turn again, behind that tab, instead of refreshing along with it. (Clients of one
            // page look alike, but there the grant runs before the takeover's look.)
            // Closed meanwhile: a new wait would never end, and fn must not run without the lock.
            if (client(name) !== client(mark))
              return closed ? reject(new Error('closed')) : resolve(withWebLock(fn))
          } else {
            // The stuck holder may have let go as we took over: the lock went to the next request in
            // that instant, and we took it from a hold whose fn runs all the same. A mark neither ours
            // nor among the holds we saw is such a hold's: wait for it to end, so that fn adopts its
            // renewal instead of spending the refresh token again. Our queued request is not granted
            // while we hold the lock: aborting it after waitMs (or on close()) bounds the wait; the abort
            // ends the loop.
            try {
              for (const { name: m } of now)
                if (isMark(m) && !(stuck + mark).includes(m!))
                  await locks!.request(m!, { signal: queued.signal }, () => {})
            } catch {}
            // A fresh mark as fn starts: our hold, begun up to waitMs ago, looks new to tabs that wait
            // on it, and gets a full wait of its own (else they take it over while fn refreshes).
            marked()
          }
          await fn().then(resolve, reject)
          await sleep(HOLD)
        } finally {
          // Held through a takeover: our queued request must not be granted once we let go.
          unqueue()
        }
      }
      // Once `held` runs, `fn` settles this: a takeover of our lock must not fail a refresh that goes on.
      // Before, a failure ends this call: no grant, wait or takeover after it runs fn (the caller has
      // moved on, maybe to a retry of its own).
      const fail = (e: unknown) => {
        if (running) return
        running = Promise.resolve()
        stop()
        unqueue()
        reject(e)
      }
      /**
       * Who holds the lock: the marks of its holds (a hold taken over keeps its mark until it ends) and
       * their clients; undefined when nobody holds it, or query() fails or is missing.
       */
      const holder = async () => {
        const held = await snapshot()
        if (held.some((l) => l.name === name)) {
          return held
            .filter((l) => l.name === name || isMark(l.name))
            .map((l) => `${l.name}@${l.clientId}`)
            .sort()
            .join()
        }
      }
      // Past waitMs the holder is stuck (a frozen tab): take the lock over rather than wait forever. Not
      // after close() (a tab torn down while it waits must not break the lock of a tab that refreshes).
      const watch = (stuck: ReturnType<typeof holder>) => {
        stop = after(waitMs, () => running || closed || takeover(stuck))
      }
      // Tabs whose waits ran out take turns, and each takes over only if the holds it waited on are
      // still all there is: never from a hold that began since (that one gets a full wait of its own).
      // The turn is waited for at most waitMs too (a tab may freeze while it decides), then taken over.
      const takeover = (stuck: ReturnType<typeof holder>) => {
        const turn = new AbortController()
        const stopTurn = after(waitMs, () => turn.abort())
        // 0: queued, 1: deciding, 2: the turn was stolen (the decision is another tab's now).
        let state = 0
        const decide = async () => {
          // Granted the lock meanwhile (our request kept its place): nothing to decide.
          if (state || running) return
          state = 1
          stopTurn()
          const current = holder()
          const seen = await stuck
          if ((await current) === seen && state === 1 && !closed)
            locks!.request(name, { steal: true }, () => held(seen)).catch(fail)
          else watch(current)
        }
        // Aborted while queued: take the turn over. Stolen once granted: watch again, never fail.
        const lose = (e: unknown): unknown => {
          if (closed || running) return fail(e)
          if (e === turn.signal.reason && !state)
            return locks!.request(`latchkey-turn:${key}`, { steal: true }, decide).catch(lose)
          if (!state) watch(holder())
          state = 2
        }
        locks!.request(`latchkey-turn:${key}`, { signal: turn.signal }, decide).catch(lose)
      }
      locks!.request(name, { signal: queued.signal }, () => held()).catch(fail)
      // The first look a moment into the wait: a hold granted just now has its mark by then.
      watch(sleep(HOLD).then(holder))
    })

  // This tab's lease holds so far: each names its own (see withLease).
  let leases = 0
  const withLease = async <T>(fn: () => Promise<T>, store: Storage): Promise<T> => {
    const lockKey = `${name}:lock`
    // Each call's own owner, as each Web Lock request is one: two calls of this tab (a refresh, and a write
    // over a found entry, or a run detached while it waited) must not share the lease, or the first to
    // end removes it while the other still refreshes, and a waiting tab spends the same refresh token.
    const me = `${id}.${++leases}`
    const owner = () => {
      try {
        const lease = JSON.parse(store.getItem(lockKey)!)
        return lease.x > Date.now() ? lease.o : null
      } catch {
        return null
      }
    }
    let deadline = Date.now() + waitMs
    // Tabs whose timers fire together would race for the lease: spread them out, so the first one's
    // broadcast usually arrives before the others try (a lease in storage is only as fast as storage).
    await sleep(Math.random() * 200)
    // Past the deadline only the owner seen all along is taken over: a new owner (the tab that won the
    // lease another tab left) gets a full wait of its own.
    let seen = owner()
    for (;;) {
      if (closed) throw new Error('closed')
      const current = owner()
      if (current !== seen) {
        seen = current
        deadline = Date.now() + waitMs
      }
      if (current === null || current === me || Date.now() > deadline) {
        // The lease lasts as long as others wait (longer than a refresh may take), so it never expires
        // under a live holder. A storage that takes no writes (quota) cannot hold one: go on alone.
        try {
          store.setItem(lockKey, JSON.stringify({ o: me, x: Date.now() + waitMs }))
        } catch {
          break
        }
        // Another tab may have written in the same instant: keep the lease only if ours survived.
        await sleep(60)
        if (owner() === me) break
      }
      await sleep(40 + Math.random() * 40)
    }
    try {
      return await fn()
    } finally {
      await sleep(HOLD)
      if (owner() === me) store.removeItem(lockKey)
    }
  }

  return {
    post(raw) {
      // Away in the back-forward cache, or leaving for it (an app that signs out in its own `pagehide`
      // handler, which runs after the channel closed): sent on a channel opened for it and closed at once,
      // which hears nothing. Tabs that keep their session in cookies hear of it no other way.
      const to = channel ?? (page && !closed ? new BroadcastChannel(name + secret) : null)
      to?.postMessage(raw)
      if ((raw as Removal)?.[0] === -1) to?.postMessage(null)
      if (to !== channel) to!.close()
    },
    lock(fn) {
      // No tabs (Node, Deno, Bun): Web Locks and a localStorage lease would span the whole process, and
      // the refreshes of unrelated requests' clients would wait for each other.
      if (!tabs) return fn()
      if (locks) return withWebLock(fn)
      let store: Storage | undefined
      try {
        store = localStorage
      } catch {
        // No usable localStorage either: this tab refreshes on its own.
      }
      return store ? withLease(fn, store) : fn()
    },
    heard: (ms) => others.then((open): unknown => open && Promise.race([answered, sleep(ms)])),
    close() {
      closed = true
      leave()
      channel?.close()
      // A post made after this goes nowhere (`closed`: no channel is opened for it either); a closed channel
      // would throw (a logout whose removal failed, and an `error` listener that destroyed the client,
      // telling its `1`).
      channel = null
      if (page) for (const type of ['pagehide', 'pageshow'] as const) window.removeEventListener(type, away)
      for (const done of [...pending]) done()
    },
  }
}
