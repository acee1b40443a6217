import { wallClock } from './clock'
import { createAuthFetch } from './createAuthFetch'
import { AuthError, RefreshError } from './errors'
import { createEmitter } from './events'
import { callWithTimeout, timedOut, toRefreshError } from './refresh'
import { backoff, createTimer, leewayMs, MAX_TIMEOUT } from './scheduler'
import { createSession, decodeSession, encodeSession, type Session } from './session'
import { resolveStorage } from './storages/resolveStorage'
import { createTabSync, type Failure, type TabSync } from './tabSync'
import { abortable, abortWith, SESSIONS } from './tokenRenewer'
import type {
  AuthClient,
  AuthClientOptions,
  AuthEvents,
  AuthState,
  RegisteredClaims,
  RegisteredCredentials,
  TokenSet,
} from './types'
import { listenForWake } from './wake'

const noop = () => {}
const isPromise = (v: unknown): v is Promise<unknown> => typeof (v as Promise<unknown>)?.then === 'function'
/** What a storage read may give: an entry, none, or (unreadable, not a string) undefined. */
type Stored = string | null | undefined
const valid = (raw: unknown): Stored => (typeof raw === 'string' || raw === null ? raw : undefined)
const destroyedError = () => new AuthError('destroyed')
const noRefresh = () => new RefreshError('Nothing to refresh with', { code: 'no_refresh' })
/** A numeric option: missing, null, or anything `Number()` makes NaN of means the default. */
const numeric = (value: unknown, fallback: number) =>
  Number.isNaN(Number(value ?? NaN)) ? fallback : Number(value)

/**
 * Creates the client that holds the session: it stores and decodes the tokens, refreshes them
 * before they expire (once across callers and tabs), and tells subscribers when anything changes.
 * Decoding does not verify the signature; your API must.
 * @example
 * const auth = createAuthClient<{ sub: string }>({
 *   storage: 'localStorage',
 *   refresh: oauth2Refresh({ tokenEndpoint: '/oauth/token', clientId: 'spa' }),
 * })
 * auth.setTokens({ accessToken, refreshToken })
 * const res = await auth.fetch('/api/me')
 */
