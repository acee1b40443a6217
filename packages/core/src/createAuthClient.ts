import { createAuthFetch } from './createAuthFetch'
import {
  bounded,
  canRefresh,
  createEngine,
  destroyedError,
  drop,
  type Engine,
  emit,
  end,
  fallBack,
  isPromise,
  live,
  nextGeneration,
  noop,
  noRefresh,
  numeric,
  replace,
  report,
} from './engine'
import { entry, load, reread } from './entryStore'
import { AuthError } from './errors'
import { refresher } from './refresher'
import { createSession, decodeSession, type Session, tokensOf } from './session'
import { tabFollower } from './tabFollower'
import { abortable, abortWith, SESSIONS } from './tokenRenewer'
import type {
  AuthClient,
  AuthClientOptions,
  AuthState,
  RegisteredClaims,
  RegisteredCredentials,
} from './types'
import { listenForWake } from './wake'

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
  // The parts share one engine (see engine.ts): its state, and the functions each lends the others
  // (entryStore.ts keeps no state of its own: its functions take the engine).
  const k: Engine = createEngine(options as AuthClientOptions<unknown>)
  tabFollower(k)
  refresher(k)
  // `chosen`: the storage chosen, kept after a fall-back to memory (none has happened yet): a logout
  // still clears what another tab stored there since.
  const { life, storage: chosen } = k

  // ---- start-up ----
  const unavailable = (cause: unknown) => report(k, fallBack(k, cause))
  let ready: Promise<unknown> = Promise.resolve()
  let removal: unknown
  // What the start-up read of an async storage found: a logout() made before it ended revokes that.
  let found: string | null = null
  // That read, until it ends; and the epoch at which the client stopped waiting for it (see below).
  let reading: Promise<unknown> | undefined
  let gaveUp: number | undefined
  try {
    const raw = k.storage?.get(k.key) ?? null
    if ((k.later = isPromise(raw))) {
      reading = raw.then(
        (read) => {
          reading = undefined
          // `undefined` (idb-keyval's answer for a missing key) is no entry, as for a sync storage.
          const r = (found = read ?? null)
          if (gaveUp === undefined) k.cleaned(load(k, r))
          // Taken as at start-up, unless the client moved on meanwhile: a sign-in, also one under way (a
          // restore from no session, whose result would be stored as a renewal of this one, with its refresh
          // token), or a read of storage since (another tab's news, a wake), which found what is there now.
          // That is newer. The storage answered after all: its error is over.
          else if (
            gaveUp === k.epoch &&
            k.lastRaw === null &&
            k.confirmed === undefined &&
            !k.inflight &&
            !k.destroyed
          ) {
            k.loaded = false
            k.error = null
            // A replacement, as another tab's news is: a read begun before it (a wake's) is older, and would
            // report the garbage this removes a second time.
            k.epoch++
            k.cleaned(load(k, r))
            const mark = k.epoch
            k.check()
            if (k.session && k.epoch === mark) emit(k, 'login', k.snapshot)
          } else return
          // Storage may have changed while it was read (a sign-out in another tab, whose news came before
          // there was a session here to end): read again once, unless this tab has changed it since (a
          // setTokens() before the read ended, or a corrupt entry removed).
          if (k.lastRaw === r) reread(k)
        },
        (cause) => {
          reading = undefined
          // Given up on, it was reported then.
          if (gaveUp === undefined) unavailable(cause)
        },
      )
      // A read that never ends (React Native's AsyncStorage does, after a reload on Android) must not
      // leave the app `loading` for good: after refreshTimeout the client starts signed out, reports it,
      // keeps the storage (writes may work) and takes what the read finds if it ends.
      ready = bounded(k, reading).then(() => {
        if (k.loaded || k.destroyed) return
        gaveUp = k.epoch
        k.loaded = true
        report(k, new AuthError('storage_unavailable', 'Storage read timed out'))
      })
    } else removal = load(k, raw)
  } catch (cause) {
    unavailable(cause)
  }
  const stopSubscription = k.follow()
  k.cleaned(removal)
  // Events held while the client was created (errors, expired) go out after a microtask, so listeners
  // attached right after creation get them.
  ready = ready.then(() => {
    if (k.destroyed) return
    for (const announce of k.held.splice(0)) announce()
    k.check()
  })
  // Timers and storage events may have slept: re-read, then retry a refresh that waits for the network.
  const stopWake = listenForWake((online, resumed) => {
    // Still reading storage at start-up: that read is followed by one of its own (see above). One made
    // now would be taken as news of another tab: a `login` for the session storage held all along, or
    // the garbage found there reported (and removed) a second time.
    if (!k.loaded) return
    reread(k)
    k.mend()
    k.wake(online, resumed)
  })
  k.check()
  k.constructing = false

  /** Valid for at least `minValidity` seconds (default: the leeway); a negative one counts as 0. */
  const fresh = (s: Session, minValidity: unknown) =>
    live(k, s, Math.max(0, numeric(minValidity, k.leeway(s) / 1000) * 1000))

  /** Stores tokens given here (setTokens, login); the ones held already change nothing. */
  function take(tokens: Parameters<AuthClient['setTokens']>[0]): boolean {
    if (k.destroyed) throw destroyedError()
    let next = createSession(tokens, k.now(), null, nextGeneration(k))
    const { session } = k
    const held = next.at === session?.at
    // The JWT held, set again: its expiry stays as first measured (measuring its skew again would
    // stretch it past exp), and its claims stay the object decoded once. Its lifetime is read anew: a
    // refresh may have marked it as sent back (0, refreshed at exp).
    if (held && next.claims?.exp !== undefined)
      next = { ...next, claims: session.claims, skew: session.skew, exp: session.exp }
    // The same tokens again (an app mirroring its own store): a refresh in flight goes on. (Given an
    // expiresIn, a token without exp claim is set anew.)
    if (held && next.rt === session.rt && next.exp === session.exp) return false
    // The same user's tokens (a JWT's sub; else the same token) are no new session for the 401 rules,
    // here or (keeping the sign-in's id) in the other tabs.
    const same = (next.claims?.sub ?? next.at) === (session?.claims?.sub ?? session?.at)
    replace(k, same ? { ...next, id: session?.id } : next, true, same)
    return true
  }

  async function tokenLater(minValidity: unknown): Promise<string | null> {
    await guard()
    const s = k.session
    if (!s) return null
    // Also the held token a refresh got back (its lifetime set to 0): the server wants no other before
    // its expiry, and asking again costs a call per caller.
    if (fresh(s, minValidity) || (s.life === 0 && live(k, s))) return s.at
    if (k.inflight || (canRefresh(k) && !k.waiting())) await k.start().catch(noop)
    if (k.destroyed) throw destroyedError()
    return k.session && live(k, k.session) ? k.session.at : null
  }

  // One wait shared by every call: one listener on `life`, however many calls are waiting.
  const started = abortable(ready, life.signal).catch(noop)
  const guard = () =>
    started.then(() => {
      if (k.destroyed) throw destroyedError()
    })

  const client: AuthClient<C, Credentials> & { [SESSIONS]: () => number } = {
    getState: () => k.snapshot as AuthState<C>,
    [SESSIONS]: () => k.cut,
    subscribe: (listener) => client.on('change', listener),
    // A listener that changes the state while a change is delivered makes that snapshot stale: the
    // newer one has reached every listener already, so the older one must not arrive after it.
    on: (type, handler) =>
      k.events.on(
        type,
        (type === 'change'
          ? (s: unknown) => s === k.snapshot && (handler as (s: unknown) => void)(s)
          : handler) as (payload: unknown) => void,
      ),
    setTokens(tokens) {
      take(tokens)
      k.check()
      return k.snapshot as AuthState<C>
    },
    async login(credentials) {
      // Taken at the call: a logout() made while the storage is still read outranks it.
      const ticket = ++k.logins
      await guard()
      let tokens: Awaited<ReturnType<NonNullable<typeof options.login>>>
      try {
        tokens = await abortable(
          Promise.resolve(options.login!(credentials, { signal: life.signal })),
          life.signal,
        )
      } catch (cause) {
        if (k.destroyed) throw destroyedError()
        const failed = new AuthError('login_failed', 'Login failed', { cause })
        // A superseded login's failure is not the state's error: a later one decides that.
        if (ticket === k.logins) {
          k.error = failed
          k.commit()
        }
        throw failed
      }
      // A later login() or logout() was made meanwhile: it wins.
      if (ticket !== k.logins) throw new AuthError('login_failed', 'Login superseded')
      // A successful login clears the last error, also one that returns the tokens held already.
      if (!take(tokens)) k.error = null
      const mark = k.epoch
      k.check()
      // Not when a listener replaced the session as it was committed (a logout, say): it came after.
      if (k.epoch === mark) emit(k, 'login', k.snapshot)
      return k.snapshot as AuthState<C>
    },
    logout() {
      if (k.destroyed) return Promise.resolve()
      k.logins++
      // It also ends what another tab stored that this one has not heard of yet (signed out already, or
      // busy as that tab signed in): the removal is what storage, a reload and the other tabs keep, so
      // that sign-in's news, when it comes, signs nobody in here; nor does older news.
      const stored = entry(k)
      end(k, [k.session?.id, stored?.id])
      k.generation = Math.max(k.generation, stored?.g ?? 0)
      // Told before the removal, so a tab that hears of the removal by message knows what it ended when
      // news of one of those sign-ins comes after it (from the tab that made it, slower).
      k.sync?.post([0, ...k.ended])
      let tokens = tokensOf(k.session)
      // Storage is still read at start-up (also after the client gave up waiting) and no session is held:
      // the one storage holds is ended unseen (removed, and the read ignored), so it is the one to revoke
      // once the read ends.
      const unread = !k.session && reading
      replace(k, null)
      k.signedOut = k.epoch
      if (!k.storage) drop(k, chosen)
      k.sync?.post(1)
      k.commit()
      // Not when a listener signed someone in as the sign-out was committed: that came after.
      if (k.epoch === k.signedOut) emit(k, 'logout', { reason: 'user' })
      // A failure is the state's last error while nobody is signed in; after a sign-in since (here or in
      // another tab) it is only an event: it says nothing about that session.
      const failed = (e: AuthError) => k.destroyed || (k.session ? emit(k, 'error', e) : report(k, e))
      const revoke = new AbortController()
      let late: AuthError | undefined
      // Waited for up to refreshTimeout (a hung revoke must not hang `await logout()`), and no longer
      // after destroy(); the revoke itself is aborted only when it timed out (reported once, as that).
      return bounded(
        k,
        (async () => {
          try {
            if (unread && options.logout) {
              await unread
              // Given up meanwhile, and reported as timed out: no call goes out behind that report.
              if (late) return
              try {
                if (found) tokens = tokensOf(decodeSession(found))
              } catch {}
            }
            await options.logout?.({ ...tokens, signal: revoke.signal })
          } catch (cause) {
            if (!late) failed(new AuthError('logout_failed', 'Logout failed', { cause }))
          }
          return true
        })(),
      ).then((settled) => {
        if (settled || k.destroyed) return
        late = new AuthError('logout_failed', 'Logout timed out')
        abortWith(revoke, late)
        failed(late)
      })
    },
    getAccessToken(options) {
      // The hot path (a loaded, valid token) answers without waiting on anything.
      const s = k.loaded && !k.destroyed ? k.session : undefined
      return s && fresh(s, options?.minValidity) ? Promise.resolve(s.at) : tokenLater(options?.minValidity)
    },
    peekAccessToken() {
      const s = k.loaded && !k.destroyed ? k.session : undefined
      return s && live(k, s, k.leeway(s)) ? s.at : null
    },
    async refresh() {
      // Join a refresh in flight before waiting on anything, or it may end meanwhile and a second start.
      // (start() joins it, timing it out first if its time ran out while timers slept.)
      // The try it joins or starts takes no failure from another tab (`forced`).
      if (k.inflight && !k.destroyed) return k.join()
      await guard()
      if (!k.refreshFn || !(k.session?.rt || options.refreshWithoutToken)) throw noRefresh()
      return k.start(1)
    },
    // Destroyed, it sends nothing to any origin: like the other async methods, it rejects.
    fetch: (input, init) => (k.destroyed ? Promise.reject(destroyedError()) : authFetch(input, init)),
    // Settles at destroy() too: a storage read that never ends must not hang whoever awaits it.
    ready: started.then(noop),
    destroy() {
      if (k.destroyed) return
      k.destroyed = true
      k.timer.cancel()
      k.recheck.cancel()
      // The refresh in flight, and the retry timer of one that failed.
      k.detach(destroyedError)
      abortWith(life, destroyedError())
      k.sync?.close()
      if (typeof stopSubscription === 'function') stopSubscription()
      stopWake()
      k.events.clear()
    },
  }
  const authFetch = createAuthFetch(client)
  return client
}
