import { wallClock } from './clock'
import { entry, persist } from './entryStore'
import { AuthError, RefreshError } from './errors'
import { createEmitter, type Emitter } from './events'
import { createTimer, leewayMs, MAX_TIMEOUT, type Timer } from './scheduler'
import type { Session } from './session'
import { resolveStorage } from './storages/resolveStorage'
import type { Failure, TabSync } from './tabSync'
import { abortable } from './tokenRenewer'
import type {
  AuthClientOptions,
  AuthEvents,
  AuthState,
  RefreshContext,
  TokenSet,
  TokenStorage,
} from './types'

/** Does nothing: what a promise nobody awaits is caught with. */
export const noop = () => {}
/** A thenable: what an async storage (or a custom one) returns. */
export const isPromise = (v: unknown): v is Promise<unknown> =>
  typeof (v as Promise<unknown>)?.then === 'function'
/** What a storage read may give: an entry, none, or (unreadable, not a string) undefined. */
export type Stored = string | null | undefined
/** What every call on a destroyed client rejects with. */
export const destroyedError = () => new AuthError('destroyed')
/** A refresh that has nothing to refresh (no session, or one replaced meanwhile): spends nothing. */
export const noRefresh = () => new RefreshError('Nothing to refresh with', { code: 'no_refresh' })
/** A numeric option: missing, null, or anything `Number()` makes NaN of means the default. */
export const numeric = (value: unknown, fallback: number) =>
  Number.isNaN(Number(value ?? NaN)) ? fallback : Number(value)

/**
 * What the parts of a client share (see createAuthClient): its options, its state, and the functions
 * each part lends the others. The parts: this file (the state and its snapshot), `entryStore.ts` (the
 * stored entry), `tabFollower.ts` (news from other tabs), `refresher.ts` (the refresh and its schedule).
 * A function that keeps state of its own in its part is a key here; the others (this file's and
 * entryStore.ts's) are module functions taking the engine, which minify to a letter where a key keeps
 * its name.
 */
export interface Engine {
  // ---- options ----
  readonly options: AuthClientOptions<unknown>
  readonly key: string
  /** Date.now, or the injected clock, read at each call. */
  readonly clock: () => number
  /** The clock the session's times are on (see createEngine). */
  readonly now: () => number
  readonly refreshTimeout: number
  readonly refreshFn: ((context: RefreshContext) => Promise<TokenSet>) | undefined

  // ---- the state ----
  readonly events: Emitter<AuthEvents<unknown>>
  /** Events found while the client is created, told after a microtask (see emit()). */
  readonly held: Array<() => void>
  constructing: boolean
  storage: TokenStorage | null
  /** Other tabs see the storage. */
  shared: boolean
  session: Session | null
  lastRaw: string | null
  sync: TabSync | null
  /** This tab's async writes that have not landed yet, and the last one's landing. */
  writing: number
  landing: Promise<unknown>
  /**
   * What shared storage was last seen to hold: read from it, or written to it here. An entry only heard of
   * (posted by a tab that could not store it, or whose write has not landed) is not known to be there, so
   * finding storage empty then is no sign-out.
   */
  confirmed: Stored
  /** What the read made for the news being judged found (see readNow() in entryStore.ts). */
  known: Stored
  /** An async storage (its first read was). */
  later: boolean
  loaded: boolean
  destroyed: boolean
  error: AuthError | null
  /** Bumped whenever the session is replaced outside a refresh, so a late refresh result is dropped. */
  epoch: number
  /**
   * The epoch of the last replacement that was not a renewal adopted from another tab (a sign-in or a
   * sign-out, here or there): a refresh started before it has nothing to resolve with (see run()), and the
   * 401 rules replay nothing across it (see SESSIONS).
   */
  cut: number
  /**
   * Bumped by login(), logout() and a user's logout in another tab: a login that resolves after a later
   * one (or a logout) is dropped.
   */
  logins: number
  /**
   * The sign-ins signed out, here or in another tab; no sign-in's id comes back. An entry of one stored
   * after that (a refresh in another tab that raced the sign-out, or news of it that came late) signs
   * nobody back in; the tab that reads it removes it. Each once, and the last 64 only (see end()).
   */
  readonly ended: Set<unknown>
  /**
   * The highest generation seen, kept across logouts: a new session always outranks older copies. It also
   * outranks the entry storage holds, which may be one stored by a tab not heard of yet: the tabs that hold
   * that one take this, stored last, as a reload does.
   */
  generation: number
  /**
   * The epoch this tab's own logout left. Until something replaces that, news of a session shared storage
   * does not hold is of a sign-in the removal removed, made by a tab not heard of yet (news of one made
   * since comes when this tab's copy of storage holds it: Chromium's localStorage lags the tab channel).
   */
  signedOut: number
  /**
   * What a copy of a sign-in waits for before its first refresh: the other copies' answer (see follow()).
   */
  asked: Promise<unknown> | undefined
  /** The refresh in flight (see refresher.ts). */
  inflight: Promise<string> | null
  /** Aborted by destroy(): ends the waits on a storage read and on options.login. */
  readonly life: AbortController
  readonly timer: Timer
  readonly recheck: Timer
  snapshot: AuthState<unknown>

