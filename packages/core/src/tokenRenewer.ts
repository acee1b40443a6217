import type { AuthClient } from './types'

/** The token a request was sent with, as {@link TokenRenewer.acquire} handed it out. */
export interface SentToken {
  readonly token: string
  /** Refresh failures seen before the request left: tells a late 401 from a new one. */
  readonly mark: number
  /** The token's `sub` claim: a 401 is never replayed with another user's token. */
  readonly sub?: unknown
  /** The session the request left in (see SESSIONS): opaque tokens have no `sub` to compare. */
  readonly session?: number
}

/** For adapters: hands out tokens for requests and decides what a 401 is replayed with. */
export interface TokenRenewer {
  /**
   * The token to send now (refreshed first when about to expire), or `null` when there is none. It
   * rejects when `signal` aborts first; a signal-like without `addEventListener` is not listened to.
   */
  acquire(signal?: AbortSignal | null): Promise<SentToken | null>
  /** Records `token` (from `getAccessToken()`) as sent now: what `acquire` does after its wait. */
  sent(token: string): SentToken
  /**
   * After a 401 to a request sent with `sent`: the token to replay with, or `null` to return the 401.
   * `signal` as for `acquire`.
   */
  renew(sent: SentToken, signal?: AbortSignal | null): Promise<string | null>
}

/**
 * On a client: a number that changes whenever a session begins or ends (a sign-in with `login()` or
 * `setTokens()`, a sign-out or an expiry, here or in another tab) and that refreshes keep, as does a
 * sign-in here that keeps the user (the same `sub`, or the token held).
 */
export const SESSIONS = Symbol.for('latchkey.sessions')

const reasons = new WeakMap<AbortSignal, unknown>()
/** Aborts with `reason`, also remembered for AbortControllers that drop it (React Native's polyfill). */
export const abortWith = (controller: AbortController, reason: unknown) => {
  if (!controller.signal.aborted) reasons.set(controller.signal, reason)
  controller.abort(reason)
}

/**
 * Waits for `promise`, or rejects with the signal's reason when it aborts first. A signal-like without
 * `addEventListener` (axios takes those) is not listened to: it can cancel only the request itself; one
 * without `removeEventListener` keeps the listener.
 */
export const abortable = <T>(promise: Promise<T>, signal?: AbortSignal | null): Promise<T> =>
  signal?.addEventListener
    ? new Promise<T>((resolve, reject) => {
        const abort = () =>
          reject(
            signal.reason ??
              reasons.get(signal) ??
              Object.assign(new Error('Aborted'), { name: 'AbortError' }),
          )
        if (signal.aborted) abort()
        signal.addEventListener('abort', abort)
        promise.then(resolve, reject).finally(() => signal.removeEventListener?.('abort', abort))
      })
    : promise

/** When a refresh failure happened (see `failedNow`), else when a 401 first saw it (see `renew`). */
const seen = new WeakMap<object, number>()
/**
 * Notes when a refresh failed: its `Retry-After` runs from then, not from the first 401 that sees the
 * failure (which may come long after the time it named).
 */
export const failedNow = (error: object) => {
  seen.set(error, Date.now())
}

/** Refreshes that failed, per client: how many, and for which token (see `renew`). */
const outcomes = new WeakMap<object, { failures: number; failedFor?: string }>()

/**
 * For adapters (`@latchkey/axios`): the 401 rules `createAuthFetch` uses. A 401 to a request sent with
 * an older token than the client now holds is replayed with the current one, at no refresh (unless the
 * current token belongs to another `sub`: then the 401 stands). Otherwise the 401s share one refresh
 * (the client's single flight). A 401 to a request that left before a refresh for its token failed
 * starts no new one, so a burst of late 401s costs one refresh either way. While the last refresh
 * failure's `Retry-After` runs, a 401 starts none either.
 */
