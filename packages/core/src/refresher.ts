import {
  bounded,
  canRefresh,
  destroyedError,
  type Engine,
  emit,
  isPromise,
  live,
  nextGeneration,
  noop,
  noRefresh,
  numeric,
  replace,
} from './engine'
import { by, persist, read, readNow, write } from './entryStore'
import { RefreshError } from './errors'
import { callWithTimeout, timedOut, toRefreshError } from './refresh'
import { backoff, createTimer, MAX_TIMEOUT } from './scheduler'
import { createSession, type Session, tokensOf } from './session'
import type { Failure } from './tabSync'
import { abortWith, failedNow } from './tokenRenewer'
import type { TokenSet } from './types'

/**
 * The client's part that renews the session: it checks the status at each instant that matters, starts
 * a refresh when one is due (one at a time, under the refresh lock shared by the tabs), and retries a
 * failed one with backoff, or once the network is back.
 */
export function refresher(k: Engine): void {
  // A field that is missing, null or NaN means its default, as for the other numeric options.
  const { retry } = k.options
  const attempts = numeric(retry?.attempts, 4)
  const baseDelay = numeric(retry?.baseDelay, 1_000)
  const maxDelay = numeric(retry?.maxDelay, 30_000)
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
  let controller: AbortController | null = null
  const retryTimer = createTimer(k.clock)
  // When the refresh in flight times out, by the clock: its timer may have slept (a suspended laptop).
  let deadline = 0
  // When the page last resumed from a freeze. The network ran on meanwhile: the answer to the refresh in
  // flight may have come, and is read in the page's first moments after. Timed out before that, it would
  // be lost, and the retry would spend the refresh token it rotated again (a sign-out, as the server
  // refuses a spent one). So a refresh is not timed out within a second of a resume.
  let resumed = Number.NEGATIVE_INFINITY
  const grace = () => resumed + 1_000 - k.now()

  /** Still waiting after a failure; a retry whose time passed while timers slept waits no more. */
  const waiting = (k.waiting = () => paused === 'online' || (paused === 'retry' && k.now() <= retryAt))
  /** Times out now a refresh whose time ran out while timers slept; the usual retry follows. */
  const overdue = () => controller && k.now() >= deadline && grace() <= 0 && abortWith(controller, timedOut())
  const resetFailures = () => {
    attempt = 0
    paused = null
    retryTimer.cancel()
  }
  k.detach = (reason) => {
    if (controller) abortWith(controller, reason())
    k.inflight = controller = null
    resetFailures()
  }
  k.heard = (failure) => {
    told = failure
    tells++
  }
  k.join = () => {
    forced = 1
    return start()
  }
  k.wake = (online, resume) => {
    if (resume) resumed = k.now()
    // Back online, every tab may try again, and the first failure is told anew.
    if (online) told = undefined
    if (online && k.inflight) back = true
    if (online && paused === 'online') start()
    else check()
  }

  /** Commits the status for this instant, starts a refresh when due, and arms the next check. */
  const check = (k.check = () => {
    k.timer.cancel()
    overdue()
    const s = k.session
    const t = k.now()
    if (!k.destroyed && s?.exp != null && t >= s.exp && !canRefresh(k)) {
      // Nothing can renew it: the session is over. Its last error stays (no login or refresh succeeded).
      const last = k.error
      const mark = k.epoch
      replace(k, null)
      // …unless removing the entry failed just now: that error is newer.
      k.error ??= last
      k.commit()
      // Not when a listener replaced what replace() left (a sign-in, or a logout): that came after.
      if (k.epoch === mark + 1) emit(k, 'expired', k.snapshot)
      return
    }
    k.commit()
    // A listener may have replaced the session during commit(): the new one was checked then.
    if (k.destroyed || s?.exp == null || s !== k.session) return
    const due = s.exp - k.leeway(s)
    if (t >= due && !k.inflight && !waiting() && canRefresh(k)) start()
    // Also while a refresh runs: should it outlast the token, the status turns `expired` at exp.
    if (t < s.exp) k.timer.at(t < due ? due : s.exp, check)
  })

  /** Runs under the refresh lock. Resolves the new session, or null for one already announced. */
  async function exchange(base: Session | null, at: number, heard: number): Promise<Session | null> {
    /** Still open, and still in the session this try began in. */
    const current = () => at === k.epoch && !k.destroyed
    /** Ends this try, spending nothing, unless current(). */
    const still = () => {
      if (!current()) throw noRefresh()
    }
    // A copy's first refresh: its copy of the session may be one the other copies renewed since.
    if (k.asked) await k.asked
    let raw = read(k)
    if (isPromise(raw)) raw = await bounded(k, raw)
    // Spend nothing when the client was destroyed while it waited for the lock (run() then rejects with
    // `destroyed`), or the session was replaced meanwhile (a logout, say): what was read is no longer news.
    still()
    // Another tab renewed the token while this one waited for the lock: adopt it, spend nothing.
    const stored = by(k, raw, () => k.peek(raw))
    // Shown now: the call that may follow (the renewal taken is due too) can take refreshTimeout.
    if (stored) k.commit()
    // A listener told of it, or of garbage there, may have replaced the session, or destroyed the client.
    still()
    let { session } = k
    // Or, for a try from no session (refreshWithoutToken), one another tab stored meanwhile (its own
    // restore, say): the cookie's refresh token is not spent again for it.
    if (session && (base ? session.at !== base.at : stored) && live(k, session, k.leeway(session)))
      return stored ?? null
    // The session ended (logout, another tab) while waiting: there is nothing to refresh.
    if (base && !session) throw noRefresh()
    // Another tab failed to renew this token while this try waited for the lock, or waits to try again:
    // an automatic try here takes that failure for its own and waits along, so an outage costs about one
    // call per round, not one per tab. `refresh()` (`forced`), also one that joined this try, still tries
    // at once. Transient as it was there, whatever its status (a 400 the app says is throttling), and with
    // its `Retry-After`, which holds this tab's 401s back too (see tokenRenewer). Of its code only a
    // timeout is kept: any other (from another version, or a crafted `no_refresh` that would end the
    // retries here) is `refresh_failed`.
    if (!forced && told && told[1] === session?.exp && (heard < tells || told[0] > k.now())) {
      adopted = Math.max(told[0], k.now())
      throw new RefreshError('Refresh failed in another tab', {
        permanent: false,
        code: told[2] === 'refresh_timeout' ? told[2] : undefined,
        status: told[3],
        retryAfter: told[4],
      })
    }
    const c = (controller = new AbortController())
    deadline = k.now() + k.refreshTimeout
    // The resume whose second the timeout's timer last waited out. It waits once for each, a second at
    // most: a clock set back just after the resume (an NTP step) would have it wait as long as the step,
    // and asked again and again, an injected clock that stands still would keep a hung refresh for good.
    let waited: number | undefined
    let tokens: TokenSet
    try {
      tokens = await callWithTimeout(
        (signal) => k.refreshFn!({ ...tokensOf(k.session), signal }),
        k.refreshTimeout,
        c,
        () => (waited === (waited = resumed) ? 0 : Math.min(grace(), 1_000)),
      )
    } catch (e) {
      // Failed, while another tab stored a sign-in (the server may have revoked this refresh token for
      // it) or a renewal, not heard of yet: that session outranks the failure, whose sign-out would
      // remove it. Taken instead (a sign-in, or a sign-out, ends this try with no_refresh, see below).
      const s = current() ? k.peek(readNow(k)) : undefined
      if (s && live(k, s)) return s
      throw e
    }
    still()
    // A sign-in or a sign-out another tab stored during the call, not heard of yet: made last, it outranks
    // this renewal of the session it replaced, which is dropped (peek adopts it and ends this try).
    k.peek(readNow(k))
    // Ended by it (an entry of the sign-in held here, which a logout elsewhere ended), or by a listener told
    // of garbage found there: dropped too.
    still()
    session = k.session
    let next: Session
    try {
      next = createSession(tokens, k.now(), session?.rt ?? null, nextGeneration(k), true, session?.id)
    } catch (cause) {
      throw new RefreshError('Refresh returned a malformed token', { permanent: true, cause })
    }
    if (next.at === session?.at && next.claims?.exp !== undefined) {
      // The JWT held already, sent back (a cache, say): its expiry stays as first measured (measuring its
      // skew again would stretch it), and as the server wants no other before then, it is asked at expiry.
      next = { ...next, skew: session.skew, exp: session.exp, life: 0 }
    }
    // Expired: exp ≤ iat, or (lifetime unknown, or the held token sent back) exp has passed.
    if (next.exp !== null && (next.life ? next.life <= 0 : next.exp <= k.now())) {
      throw new RefreshError('Refresh returned an expired token', { permanent: true })
    }
    // Store and broadcast while still holding the lock, so the next holder finds the new tokens.
    k.session = next
    const written = persist(k)
    const mine = k.lastRaw
    // Other tabs read it after the lock is released: a shared async storage must have it by then.
    if (written && k.shared) {
      await bounded(k, written, true)
      // Closed meanwhile, after this tab took something else (a sign-out there, told before this landed):
      // write() writes that back only while the tab is open, and nobody else may be left to (their
      // tabs closed too), so a reload would take this renewal of a sign-in that ended. Written back here,
      // in the lock still, over this renewal only (a read after destroy() is not cut short).
      if (k.destroyed && mine !== k.lastRaw && (await bounded(k, read(k), true)) === mine)
        await bounded(k, write(k, k.lastRaw), true)
    }
    return next
  }

  async function run(base: Session | null, n: number, at: number, manual = 0): Promise<string> {
    // An error reported during the refresh (its result did not fit the storage) outlives its success.
    const last = k.error
    let result: Session | null = null
    // Not `instanceof`: a RefreshError from another copy of latchkey is a failure too.
    let failure: RefreshError | undefined
    // How many failures were told as this try started: one told later came while it waited for the lock.
    const heard = tells
    forced = manual
    adopted = 0
    try {
      const { sync } = k
      result = await (sync ? sync.lock(() => exchange(base, at, heard)) : exchange(base, at, heard))
    } catch (e) {
      // Replaced meanwhile (a sign-in's lock left when its copies' tab signed in anew, say): the failure
      // belongs to a session that is gone, so this call has nothing to refresh.
      failure = at === k.epoch ? toRefreshError(e) : noRefresh()
    }
    if (k.destroyed) throw destroyedError()
    /** The session was replaced since this run started (`replace()` detached it). */
    const detached = () => {
      // Only renewals came meanwhile (from another tab, adopted, nothing spent here): this refresh's result.
      // So does any session, for a try from none (refreshWithoutToken): what it was to restore is there.
      if ((k.cut <= at || !base) && k.session && live(k, k.session)) return k.session.at
      // A new session, or none: nothing here is ours.
      throw failure ?? noRefresh()
    }
    if (at !== k.epoch) return detached()
    k.inflight = controller = null
    if (!failure) {
      if (k.error === last) k.error = null
      resetFailures()
      check()
      // A listener may have replaced the session as it was committed (a logout, say): then its own
      // events said what happened, and this refresh's come too late.
      if (at !== k.epoch) return detached()
      if (result) emit(k, base ? 'refresh' : 'login', k.snapshot)
      return k.session!.at
    }
    if (failure.code === 'no_refresh') {
      k.commit()
      throw failure
    }
    // A failure taken from a tab that waits for `online` waits for it here too.
    const willRetry = !failure.permanent && (n < attempts || back) && adopted < Infinity
    const had = k.session
    // A session another tab stored, taken in the lock (see exchange()) and announced by nothing else: this
    // try, which was to announce it, failed. Not when it ends the session (the logout tells that).
    const taken = had?.at !== base?.at && !failure.permanent
    if (failure.permanent) replace(k, null)
    else {
      if (willRetry) {
        paused = 'retry'
        // The server's `Retry-After` comes first (or the time of the tab whose failure this is); the
        // jitter still spreads the clients told the same. At most what a timer holds: Infinity (or NaN,
        // from another copy's error) would never retry.
        retryAt =
          (adopted ||
            k.now() + Math.min(failure.retryAfter! > 0 ? failure.retryAfter! * 1000 : 0, MAX_TIMEOUT)) +
          backoff(n, baseDelay, maxDelay)
        retryTimer.at(retryAt, start)
      } else paused = 'online'
      // Told inside the Web Lock's hold (right after a lease's, before the next tab's 60 ms claim ends),
      // so the tabs queued behind it take it instead of calling again.
      if (!adopted)
        k.sync?.post([
          willRetry ? retryAt : Infinity,
          k.session?.exp,
          failure.code,
          failure.status,
          failure.retryAfter,
        ])
    }
    k.error = failure
    failedNow(failure)
    const mark = k.epoch
    check()
    if (taken && k.epoch === mark) emit(k, base ? 'refresh' : 'login', k.snapshot)
    // A listener that replaced the session as it was committed (a new sign-in) ended the retry, and the
    // logout came before that sign-in: it is not announced after it.
    emit(k, 'refreshError', { error: failure, attempt: n, willRetry: willRetry && k.epoch === mark })
    if (failure.permanent && had && k.epoch === mark) emit(k, 'logout', { reason: 'refresh_rejected' })
    throw failure
  }

  const start = (k.start = (manual?: number) => {
    overdue()
    if (!k.inflight) {
      retryTimer.cancel()
      paused = null
      back = false
      const running = (k.inflight = run(k.session, ++attempt, k.epoch, manual))
      // Handled here, so a caller that does not wait for it (a timer, a wake) needs no catch of its own.
      running.catch(noop)
      k.commit()
      // A listener may have replaced the session during commit(), detaching this run: it still settles.
      return running
    }
    return k.inflight
  })
}