export function createAuthClient<C = RegisteredClaims, Credentials = RegisteredCredentials>(
  options: AuthClientOptions<Credentials> = {},
): AuthClient<C, Credentials> {
  const { storageKey: key = 'latchkey', refreshWithoutToken, syncTabs = true } = options
  // Date.now read at each call, so fake timers installed after the client was created apply to it too.
  const clock = options.now ?? (() => Date.now())
  const refreshLeeway = numeric(options.refreshLeeway, 60)
  const refreshTimeout = numeric(options.refreshTimeout, 10_000)
  const refreshFn = typeof options.refresh === 'function' ? options.refresh : undefined
  // A field that is missing, null or NaN means its default, as for the other numeric options.
  const { retry } = options
  const attempts = numeric(retry?.attempts, 4)
  const baseDelay = numeric(retry?.baseDelay, 1_000)
  const maxDelay = numeric(retry?.maxDelay, 30_000)
  const events = createEmitter<AuthEvents<C>>()
  // Events found while this function runs wait for a microtask, so listeners attached right after
  // creation get them (see `ready` below). Not `change`: the state itself can be read at once.
  const held: Array<() => void> = []
  let constructing = true
  const emit: typeof events.emit = (type, payload) => {
    // An expiry found then is old news once a session was set or ended right after creation (a
    // setTokens() on an OAuth callback page): told after that, it would sign the new session out.
    // Told, it carries the state as it is now (a refresh started since).
    const at = epoch
    if (constructing && type !== 'change')
      held.push(() =>
        type !== 'expired'
          ? events.emit(type, payload)
          : at === epoch && events.emit(type, snapshot as typeof payload),
      )
    else events.emit(type, payload)
  }
  let { storage, shared } = resolveStorage(options.storage, options.cookie)
  // Kept after a fall-back to memory: a logout still clears what another tab stored there since.
  const chosen = storage
  /** Removes the entry, ignoring failures (the storage is known to be failing). */
  const drop = (from = storage) => {
    try {
      const done = from?.remove(key)
      if (isPromise(done)) done.catch(noop)
    } catch {}
  }
  let session: Session | null = null
  let lastRaw: string | null = null
  // sessionStorage: the sign-in (its id) whose copies this tab follows (see relink()), once set up.
  let copies: unknown
  let line: string | undefined
  let sync: TabSync | null = null
  // This tab's async writes that have not landed yet, and the last one's landing.
  let writing = 0
  let landing: Promise<unknown> = Promise.resolve()
  // What shared storage was last seen to hold: read from it, or written to it here. An entry only heard
  // of (posted by a tab that could not store it, or whose write has not landed) is not known to be there,
  // so finding storage empty then is no sign-out.
  let confirmed: Stored
  // An async storage (its first read was); `known`: see readNow().
  let later = false
  let known: Stored
  /**
   * Reads of an async storage tell what it holds, newer than anything this tab took or wrote: none of its
   * own writes is still landing, and other tabs tell theirs once landed (see persist()).
   */
  const current = () => later && !writing
  let loaded = !storage
  let destroyed = false
  let error: AuthError | null = null
  let expiredFor: Session | null = null
  // Bumped whenever the session is replaced outside a refresh, so a late refresh result is dropped.
  let epoch = 0
  // The epoch of the last replacement that was not a renewal adopted from another tab (a sign-in or a
  // sign-out, here or there): a refresh started before it has nothing to resolve with (see run()), and
  // the 401 rules replay nothing across it (see SESSIONS).
  let cut = 0
  // Bumped by login(), logout() and a user's logout in another tab: a login that resolves after a
  // later one (or a logout) is dropped.
  let logins = 0
  // The sign-ins signed out, here or in another tab; no sign-in's id comes back. An entry of one stored
  // after that (a refresh in another tab that raced the sign-out, or news of it that came late) signs
  // nobody back in; the tab that reads it removes it. Each once, and the last 64 only: every logout
  // tells them all, and tabs that kept what they heard twice grew it without end (two tabs taking
  // turns to sign in and out doubled it every few rounds, until a message of 196,415 ids overflowed
  // the stack). Late news is of the last sign-ins.
  const ended = new Set<unknown>()
  const end = (ids: unknown[]) => {
    for (const id of ids) id && ended.add(id)
    for (const id of ended) ended.size > 64 && ended.delete(id)
  }
  // The highest generation seen, kept across logouts: a new session always outranks older copies. It also
  // outranks the entry storage holds, which may be one stored by a tab not heard of yet: the tabs that
  // hold that one take this, stored last, as a reload does.
  let generation = 0
  // The epoch this tab's own logout left. Until something replaces that, news of a session shared storage
  // does not hold is of a sign-in the removal removed, made by a tab not heard of yet (news of one made
  // since comes when this tab's copy of storage holds it: Chromium's localStorage lags the tab channel).
  let signedOut = -1
  const nextGeneration = () => Math.max(generation, session?.g ?? 0, entry()?.g ?? 0) + 1
  let inflight: Promise<string> | null = null
  let attempt = 0
  // A failed refresh waits: for its retry timer, or (retries spent) for the network to return.
  let paused: 'retry' | 'online' | null = null
  // The network came back (`online`) while the refresh in flight ran: it may have left on the dead network
  // and fail only for that, and no `online` comes after it. Its failure is then no reason to wait for one.
  let back = false
  let retryAt = 0
  // The last failure another tab of this session told (see run()), and how many were told; `adopted`: the
  // retry time of the one the run in flight took for its own; `forced`: the run in flight is (or was
  // joined by) a `refresh()` call, which takes no failure from another tab.
  let told: Failure | undefined
  let tells = 0
  let adopted = 0
  let forced = 0
  /** Still waiting after a failure; a retry whose time passed while timers slept waits no more. */
  const waiting = () => paused === 'online' || (paused === 'retry' && now() <= retryAt)
  let controller: AbortController | null = null
  // When the refresh in flight times out, by the clock: its timer may have slept (a suspended laptop).
  let deadline = 0
  /** Times out now a refresh whose time ran out while timers slept; the usual retry follows. */
  const overdue = () => controller && now() >= deadline && abortWith(controller, timedOut())
  // Aborted by destroy(): ends the waits on a storage read and on options.login.
  const life = new AbortController()
  const timer = createTimer(clock)
  const retryTimer = createTimer(clock)
  const recheck = createTimer(clock)
  /**
   * The clock the session's times are on. The default one is watched: set back, it would postpone the
   * refresh and pass a token the server holds expired as valid, by as much, so the session's times move
   * back with it. They are not stored again: a write here, outside the refresh lock, could put them over
   * a newer session another tab just stored; the other tabs see the same clock. An injected clock is
   * taken as it is: a test's fake clock and its fake timers (which move performance.now()) are moved in
   * turn, and between the two steps the clock would look set back.
   */
  const now =
    options.now ??
    wallClock((d) => {
      if (session?.exp != null) {
        session.exp += d
        session.skew += d
        if (session.x) session.x[0] += d
        // Tells the new expiresAt, and re-arms the timer by it.
        timer.at(0, check)
      }
    })
  // How long an async storage (inside a refresh) or `options.logout` is waited for: a hung one must not
  // hang the client.
  const longestWait = Math.min(refreshTimeout, MAX_TIMEOUT)
  const bounded = <T>(p: Promise<T>): Promise<T | undefined> => {
    let t: unknown
    const timeout = new Promise<undefined>((resolve) => {
      t = setTimeout(resolve, longestWait)
    })
    // destroy() ends the wait at once (its timer would keep a Node process alive).
    return abortable(Promise.race([p, timeout]), life.signal)
      .catch(() => undefined)
      .finally(() => clearTimeout(t as number))
  }

  const canRefresh = (s = session) => !!(s && refreshFn && (s.rt || refreshWithoutToken))
  const live = (s: Session, margin = 0) => s.exp === null || now() + margin < s.exp
  const leeway = (s: Session) => leewayMs(s, refreshLeeway)

  function build(): AuthState<C> {
    const s = session
    const status = !loaded ? 'loading' : !s ? 'unauthenticated' : live(s) ? 'authenticated' : 'expired'
    return {
      status,
      isAuthenticated: status === 'authenticated',
      isRefreshing: !!inflight,
      accessToken: s?.at ?? null,
      canRefresh: canRefresh(),
      claims: (s?.claims ?? null) as C | null,
      expiresAt: s?.exp ?? null,
      error,
    }
  }
  let snapshot = Object.freeze(build())

  /** Publishes a new snapshot if anything changed, then tells listeners. */
  function commit(): void {
    const s = session
    const next = build()
    const prev = snapshot
    if ((Object.keys(next) as Array<keyof AuthState>).every((k) => next[k] === prev[k])) return
    snapshot = Object.freeze(next)
    emit('change', snapshot)
    // `expired` goes out once per session, when its token expired without a successful refresh. A
    // listener may have replaced the session meanwhile: then its own commit said what there was to say.
    if (s === session && snapshot.status === 'expired' && expiredFor !== session) {
      expiredFor = session
      emit('expired', snapshot)
    }
  }

  function report(e: AuthError): void {
    error = e
    commit()
    emit('error', e)
  }

  /** The storage cannot be used: keep the session in memory and keep working. */
  function fallBack(cause: unknown): AuthError {
    storage = null
    shared = false
    loaded = true
    return new AuthError('storage_unavailable', 'Storage failed; using memory', { cause })
  }

  /** Writes the entry; for an async storage, the returned promise settles (never rejects) when it lands. */
  function write(raw: string | null): Promise<void> | undefined {
    lastRaw = raw
    const failed = (cause: unknown) => {
      // `keep`: the storage works but this entry does not fit (a cookie over 4 KB); later ones may.
      const keep = (cause as { keep?: boolean })?.keep
      if (destroyed) return
      if (!keep) {
        // What the storage still holds is older than the session in memory (its refresh token may be
        // spent): it must not come back on a reload.
        drop()
      }
      report(keep ? (cause as AuthError) : fallBack(cause))
    }
    try {
      const done = storage && (raw === null ? storage.remove(key) : storage.set(key, raw))
      if (isPromise(done)) {
        writing++
        return (landing = done.then(
          () => {
            confirmed = raw
            // The last of this tab's writes to land, after it took something else (another tab's sign-out
            // or entry, or its own logout() whose removal landed first): storage must hold that, not this.
            // Only if storage holds this, or cannot tell (a storage of this tab alone, which nobody else
            // writes, or a failed read): a shared one's write may have landed before another tab's newer
            // entry, not heard of yet (its news is on its way), which writing back would replace.
            if (!--writing && raw !== lastRaw && !destroyed) over(raw, () => write(lastRaw), true)
          },
          (cause) => {
            writing--
            failed(cause)
          },
        ))
      }
      confirmed = raw
    } catch (cause) {
      failed(cause)
    }
  }

  /** Stores the current session and tells other tabs. */
  function persist(): Promise<void> | undefined {
    const raw = session && encodeSession(session)
    // A removal names what it removes: the entry storage holds, else the one this tab held last.
    const removed = raw ? 0 : (entry() ?? entry(lastRaw))
    const done = write(raw)
    // A new sign-in leaves the copies of the last one before it is told; a sign-out is told to them first.
    if (raw) relink()
    const tell = () => destroyed || sync?.post(removed === 0 ? raw : [-1, removed?.g ?? 0, removed?.id])
    // An async write is told once it landed: a tab that reads storage when the news comes finds it there,
    // or something newer (see onNews()).
    if (done) done.then(tell)
    else tell()
    relink()
    return done
  }

  /**
   * A tab opened as a copy of this one ("Duplicate tab", `window.open`) starts with a copy of its
   * sessionStorage, refresh token included. Tabs holding one sign-in (its id, kept by refreshes) share a
   * channel and a refresh lock named after it, so its refresh token is spent once between them; tabs of
   * other sign-ins, and sessions stored without an id, keep to themselves. The lock is named after the
   * id's first 4 characters only: any script of the origin sees a lock's name, and the whole id is what
   * keeps it off the channel that carries the tokens.
   */
  function relink(): void {
    if (copies && session?.id !== line) {
      sync?.close()
      // A stored id is a string or none (decodeSession); a new one is made as a string.
      line = session?.id as string | undefined
      sync = line ? open(`${key}:${line.slice(0, 4)}`, line.slice(4)) : null
    }
  }

  function resetFailures(): void {
    attempt = 0
    paused = null
    retryTimer.cancel()
  }

  /** Takes a session from outside a refresh (setTokens, login, logout, expiry, another tab). */
  function replace(next: Session | null, store = true, renewal = false): void {
    generation = Math.max(generation, session?.g ?? 0)
    epoch++
    if (!renewal) cut = epoch
    // The refresh in flight belongs to the old session: end it, and let the new one start its own.
    if (controller) abortWith(controller, noRefresh())
    inflight = controller = null
    timer.cancel()
    session = next
    loaded = true
    error = null
    resetFailures()
    if (store) persist()
  }

  /**
   * Another tab's session renews `had`: the same user, and the same sign-in. Where either has no id (an
   * entry stored by an earlier version, or written by one still open in another tab during a deploy),
   * only the user is compared, as before ids.
   */
  const renews = (had: Session, next: Session) =>
    next.claims?.sub === had.claims?.sub && (!next.id || !had.id || next.id === had.id)

  /**
   * A removal of `s` (undefined: not named) ends the session held here when it removed that sign-in, or a
   * newer one; not another, older sign-in than this one (stored after the removal, its news is old). Nor a
   * newer one while storage still holds this one: a sign-in made by a tab that had not heard of the entry
   * removed before it has a lower generation. Any removal, when an async storage read for it holds
   * nothing (see onNews()): a logout there could not read which entry it removed.
   */
  const removes = (s?: { g: unknown; id?: unknown }) => {
    // Seen: news of it, told late, is old (see passed()).
    if (Number.isFinite(s?.g)) generation = Math.max(generation, s!.g as number)
    const stored = readNow()
    return (
      !s ||
      !session ||
      session.id === s.id ||
      (session.g < (s.g as number) && stored !== lastRaw) ||
      (current() && stored === null)
    )
  }

  /**
   * The entry is gone from where it was seen: a sign-out (or an expiry) in another tab. From an async
   * storage, gone whenever a read finds none while none of this tab's writes is pending (see current()):
   * such a read comes after them, and the entries this tab took from others were read there (see adopt()).
   */
  const gone = (raw: Stored) => raw === null && !!lastRaw && (current() || lastRaw === confirmed)

  /** Follows what a read of shared storage found (undefined: nothing could be read). */
  const adoptRead = (raw: Stored) => {
    if (raw === undefined) return
    const news = raw !== null || gone(raw)
    confirmed = raw
    // Judged by that read (an async storage's too: see readNow()).
    if (news) by(raw, () => adopt(raw))
  }

  /** Judges by `raw`, what an async storage was just read to hold (see readNow()). */
  function by<T>(raw: Stored, judge: () => T): T {
    known = raw
    try {
      return judge()
    } finally {
      known = undefined
    }
  }

  /**
   * What shared storage holds, when it can be read at once (undefined: unreadable). An async one: what the
   * read made for the news being judged found (see onNews()); undefined otherwise.
   */
  const readNow = (): Stored => {
    const raw = read()
    return isPromise(raw) ? known : raw
  }

  /**
   * Judges news from another tab. An async shared storage cannot be read at once: the news waits for a
   * read made after it came, and is judged by what storage held then, as a sync one's is by what it holds
   * now. Such a read finds what a reload would, newer than anything this tab wrote or took before it
   * (read again if this tab changed its session meanwhile), so storage decides (see adopt()).
   */
  const onNews = (judge: () => void, entry?: unknown) => {
    if (!later) return judge()
    const take = (): Promise<void> => {
      const at = epoch
      const was = lastRaw
      // News of an entry is read for once this tab's own writes landed: a read made earlier may not find
      // them, and they are newer than what it finds. (A write still pending when the answer comes, one
      // that hangs, leaves the generations to judge.) Not a removal: a sign-out there outranks this tab's
      // refresh still being written, which is removed once it lands (see write()).
      return bounded(entry && writing ? landing.then(read) : Promise.resolve(read())).then((r) =>
        at !== epoch || was !== lastRaw ? take() : by(entry && writing ? undefined : r, judge),
      )
    }
    take().catch(noop)
  }

  /** The session of an entry: by default the one shared storage holds, when it can be read at once. */
  const entry = (raw: Stored = readNow()) => {
    try {
      return typeof raw === 'string' ? decodeSession(raw) : undefined
    } catch {}
  }

  /**
   * An entry of a sign-in that was signed out, stored by a refresh that raced the sign-out: removed. Not
   * while shared storage holds another entry (news of a sign-in since, heard late): that one has news of
   * its own, and removing it (and telling the other tabs so) would sign it out everywhere.
   */
  function raced(s: Session, raw: string, locked?: boolean): boolean {
    if (!ended.has(s.id)) return false
    // Seen, and removed: older news (a sign-in it replaced, told late) must not sign anybody in either.
    generation = Math.max(generation, s.g)
    const stored = readNow()
    // The session held here is of that sign-in too (its end told, its removal not yet): it ends now, and
    // its removal is followed as if told, which removes this entry in turn. Written back instead, it
    // would be an entry older than the one it replaced, which no removal of that one names.
    if (ended.has(session?.id)) adopt(null)
    // Called in the refresh lock (from peek()), it writes at once: no renewal lands there between that
    // read and this write. Elsewhere over() takes the lock to read again.
    else if (stored === raw || stored === undefined) locked ? persist() : over(raw, persist, true)
    return true
  }

  /**
   * Another tab's session of this one's generation: two sign-ins made before either tab heard of the
   * other. Each tab must keep the same one: the one shared storage holds (`stored`, stored last, as a
   * reload finds it), else (no shared storage, or an async one) the greater entry.
   */
  const beaten = (raw: string, stored: Stored) => (stored === undefined ? raw < lastRaw! : stored === lastRaw)

  /**
   * Shared storage, read at once (`stored`), holds another value than `raw`. News of a session no newer
   * than the last one this signed-out tab held or ended is then old (a sign-in replaced or signed out
   * since, told late).
   */
  const passed = (raw: string, stored: Stored) => stored !== undefined && stored !== raw

  /** Follows a value another tab (or script) put in shared storage. */
  function adopt(raw: string | null): void {
    if (destroyed || raw === lastRaw) return
    // Looks at the clock first: a session measured after it was set back must not be moved back again.
    now()
    let next: Session | null = null
    if (raw !== null) {
      try {
        next = decodeSession(raw)
      } catch (e) {
        // Garbage from another script: keep the session we hold and write it back.
        write(session && encodeSession(session))
        return report(e as AuthError)
      }
      // Of another sign-in than the one held, while storage holds one of the two: storage tells which is
      // newer, as a reload would. Generations may not: a sign-in made by a tab that had not heard of a
      // newer one, removed before it, has a lower one. Read once, for each rule below.
      const stored = readNow()
      const other = session && !renews(session, next) && (stored === raw || stored === lastRaw)
      if (
        (current() && stored !== undefined
          ? // An async storage, read for this news (see onNews()): it holds what a reload would take, newer
            // than anything this tab wrote or took. Another value there replaced or removed this one, and
            // has news of its own. (Unlike localStorage and cookies, it does not lag the channel.) Its
            // generations cannot tell: a tab that cannot read it at once makes a sign-in of the
            // generation of the one it replaces.
            stored !== raw
          : session
            ? other
              ? stored === lastRaw
              : next.g < session.g || (next.g === session.g && beaten(raw, stored))
            : (next.g <= generation || epoch === signedOut) && passed(raw, stored)) ||
        raced(next, raw)
      ) {
        // An async storage, not read here, may hold the entry ignored, stored last by a tab that had not
        // heard of this one's: a reload would take it. Replaced by this tab's, if storage holds it still.
        if (session && stored === undefined) over(raw, persist)
        return
      }
    }
    lastRaw = raw
    const had = session
    if (!had && !next) return
    // The same token stored again (by a tab that adopted it, say): nothing to announce.
    if (next && had?.at === next.at) {
      session = next
      return
    }
    const last = error
    // Removed by a tab whose timer saw the session end first: an expiry here too, not a logout, and
    // (as for an expiry seen here) the last error stays.
    const expired = !next && !live(had!) && !canRefresh(had)
    // A renewal: the same sign-in's session renewed there, of the same user. Anything else that replaces
    // a session is a new one there, so the 401 rules replay nothing across it (as across a login here).
    replace(next, false, !!(had && next) && renews(had!, next!))
    // Heard from a copy of this sign-in (sessionStorage): stored in this tab's own storage too.
    if (!shared) write(raw)
    relink()
    if (expired) error = last
    const mark = epoch
    check()
    // Not when a listener replaced the session as it was committed (a logout, say): that came after.
    if (next || expired) {
      if (epoch === mark) emit(next ? (had ? 'refresh' : 'login') : 'expired', snapshot)
    } else {
      end([had?.id])
      emit('logout', { reason: 'other_tab' })
      // This tab's refresh may have stored its result over the sign-out before the news came: remove it.
      // Another sign-in found there is newer than this news and has news of its own: taken now, it would
      // run ahead of the news still queued, and a logout among them would end it.
      reread((r) => (typeof r !== 'string' || ended.has(entry(r)?.id)) && adoptRead(r))
    }
  }

  /** Follows what shared storage holds now (by default: adopts it). */
  function reread(follow: (raw: Stored) => void = adoptRead): void {
    const raw = read()
    const at = epoch
    const was = lastRaw
    // A value read before a change made here (a logout, or a refresh stored while it was read) is older
    // than that change.
    if (isPromise(raw)) raw.then((r) => at === epoch && was === lastRaw && follow(r))
    else follow(raw)
  }

  /**
   * Stores what `store()` writes over `raw`, if shared storage holds that still (or, `unreadable`, cannot
   * tell). An async storage's read and write are apart: another tab's renewal landing between them would
   * be replaced by an older session, whose refresh token is then spent again. Renewals land inside the
   * refresh lock (see exchange()), so such a storage is read, and written, there.
   */
  function over(raw: Stored, store: () => unknown, unreadable?: boolean): void {
    const holds = (r: Stored) => r === raw || (unreadable && r === undefined)
    if (!later || !sync) return reread((r) => holds(r) && store())
    // As in reread(): a change made here meanwhile (a sign-in, or an entry taken) outranks what was found.
    const at = epoch
    const was = lastRaw
    sync
      .lock(async () => {
        const r = await bounded(Promise.resolve(read()))
        // What store() wrote lands before the lock is let go, as a renewal does.
        if (at === epoch && was === lastRaw && holds(r) && !destroyed && store()) await bounded(landing)
      })
      .catch(noop)
  }

  /** Reads shared storage now (timers and storage events may have slept); undefined when unreadable. */
  function read(): Stored | Promise<Stored> {
    try {
      const raw = shared ? storage!.get(key) : undefined
      return isPromise(raw) ? raw.then(valid, () => undefined) : valid(raw)
    } catch {
      // Unreadable right now: the next write reports it.
    }
  }

  /**
   * A newer session another tab stored, taken without events (the caller announces it). A sign-in or a
   * sign-out there (not a renewal) is adopted, announced, and ends this refresh with `no_refresh`:
   * nothing is spent, and its storage event, when it comes, finds it taken.
   */
  function peek(raw: Stored): Session | undefined {
    now() // as in adopt()
    // A sign-out there: the entry gone. Its event may come later, or never (cookies without
    // BroadcastChannel), and a refresh now would store a session ended there.
    if (gone(raw)) {
      adopt(null)
      throw noRefresh()
    }
    let s: Session | undefined
    try {
      s = raw && raw !== lastRaw ? decodeSession(raw) : undefined
    } catch {
      // Garbage is reported by the storage event or the next wake-up.
    }
    if (raw !== undefined) confirmed = raw
    // An async storage's entry, read in the lock after this tab's writes, is newer whatever its generation
    // (a tab that cannot read it at once makes a sign-in of the generation of the one it replaces).
    if (s && !raced(s, raw!, true) && (!session || current() || s.g > session.g)) {
      if (session && !renews(session, s)) {
        adopt(raw!)
        throw noRefresh()
      }
      lastRaw = raw!
      return (session = s)
    }
  }

  /** Commits the status for this instant, starts a refresh when due, and arms the next check. */
  function check(): void {
    timer.cancel()
    overdue()
    const s = session
    const t = now()
    if (!destroyed && s?.exp != null && t >= s.exp && !canRefresh()) {
      // Nothing can renew it: the session is over. Its last error stays (no login or refresh succeeded).
      const last = error
      const mark = epoch
      replace(null)
      // …unless removing the entry failed just now: that error is newer.
      error ??= last
      commit()
      // Not when a listener replaced what replace() left (a sign-in, or a logout): that came after.
      if (epoch === mark + 1) emit('expired', snapshot)
      return
    }
    commit()
    // A listener may have replaced the session during commit(): the new one was checked then.
    if (destroyed || s?.exp == null || s !== session) return
    const due = s.exp - leeway(s)
    if (t >= due && !inflight && !waiting() && canRefresh()) start().catch(noop)
    // Also while a refresh runs: should it outlast the token, the status turns `expired` at exp.
    if (t < s.exp) timer.at(t < due ? due : s.exp, check)
  }

  /** Runs under the refresh lock. Resolves the new session, or null for one already announced. */
  async function exchange(base: Session | null, at: number, heard: number): Promise<Session | null> {
    let raw = read()
    if (isPromise(raw)) raw = await bounded(raw)
    // Spend nothing when the client was destroyed while it waited for the lock (run() then rejects with
    // `destroyed`), or the session was replaced meanwhile (a logout, say): what was read is no longer news.
    if (destroyed || at !== epoch) throw noRefresh()
    // Another tab renewed the token while this one waited for the lock: adopt it, spend nothing.
    const stored = by(raw, () => peek(raw))
    if (stored) {
      // Shown now: the call that may follow (the renewal taken is due too) can take refreshTimeout. A
      // listener told of it may have replaced the session, or destroyed the client.
      commit()
      if (destroyed || at !== epoch) throw noRefresh()
    }
    if (session && base && session.at !== base.at && live(session, leeway(session))) return stored ?? null
    // The session ended (logout, another tab) while waiting: there is nothing to refresh.
    if (base && !session) throw noRefresh()
    // Another tab failed to renew this token while this try waited for the lock, or waits to try again:
    // an automatic try here takes that failure for its own and waits along, so an outage costs about one
    // call per round, not one per tab. `refresh()` (`forced`), also one that joined this try, still tries
    // at once. Transient as it was there, whatever its status (a 400 the app says is throttling), and with
    // its `Retry-After`, which holds this tab's 401s back too (see tokenRenewer). Of its code only a
    // timeout is kept: any other (from another version, or a crafted `no_refresh` that would end the
    // retries here) is `refresh_failed`.
    if (!forced && told && told[1] === session?.exp && (heard < tells || told[0] > now())) {
      adopted = Math.max(told[0], now())
      throw new RefreshError('Refresh failed in another tab', {
        permanent: false,
        code: told[2] === 'refresh_timeout' ? told[2] : undefined,
        status: told[3],
        retryAfter: told[4],
      })
    }
    const c = (controller = new AbortController())
    deadline = now() + refreshTimeout
    let tokens: TokenSet
    try {
      tokens = await callWithTimeout(
        (signal) =>
          refreshFn!({ accessToken: session?.at ?? null, refreshToken: session?.rt ?? null, signal }),
        refreshTimeout,
        c,
      )
    } catch (e) {
      // Failed, while another tab stored a sign-in (the server may have revoked this refresh token for
      // it) or a renewal, not heard of yet: that session outranks the failure, whose sign-out would
      // remove it. Taken instead (a sign-in, or a sign-out, ends this try with no_refresh, see below).
      const s = at === epoch && !destroyed ? peek(readNow()) : undefined
      if (s && live(s)) return s
      throw e
    }
    if (at !== epoch || destroyed) throw noRefresh()
    // A sign-in or a sign-out another tab stored during the call, not heard of yet: made last, it outranks
    // this renewal of the session it replaced, which is dropped (peek adopts it and ends this try).
    peek(readNow())
    // Ended by it (an entry of the sign-in held here, which a logout elsewhere ended): dropped too.
    if (at !== epoch) throw noRefresh()
    let next: Session
    try {
      next = createSession(tokens, now(), session?.rt ?? null, nextGeneration(), true, session?.id)
    } catch (cause) {
      throw new RefreshError('Refresh returned a malformed token', { permanent: true, cause })
    }
    if (next.at === session?.at && next.claims?.exp !== undefined) {
      // The JWT held already, sent back (a cache, say): its expiry stays as first measured (measuring its
      // skew again would stretch it), and as the server wants no other before then, it is asked at expiry.
      next = { ...next, skew: session.skew, exp: session.exp, life: 0 }
    }
    // Expired: exp ≤ iat, or (lifetime unknown, or the held token sent back) exp has passed.
    if (next.exp !== null && (next.life ? next.life <= 0 : next.exp <= now())) {
      throw new RefreshError('Refresh returned an expired token', { permanent: true })
    }
    // Store and broadcast while still holding the lock, so the next holder finds the new tokens.
    session = next
    const written = persist()
    // Other tabs read it after the lock is released: a shared async storage must have it by then.
    if (written && shared) await bounded(written)
    return next
  }

  async function run(base: Session | null, n: number, at: number, manual = 0): Promise<string> {
    // An error reported during the refresh (its result did not fit the storage) outlives its success.
    const last = error
    let result: Session | null = null
    // Not `instanceof`: a RefreshError from another copy of latchkey is a failure too.
    let failure: RefreshError | undefined
    // How many failures were told as this try started: one told later came while it waited for the lock.
    const heard = tells
    forced = manual
    adopted = 0
    try {
      result = await (sync ? sync.lock(() => exchange(base, at, heard)) : exchange(base, at, heard))
    } catch (e) {
      // Replaced meanwhile (a sign-in's lock left when its copies' tab signed in anew, say): the failure
      // belongs to a session that is gone, so this call has nothing to refresh.
      failure = at === epoch ? toRefreshError(e) : noRefresh()
    }
    if (destroyed) throw destroyedError()
    /** The session was replaced since this run started (`replace()` detached it). */
    const detached = () => {
      // Only renewals came meanwhile (from another tab, adopted, nothing spent here): this refresh's result.
      if (cut <= at && session && live(session)) return session.at
      // A new session, or none: nothing here is ours.
      throw failure ?? noRefresh()
    }
    if (at !== epoch) return detached()
    inflight = controller = null
    if (!failure) {
      if (error === last) error = null
      resetFailures()
      check()
      // A listener may have replaced the session as it was committed (a logout, say): then its own
      // events said what happened, and this refresh's come too late.
      if (at !== epoch) return detached()
      if (result) emit(base ? 'refresh' : 'login', snapshot)
      return session!.at
    }
    if (failure.code === 'no_refresh') {
      commit()
      throw failure
    }
    // A failure taken from a tab that waits for `online` waits for it here too.
    const willRetry = !failure.permanent && (n < attempts || back) && adopted < Infinity
    const had = session
    if (failure.permanent) replace(null)
    else {
      if (willRetry) {
        paused = 'retry'
        // The server's `Retry-After` comes first (or the time of the tab whose failure this is); the
        // jitter still spreads the clients told the same. At most what a timer holds: Infinity (or NaN,
        // from another copy's error) would never retry.
        retryAt =
          (adopted ||
            now() + Math.min(failure.retryAfter! > 0 ? failure.retryAfter! * 1000 : 0, MAX_TIMEOUT)) +
          backoff(n, baseDelay, maxDelay)
        retryTimer.at(retryAt, () => start().catch(noop))
      } else paused = 'online'
      // Told inside the Web Lock's hold (right after a lease's, before the next tab's 60 ms claim ends),
      // so the tabs queued behind it take it instead of calling again.
      if (!adopted)
        sync?.post([
          willRetry ? retryAt : Infinity,
          session?.exp,
          failure.code,
          failure.status,
          failure.retryAfter,
        ])
    }
    error = failure
    const mark = epoch
    check()
    // A listener that replaced the session as it was committed (a new sign-in) ended the retry, and the
    // logout came before that sign-in: it is not announced after it.
    emit('refreshError', { error: failure, attempt: n, willRetry: willRetry && epoch === mark })
    if (failure.permanent && had && epoch === mark) emit('logout', { reason: 'refresh_rejected' })
    throw failure
  }

  function start(manual?: number): Promise<string> {
    overdue()
    if (!inflight) {
      retryTimer.cancel()
      paused = null
      back = false
      const running = (inflight = run(session, ++attempt, epoch, manual))
      running.catch(noop)
      commit()
      // A listener may have replaced the session during commit(), detaching this run: it still settles.
      return running
    }
    return inflight
  }

  // ---- start-up ----
  const load = (raw: string | null) => {
    if (destroyed || loaded) return
    loaded = true
    try {
      confirmed = raw
      if (raw !== null) session = decodeSession((lastRaw = raw))
    } catch (e) {
      // Corrupt or tampered: start signed out (committed before it is told), and remove it, unless a
      // listener told of it has stored a session since.
      report(e as AuthError)
      if (lastRaw === raw) write(null)
    }
  }
  const unavailable = (cause: unknown) => report(fallBack(cause))
  let ready: Promise<unknown> = Promise.resolve()
  try {
    const raw = storage?.get(key) ?? null
    if ((later = isPromise(raw)))
      ready = raw.then((r) => {
        load(r)
        // Storage may have changed while it was read (a sign-out in another tab, whose news came before
        // there was a session here to end): read again once, unless this tab has changed it since (a
        // setTokens() before the read ended, or a corrupt entry removed).
        if (lastRaw === r) reread()
      }, unavailable)
    else load(raw)
  } catch (cause) {
    unavailable(cause)
  }
  let stopSubscription: unknown
  try {
    if (shared && syncTabs)
      stopSubscription = storage!.subscribe?.(key, (raw, old) =>
        onNews(() => {
          if (raw !== null) adopt((confirmed = raw))
          // A removal reported while storage still holds this tab's entry is old news: a logout and a
          // sign-in in quick succession there, whose messages (faster than storage events in Chromium)
          // came first. So is one of another entry than the one held (the value it replaced, when told).
          else if (removes(old ? entry(old) : undefined))
            reread((now) => {
              if (now === lastRaw) confirmed = now
              else adopt((confirmed = null))
            })
        }, raw),
      )
  } catch (cause) {
    // A storage that cannot report changes cannot be shared safely: keep the session in memory.
    unavailable(cause)
  }
  const open = (name: string, secret?: string) =>
    createTabSync(
      name,
      // 1: a user's logout there, which outranks a login() still pending here, as one made here would.
      (raw) => {
        if (raw === 0) {
          if (session) sync!.post(lastRaw)
        } else if (raw === 1) logins++
        else if (Array.isArray(raw) && raw[0] !== -1) {
          if (raw[0]) {
            told = raw as Failure
            tells++
          }
          // The sign-ins a logout there ended: news of one that comes later (from a third tab, slower)
          // signs nobody in here.
          else end(raw.slice(1))
        } else
          onNews(
            () => {
              // An entry, or a removal: named (see removes()), or a `null` from an older version.
              const said = typeof raw === 'string' ? raw : null
              if (!Array.isArray(raw) || removes({ g: raw[1], id: raw[2] })) {
                adopt(said)
                // It counts as stored once read there (a cookie too large, or an async write not landed
                // yet, is not), and its removal (an expired cookie) is a sign-out. Another entry found there
                // is newer than this message and has a message of its own: taken now, it would run ahead of
                // the messages still queued, and a logout among them would end it (a sign-out and a sign-in
                // in quick succession there).
                reread((r) => (!r || r === lastRaw) && adoptRead(r))
              }
              // Not followed, as storage read here did not hold it: that read may be behind the message. A
              // cookie written in another tab reaches this one's document.cookie a few ms after the
              // message (in Chromium), and no event follows. Read again shortly: if storage holds it then,
              // it is followed, as a reload would.
              if (said !== lastRaw) recheck.at(clock() + 100, () => reread((r) => r === said && adoptRead(r)))
            },
            typeof raw === 'string',
          )
      },
      clock,
      // Longer than a live tab holds the lock: besides the refresh, a custom storage (async, maybe)
      // is waited for up to refreshTimeout to read and again to write (built-in ones answer at once).
      // Capped at a timer's limit (2^31−1 ms; Infinity is refused): a longer wait would end at once.
      Math.min((typeof options.storage === 'object' ? 3 : 1) * refreshTimeout + 5_000, MAX_TIMEOUT),
      secret,
    )
  if ((shared && syncTabs) || (syncTabs === 'memory' && !storage)) sync = open(key)
  copies = storage && options.storage === 'sessionStorage' && syncTabs
  relink()
  // A memory session lives only in open tabs: a new tab asks them for it. So does a copy, which may have
  // been made while its session was renewed.
  if (sync && (!storage || copies)) sync.post(0)
  // Events held while the client was created (errors, expired) go out after a microtask, so listeners
  // attached right after creation get them.
  ready = ready.then(() => {
    if (destroyed) return
    for (const announce of held.splice(0)) announce()
    check()
  })
  // Timers and storage events may have slept: re-read, then retry a refresh that waits for the network.
  const stopWake = listenForWake((online) => {
    reread()
    // Back online, every tab may try again, and the first failure is told anew.
    if (online) told = undefined
    if (online && inflight) back = true
    if (online && paused === 'online') start().catch(noop)
    else check()
  })
  check()
  constructing = false

  /** Valid for at least `minValidity` seconds (default: the leeway); a negative one counts as 0. */
  const fresh = (s: Session, minValidity: unknown) =>
    live(s, Math.max(0, numeric(minValidity, leeway(s) / 1000) * 1000))

  /** Stores tokens given here (setTokens, login); the ones held already change nothing. */
  function take(tokens: Parameters<AuthClient['setTokens']>[0]): boolean {
    if (destroyed) throw destroyedError()
    const next = createSession(tokens, now(), null, nextGeneration())
    // The same tokens again (an app mirroring its own store): a refresh in flight goes on, and a JWT's
    // expiry stays as first measured. (Given an expiresIn, a token without exp claim is set anew.)
    if (
      next.at === session?.at &&
      next.rt === session.rt &&
      (next.claims?.exp !== undefined || next.exp === session.exp)
    )
      return false
    // The same user's tokens (a JWT's sub; else the same token) are no new session for the 401 rules,
    // here or (keeping the sign-in's id) in the other tabs.
    const same = (next.claims?.sub ?? next.at) === (session?.claims?.sub ?? session?.at)
    replace(same ? { ...next, id: session?.id } : next, true, same)
    return true
  }

  async function tokenLater(minValidity: unknown): Promise<string | null> {
    await guard()
    const s = session
    if (!s) return null
    if (fresh(s, minValidity)) return s.at
    if (inflight || (canRefresh() && !waiting())) await start().catch(noop)
    if (destroyed) throw destroyedError()
    return session && live(session) ? session.at : null
  }

  // One wait shared by every call: one listener on `life`, however many calls are waiting.
  const started = abortable(ready, life.signal).catch(noop)
  const guard = () =>
    started.then(() => {
      if (destroyed) throw destroyedError()
    })

  const client: AuthClient<C, Credentials> & { [SESSIONS]: () => number } = {
    getState: () => snapshot,
    [SESSIONS]: () => cut,
    subscribe: (listener) => client.on('change', listener),
    // A listener that changes the state while a change is delivered makes that snapshot stale: the
    // newer one has reached every listener already, so the older one must not arrive after it.
    on: (type, handler) =>
      events.on(
        type,
        type === 'change' ? (s) => s === snapshot && (handler as (s: unknown) => void)(s) : handler,
      ),
    setTokens(tokens) {
      take(tokens)
      check()
      return snapshot
    },
    async login(credentials) {
      // Taken at the call: a logout() made while the storage is still read outranks it.
      const ticket = ++logins
      await guard()
      let tokens: Awaited<ReturnType<NonNullable<typeof options.login>>>
      try {
        tokens = await abortable(options.login!(credentials, { signal: life.signal }), life.signal)
      } catch (cause) {
        if (destroyed) throw destroyedError()
        const failed = new AuthError('login_failed', 'Login failed', { cause })
        // A superseded login's failure is not the state's error: a later one decides that.
        if (ticket === logins) {
          error = failed
          commit()
        }
        throw failed
      }
      // A later login() or logout() was made meanwhile: it wins.
      if (ticket !== logins) throw new AuthError('login_failed', 'Login superseded')
      // A successful login clears the last error, also one that returns the tokens held already.
      if (!take(tokens)) error = null
      const mark = epoch
      check()
      // Not when a listener replaced the session as it was committed (a logout, say): it came after.
      if (epoch === mark) emit('login', snapshot)
      return snapshot
    },
    logout() {
      if (destroyed) return Promise.resolve()
      logins++
      // It also ends what another tab stored that this one has not heard of yet (signed out already, or
      // busy as that tab signed in): the removal is what storage, a reload and the other tabs keep, so
      // that sign-in's news, when it comes, signs nobody in here; nor does older news.
      const stored = entry()
      end([session?.id, stored?.id])
      generation = Math.max(generation, stored?.g ?? 0)
      // Told before the removal, so a tab that hears of the removal by message knows what it ended when
      // news of one of those sign-ins comes after it (from the tab that made it, slower).
      sync?.post([0, ...ended])
      const tokens = { accessToken: session?.at ?? null, refreshToken: session?.rt ?? null }
      replace(null)
      signedOut = epoch
      if (!storage) drop(chosen)
      sync?.post(1)
      commit()
      emit('logout', { reason: 'user' })
      // A failure is the state's last error while nobody is signed in; after a sign-in since (here or in
      // another tab) it is only an event: it says nothing about that session.
      const failed = (e: AuthError) => destroyed || (session ? emit('error', e) : report(e))
      const revoke = new AbortController()
      let late: AuthError | undefined
      // Waited for up to refreshTimeout (a hung revoke must not hang `await logout()`), and no longer
      // after destroy(); the revoke itself is aborted only when it timed out (reported once, as that).
      return bounded(
        (async () => {
          try {
            await options.logout?.({ ...tokens, signal: revoke.signal })
          } catch (cause) {
            if (!late) failed(new AuthError('logout_failed', 'Logout failed', { cause }))
          }
          return true
        })(),
      ).then((settled) => {
        if (settled || destroyed) return
        late = new AuthError('logout_failed', 'Logout timed out')
        abortWith(revoke, late)
        failed(late)
      })
    },
    getAccessToken(options) {
      // The hot path (a loaded, valid token) answers without waiting on anything.
      const s = loaded && !destroyed ? session : undefined
      return s && fresh(s, options?.minValidity) ? Promise.resolve(s.at) : tokenLater(options?.minValidity)
    },
    peekAccessToken() {
      const s = loaded && !destroyed ? session : undefined
      return s && live(s, leeway(s)) ? s.at : null
    },
    async refresh() {
      // Join a refresh in flight before waiting on anything, or it may end meanwhile and a second start.
      // (start() joins it, timing it out first if its time ran out while timers slept.)
      // The try it joins or starts takes no failure from another tab (`forced`).
      if (inflight && !destroyed) {
        forced = 1
        return start()
      }
      await guard()
      if (!refreshFn || !(session?.rt || refreshWithoutToken)) throw noRefresh()
      return start(1)
    },
    // Destroyed, it sends nothing to any origin: like the other async methods, it rejects.
    fetch: (input, init) => (destroyed ? Promise.reject(destroyedError()) : authFetch(input, init)),
    // Settles at destroy() too: a storage read that never ends must not hang whoever awaits it.
    ready: started.then(noop),
    destroy() {
      if (destroyed) return
      destroyed = true
      timer.cancel()
      retryTimer.cancel()
      recheck.cancel()
      if (controller) abortWith(controller, destroyedError())
      abortWith(life, destroyedError())
      sync?.close()
      if (typeof stopSubscription === 'function') stopSubscription()
      stopWake()
      events.clear()
    },
  }
  const authFetch = createAuthFetch(client)
  return client
}