export function createTokenRenewer(client: AuthClient<any, any>): TokenRenewer {
  // Per client, not per renewer: auth.fetch, createAuthFetch and attachAuth on one client share it.
  const shared = outcomes.get(client) ?? { failures: 0 }
  outcomes.set(client, shared)
  // Read from the client, not counted here through its events: a renewer (one per createAuthFetch or
  // attachAuth, which apps may create often) must not leave listeners behind.
  const sessions = () => (client as { [SESSIONS]?: () => number })[SESSIONS]?.() ?? 0
  /** Still the session (and the user) the request was sent in. */
  const same = (sent: SentToken, claims: { sub?: unknown } | null) =>
    sent.session === sessions() && (sent.sub === undefined || claims?.sub === sent.sub)
  const renewer: TokenRenewer = {
    sent(token) {
      const { accessToken, claims } = client.getState()
      return {
        token,
        mark: shared.failures,
        session: sessions(),
        sub: accessToken === token ? claims?.sub : undefined,
      }
    },
    acquire(signal) {
      return abortable(client.getAccessToken(), signal).then((token) => (token ? renewer.sent(token) : null))
    },
    async renew(sent, signal) {
      const failed = () => {
        shared.failures++
        shared.failedFor = sent.token
        return null
      }
      const { accessToken, claims, error } = client.getState()
      // Logged out or rejected; or someone else signed in meanwhile: their token must not carry this.
      if (!accessToken || !same(sent, claims)) return null
      if (accessToken === sent.token && shared.failedFor === sent.token && shared.failures !== sent.mark)
        return null
      // The last refresh was refused with a `Retry-After` (a 429): until then a 401 is returned, not
      // answered with a refresh the server said it refuses (each would also spend one of the client's
      // tries). The client's own retry comes after that time, and a success (or another failure) ends it.
      const wait = (error as { retryAfter?: number } | null)?.retryAfter
      if (accessToken === sent.token && wait! > 0) {
        if (!seen.has(error!)) seen.set(error!, Date.now())
        if (Date.now() < seen.get(error!)! + wait! * 1000) return null
      }
      const next = await abortable(
        accessToken === sent.token
          ? client.refresh().then(
              // The held token sent back renews nothing: late 401s for it start no new refresh either.
              (t) => (t === sent.token ? failed() : t),
              failed,
            )
          : client.getAccessToken(),
        signal,
      )
      // The wait may have ended in another session (a logout and a login meanwhile).
      const now = client.getState()
      return next === sent.token || now.accessToken !== next || !same(sent, now.claims) ? null : next
    },
  }
  return renewer
}

/**
 * For adapters: a request body as it is now, for a send later than the call (after a refresh, or the
 * 401 replay). fetch reads a body when it is called, and the app may reuse its URLSearchParams,
 * FormData or buffer for the next request. Strings, Blobs, streams and plain objects are returned as
 * they are (immutable, one-shot, or for axios, which copies plain objects at the call, though arrays
 * only one level deep); so is anything that cannot be copied here. A
 * typed array or DataView is copied as the bytes it shows, or with `whole` (what axios sends for one,
 * except for a Node Buffer) as its whole buffer.
 */
export const copyBody = <T>(body: T, whole?: boolean): T => {
  const b = body as any
  // Most requests: no body, or a string.
  if (typeof b !== 'object' || !b) return body
  try {
    // Entry by entry: React Native's URLSearchParams copies another only by its own keys.
    const refill = <F extends URLSearchParams | FormData>(into: F) => {
      for (const [k, v] of b) into.append(k, v)
      return into as unknown as T
    }
    if (b instanceof URLSearchParams) return refill(new URLSearchParams())
    if (b instanceof FormData) return refill(new FormData())
    if (b instanceof ArrayBuffer) return b.slice(0) as T
    // A Node Buffer may be a slice of Node's shared pool: only its own bytes, in a buffer of their own.
    if (ArrayBuffer.isView(b))
      return (
        whole && !(b.constructor as { isBuffer?: unknown }).isBuffer
          ? b.buffer.slice(0)
          : new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice()
      ) as T
  } catch {
    // A runtime without these classes, or a body that cannot be cloned.
  }
  return body
}

/**
 * A body that sending consumes (a web or Node stream, an async iterable), so it cannot be replayed.
 * For adapters (`@latchkey/axios`), as the replay rules are the same.
 */
export const isOneShot = (body: any): boolean =>
  typeof body?.getReader === 'function' || typeof body?.pipe === 'function' || !!body?.[Symbol.asyncIterator]
