import { bounded, drop, type Engine, fallBack, isPromise, noop, report, type Stored } from './engine'
import type { AuthError } from './errors'
import { decodeSession, encodeSession, type Session } from './session'

// The functions of the engine that keep the stored entry: they write it (telling other tabs once it
// landed), read it back (at once, or from an async storage), and write over an entry only while storage
// holds it still. Module functions of the engine, as in engine.ts: they keep no state of their own.

/** A read's answer: an entry, none (`null`, or `undefined` as idb-keyval gives), or unreadable. */
const valid = (raw: unknown): Stored => (typeof raw === 'string' ? raw : raw == null ? null : undefined)

/** Writes the entry; for an async storage, the returned promise settles (never rejects) when it lands. */
export function write(k: Engine, raw: string | null): Promise<void> | undefined {
  k.lastRaw = raw
  const failed = (cause: unknown) => {
    // `keep`: the storage works but this entry does not fit (a cookie over 4 KB); later ones may.
    const keep = (cause as { keep?: boolean })?.keep
    if (k.destroyed) return
    if (!keep) {
      // What the storage still holds is older than the session in memory (its refresh token may be
      // spent): it must not come back on a reload.
      drop(k)
    }
    report(k, keep ? (cause as AuthError) : fallBack(k, cause))
  }
  try {
    const { storage, key } = k
    const done = storage && (raw === null ? storage.remove(key) : storage.set(key, raw))
    if (isPromise(done)) {
      k.writing++
      return (k.landing = done.then(
        () => {
          k.confirmed = raw
          // The last of this tab's writes to land, after it took something else (another tab's sign-out
          // or entry, or its own logout() whose removal landed first): storage must hold that, not this.
          // Only if storage holds this, or cannot tell (a storage of this tab alone, which nobody else
          // writes, or a failed read): a shared one's write may have landed before another tab's newer
          // entry, not heard of yet (its news is on its way), which writing back would replace.
          if (!--k.writing && raw !== k.lastRaw && !k.destroyed) over(k, raw, () => write(k, k.lastRaw), true)
        },
        (cause) => {
          k.writing--
          failed(cause)
        },
      ))
    }
    k.confirmed = raw
  } catch (cause) {
    failed(cause)
  }
}

/** Stores the current session and tells other tabs. */
export function persist(k: Engine): Promise<void> | undefined {
  const raw = k.session && encodeSession(k.session)
  // A removal names what it removes: the entry storage holds, else the one this tab held last.
  const removed = raw ? 0 : (entry(k) ?? entry(k, k.lastRaw))
  const done = write(k, raw)
  // A new sign-in leaves the copies of the last one before it is told; a sign-out is told to them first.
  if (raw) k.relink()
  const tell = () => k.destroyed || k.sync?.post(removed === 0 ? raw : [-1, removed?.g ?? 0, removed?.id])
  // An async write is told once it landed: a tab that reads storage when the news comes finds it there,
  // or something newer (see onNews()).
  if (done) done.then(tell)
  else tell()
  k.relink()
  return done
}

/** Reads shared storage now (timers and storage events may have slept); undefined when unreadable. */
export function read(k: Engine): Stored | Promise<Stored> {
  try {
    if (!k.shared) return
    const raw = k.storage!.get(k.key)
    return isPromise(raw) ? raw.then(valid, () => undefined) : valid(raw)
  } catch {
    // Unreadable right now: the next write reports it.
  }
}

/** Judges by `raw`, what an async storage was just read to hold (see readNow()). */
export function by<T>(k: Engine, raw: Stored, judge: () => T): T {
  k.known = raw
  try {
    return judge()
  } finally {
    k.known = undefined
  }
}

/**
 * What shared storage holds, when it can be read at once (undefined: unreadable). An async one: what the
 * read made for the news being judged found (see onNews()); undefined otherwise.
 */
export function readNow(k: Engine): Stored {
  const raw = read(k)
  return isPromise(raw) ? k.known : raw
}

/** The session of an entry: by default the one shared storage holds, when it can be read at once. */
export function entry(k: Engine, raw: Stored = readNow(k)): Session | undefined {
  try {
    return typeof raw === 'string' ? decodeSession(raw) : undefined
  } catch {}
}

/**
 * Follows what shared storage holds now (by default: adopts it). To adopt what it finds, an async
 * storage is read once this tab's own writes landed, as for news of an entry (see onNews()): a read made
 * before may not find them, and an entry it finds then is older than the session held here (a wake
 * while a setTokens() was landing took back the entry it replaced, and spent that refresh token again).
 * Not to check a removal: a sign-out there outranks a write still landing here. A follow of its own that
 * may adopt an entry says so (`adopts`).
 */
export function reread(
  k: Engine,
  follow: (raw: Stored) => void = k.adoptRead,
  adopts: boolean = follow === k.adoptRead,
): void {
  const raw = adopts && k.writing ? k.landing.then(() => read(k)) : read(k)
  const at = k.epoch
  const was = k.lastRaw
  // A value read before a change made here (a logout, or a refresh stored while it was read) is older
  // than that change.
  if (isPromise(raw)) raw.then((r) => at === k.epoch && was === k.lastRaw && follow(r))
  else follow(raw)
}

/**
 * Stores what `store()` writes over `raw`, if shared storage holds that still (or, `unreadable`, cannot
 * tell; or, `none`, holds nothing). An async storage's read and write are apart: another tab's renewal
 * landing between them would be replaced by an older session, whose refresh token is then spent again.
 * Renewals land inside the refresh lock (see exchange()), so such a storage is read, and written, there.
 */
export function over(
  k: Engine,
  raw: Stored,
  store: () => unknown,
  unreadable?: boolean,
  none?: boolean,
): void {
  const holds = (r: Stored) => r === raw || (unreadable && r === undefined) || (none && r === null)
  if (!k.later || !k.sync) return reread(k, (r) => holds(r) && store())
  // As in reread(): a change made here meanwhile (a sign-in, or an entry taken) outranks what was found.
  const at = k.epoch
  const was = k.lastRaw
  k.sync
    .lock(async () => {
      const r = await bounded(k, read(k))
      // What store() wrote lands before the lock is let go, as a renewal does.
      if (at === k.epoch && was === k.lastRaw && holds(r) && !k.destroyed && store())
        await bounded(k, k.landing, true)
    })
    .catch(noop)
}

/** Takes what storage held at start-up. Truthy when that was garbage it removed (a promise: the removal). */
export function load(k: Engine, raw: string | null): unknown {
  if (k.destroyed || k.loaded) return
  k.loaded = true
  try {
    k.confirmed = raw
    if (raw !== null) k.session = decodeSession((k.lastRaw = raw))
  } catch (e) {
    // Corrupt or tampered: start signed out (committed before it is told), and remove it, unless a
    // listener told of it has stored a session since.
    report(k, e as AuthError)
    if (k.lastRaw === raw) return write(k, null) ?? true
  }
}
