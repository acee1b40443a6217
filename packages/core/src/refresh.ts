import { isAuthError, RefreshError } from './errors'
import type { TokenSet } from './types'

/**
 * Turns whatever a `refresh` function threw into a `RefreshError`. Permanent: 400, 401, 403, OAuth
 * `invalid_grant` or `permanent: true`. Everything else (network errors, timeouts, 408, 429, 5xx) is
 * transient and retried.
 */
export function toRefreshError(error: unknown): RefreshError {
  if (isAuthError(error) && 'permanent' in error) return error as RefreshError
  const e = error as {
    status?: unknown
    error?: unknown
    response?: { status?: unknown; data?: { error?: unknown } }
  }
  const status = [e?.status, e?.response?.status].find((s) => typeof s === 'number' && Number.isFinite(s)) as
    | number
    | undefined
  const permanent =
    status === 400 ||
    status === 401 ||
    status === 403 ||
    e?.error === 'invalid_grant' ||
    e?.response?.data?.error === 'invalid_grant'
  return new RefreshError(permanent ? 'Refresh rejected' : 'Refresh failed', {
    permanent,
    status,
    cause: error,
  })
}

/**
 * Calls `refresh` with a signal that aborts after `timeout` ms, and stops waiting then even when the
 * function ignores the signal. Aborting `controller` elsewhere (logout, destroy) also stops the wait.
 */
export function callWithTimeout(
  call: (signal: AbortSignal) => Promise<TokenSet>,
  timeout: number,
  controller: AbortController,
): Promise<TokenSet> {
  const { signal } = controller
  const timer = setTimeout(
    () => controller.abort(new RefreshError('Refresh timed out', { code: 'refresh_timeout' })),
    timeout,
  )
  return new Promise<TokenSet>((resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason))
    Promise.resolve()
      .then(() => call(signal))
      .then(resolve, reject)
  }).finally(() => clearTimeout(timer))
}