  // ---- this file: the two with state of their own (emit, bounded, replace… follow createEngine) ----
  leeway(s: Session): number
  commit(): void

  // (entryStore.ts keeps no state of its own: write(k), persist(k), read(k)… take the engine.)

  // ---- tabFollower.ts ----
  relink(): void
  adoptRead(raw: Stored): void
  /** Reports garbage written over the entry of a storage no other tab shares, and writes the session back. */
  mend(): void
  /** Tells the other tabs, once `removal` (of garbage found here) landed, that it was no sign-out. */
  cleaned(removal: unknown): void
  peek(raw: Stored): Session | undefined
  /** Starts following other tabs; returns what stops the storage's change events. */
  follow(): unknown

  // ---- refresher.ts ----
  check(): void
  start(manual?: number): Promise<string>
  /** Joins the refresh in flight as a `refresh()` call, which takes no failure from another tab. */
  join(): Promise<string>
  /** Still waiting after a failure (see refresher.ts). */
  waiting(): boolean
  /** Ends the refresh in flight (with `reason()`) and any wait after a failure: its session is gone. */
  detach(reason: () => unknown): void
  /** A failure another tab of this session told. */
  heard(failure: Failure): void
  /** Timers may have slept; `online`: the network is back; `resumed`: the page was frozen (see wake.ts). */
  wake(online: boolean, resumed?: boolean): void
}

/** The options and the state of a new client, and the functions of this file; the other parts add theirs. */
export function createEngine(options: AuthClientOptions<unknown>): Engine {
  const { storage, shared } = resolveStorage(options.storage, options.cookie)
  const refreshTimeout = numeric(options.refreshTimeout, 10_000)
  // Date.now read at each call, so fake timers installed after the client was created apply to it too.
  const clock = options.now ?? (() => Date.now())
  const { storageKey: key = 'latchkey' } = options
  const refreshLeeway = numeric(options.refreshLeeway, 60)
  // The session whose `expired` went out (see commit()).
  let expiredFor: Session | null = null
  const k: Engine = {
    options,
    key,
    clock,
    /**
     * The default clock is watched: set back, it would postpone the refresh and pass a token the server
     * holds expired as valid, by as much, so the session's times move back with it. They are not stored
     * again: a write here, outside the refresh lock, could put them over a newer session another tab just
     * stored; the other tabs see the same clock. An injected clock is taken as it is: a test's fake clock
     * and its fake timers (which move performance.now()) are moved in turn, and between the two steps the
     * clock would look set back.
     */
    now:
      options.now ??
      wallClock((d) => {
        const s = k.session
        if (s?.exp != null) {
          s.exp += d
          s.skew += d
          if (s.x) s.x[0] += d
          // Tells the new expiresAt, and re-arms the timer by it.
          k.timer.at(0, k.check)
        }
      }),
    refreshTimeout,
    refreshFn: typeof options.refresh === 'function' ? options.refresh : undefined,
    events: createEmitter<AuthEvents<unknown>>(),
    held: [],
    constructing: true,
    storage,
    shared,
    session: null,
    lastRaw: null,
    sync: null,
    writing: 0,
    landing: Promise.resolve(),
    later: false,
    loaded: !storage,
    destroyed: false,
    error: null,
    epoch: 0,
    cut: 0,
    logins: 0,
    ended: new Set(),
    generation: 0,
    signedOut: -1,
    inflight: null,
    life: new AbortController(),
    timer: createTimer(clock),
    recheck: createTimer(clock),
    // `confirmed`, `known`, `asked` and `snapshot` (set below) start undefined: left out.

    leeway: (s) => leewayMs(s, refreshLeeway),

    /** Publishes a new snapshot if anything changed, then tells listeners. */
    commit() {
      const s = k.session
      const next = build()
      const prev = k.snapshot
      if ((Object.keys(next) as Array<keyof AuthState>).every((key) => next[key] === prev[key])) return
      k.snapshot = Object.freeze(next)
      emit(k, 'change', k.snapshot)
      // `expired` goes out once per session, when its token expired without a successful refresh. A
      // listener may have replaced the session meanwhile: then its own commit said what there was to say.
      if (s === k.session && k.snapshot.status === 'expired' && expiredFor !== k.session) {
        expiredFor = k.session
        emit(k, 'expired', k.snapshot)
      }
    },
  } as Partial<Engine> as Engine

  function build(): AuthState<unknown> {
    const s = k.session
    const prev = k.snapshot as AuthState<unknown> | undefined
    const status = !k.loaded ? 'loading' : !s ? 'unauthenticated' : live(k, s) ? 'authenticated' : 'expired'
    return {
      status,
      isAuthenticated: status === 'authenticated',
      isRefreshing: !!k.inflight,
      accessToken: s?.at ?? null,
      canRefresh: canRefresh(k),
      // One token, one claims object: a session built again for the token shown (sent back by a refresh,
      // stored again by another tab with a new refresh token) keeps the claims the state shows already.
      claims: s && prev?.accessToken === s.at ? prev.claims : (s?.claims ?? null),
      expiresAt: s?.exp ?? null,
      error: k.error,
    }
  }
  k.snapshot = Object.freeze(build())
  return k
}

