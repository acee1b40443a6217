import { isAuthError, isRejection, RefreshError, retryAfterOf } from './errors'
import { MAX_TIMEOUT } from './scheduler'
import { abortable, abortWith } from './tokenRenewer'
import type { TokenSet } from './types'

type Thrown = {
  status?: unknown
  permanent?: unknown
  error?: unknown
  headers?: unknown
  response?: { status?: unknown; data?: { error?: unknown }; headers?: unknown }
}

/**
 * Turns whatever a `refresh` function threw into a `RefreshError`. Permanent: 400, 401, 403, OAuth
 * `invalid_grant` or `permanent: true`. Everything else (network errors, timeouts, 408, 429, 5xx) is
 * transient and retried, no sooner than the response's `Retry-After` where it has one.
 */
export function toRefreshError(error: unknown): RefreshError {
  let permanent = false
  let status: number | undefined
  let retryAfter: number | undefined
  try {
    // A RefreshError, also from another copy of latchkey, is taken as it is. Not a `no_refresh` one: the
    // client's word for "nothing to refresh", which ends a call, not the session's retries.
    if (isAuthError(error) && 'permanent' in error && error.code !== 'no_refresh')
      return error as RefreshError
    const e = error as Thrown
    // Number.isFinite is false for anything that is not a number.
    status = [e?.status, e?.response?.status].find(Number.isFinite) as number | undefined
    permanent =
      e?.permanent === true ||
      isRejection(status) ||
      e?.error === 'invalid_grant' ||
      e?.response?.data?.error === 'invalid_grant'
    // axios, ky and ofetch errors carry the response, and a fetch Response may be thrown as it is: a
    // 429's `Retry-After` is honoured.
    retryAfter = retryAfterOf(e?.response?.headers ?? e?.headers)
  } catch {
    // A hostile error object (a getter or a Proxy that throws): a plain transient failure.
  }
  return new RefreshError(permanent ? 'Refresh rejected' : 'Refresh failed', {
    permanent,
    status,
    retryAfter,
    cause: error,
  })
}

export const timedOut = () => new RefreshError('Refresh timed out', { code: 'refresh_timeout' })

/**
 * Calls `refresh` with a signal that aborts after `timeout` ms (and `later()` ms more, asked as it runs
 * out), and stops waiting then even when the function ignores the signal. Aborting `controller`
 * elsewhere (logout, destroy) also stops the wait.
 */
export function callWithTimeout(
  call: (signal: AbortSignal) => Promise<TokenSet>,
  timeout: number,
  controller: AbortController,
  later: () => number,
): Promise<TokenSet> {
  const { signal } = controller
  let timer: ReturnType<typeof setTimeout>
  const expire = () => {
    const wait = later()
    if (wait > 0) timer = setTimeout(expire, wait)
    else abortWith(controller, timedOut())
  }
  timer = setTimeout(expire, Math.min(timeout, MAX_TIMEOUT)) // a larger delay would make setTimeout fire at once
  // At once, not in a later microtask: destroy() leaves no timer behind.
  signal.addEventListener('abort', () => clearTimeout(timer))
  return abortable(
    // Not called when aborted meanwhile (a destroy() or logout() right after the refresh started).
    Promise.resolve().then(() => (signal.aborted ? (undefined as never) : call(signal))),
    signal,
  ).finally(() => clearTimeout(timer))
}