/**
 * Tells listeners. Events found while the client is created wait for a microtask, so listeners attached
 * right after creation get them (see `ready` in createAuthClient). Not `change`: the state itself can be
 * read at once. An expiry found then is old news once a session was set or ended right after creation (a
 * setTokens() on an OAuth callback page): told after that, it would sign the new session out. Told, it
 * carries the state as it is now (a refresh started since).
 */
export function emit<K extends keyof AuthEvents<unknown>>(
  k: Engine,
  type: K,
  payload: AuthEvents<unknown>[K],
): void {
  const at = k.epoch
  if (k.constructing && type !== 'change')
    k.held.push(() =>
      type !== 'expired'
        ? k.events.emit(type, payload)
        : at === k.epoch && k.events.emit(type, k.snapshot as typeof payload),
    )
  else k.events.emit(type, payload)
}

/**
 * Waits for `p` (a promise, or a value) up to refreshTimeout (and, unless `landing`, no longer after
 * destroy()); undefined when it did not settle. `landing`: a write made in the refresh lock, which holds
 * the lock until it lands. A hung async storage (inside a refresh) or `options.logout` must not hang the
 * client.
 */
export function bounded<T>(k: Engine, p: T | Promise<T>, landing?: boolean): Promise<T | undefined> {
  let t: unknown
  const timeout = new Promise<undefined>((resolve) => {
    t = setTimeout(resolve, Math.min(k.refreshTimeout, MAX_TIMEOUT))
  })
  // destroy() ends the wait at once (its timer would keep a Node process alive). Not a write's in the
  // refresh lock: let go before it landed, the next tab would read the entry it replaces, and spend its
  // refresh token again. (The write itself keeps the process busy as long.)
  const both = Promise.race([p, timeout])
  return (landing ? both : abortable(both, k.life.signal))
    .catch(() => undefined)
    .finally(() => clearTimeout(t as number))
}

export const canRefresh = (k: Engine, s = k.session): boolean =>
  !!(s && k.refreshFn && (s.rt || k.options.refreshWithoutToken))

export const live = (k: Engine, s: Session, margin = 0): boolean => s.exp === null || k.now() + margin < s.exp

/** Sets the state's error, and tells it. */
export const report = (k: Engine, e: AuthError): void => {
  k.error = e
  k.commit()
  emit(k, 'error', e)
}

/** The storage cannot be used: keep the session in memory and keep working. */
export const fallBack = (k: Engine, cause: unknown): AuthError => {
  k.storage = null
  k.shared = false
  k.loaded = true
  return new AuthError('storage_unavailable', 'Storage failed; using memory', { cause })
}

/** Removes the entry, ignoring failures (the storage is known to be failing). */
export const drop = (k: Engine, from = k.storage): void => {
  try {
    const done = from?.remove(k.key)
    if (isPromise(done)) done.catch(noop)
  } catch {}
}

/** Takes a session from outside a refresh (setTokens, login, logout, expiry, another tab). */
export const replace = (k: Engine, next: Session | null, store = true, renewal = false): void => {
  k.generation = Math.max(k.generation, k.session?.g ?? 0)
  k.epoch++
  if (!renewal) k.cut = k.epoch
  // The refresh in flight belongs to the old session: end it, and let the new one start its own.
  k.detach(noRefresh)
  k.timer.cancel()
  k.session = next
  k.loaded = true
  k.error = null
  if (store) persist(k)
}

/**
 * Adds to the sign-ins ended. The last 64 only: every logout tells them all, and tabs that kept what
 * they heard twice grew it without end (two tabs taking turns to sign in and out doubled it every few
 * rounds, until a message of 196,415 ids overflowed the stack). Late news is of the last sign-ins.
 */
export const end = (k: Engine, ids: unknown[]): void => {
  for (const id of ids) id && k.ended.add(id)
  for (const id of k.ended) k.ended.size > 64 && k.ended.delete(id)
}

export const nextGeneration = (k: Engine): number =>
  Math.max(k.generation, k.session?.g ?? 0, entry(k)?.g ?? 0) + 1
