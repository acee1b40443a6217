import { useAuth } from '@latchkey/react'
import { useEffect, useState } from 'react'
import type { Credentials, DemoClaims } from './authServer'
import { clockTime, fingerprint, secondsUntil } from './format'
import { REFRESH_LEEWAY } from './session'
import { useNow } from './useNow'

/** When latchkey's scheduler fires: `expiresAt − leeway`, the leeway capped at half the lifetime. */
function refreshAt(claims: DemoClaims | null, expiresAt: number | null): number | null {
  if (expiresAt === null) return null
  const lifetime = claims?.exp !== undefined && claims.iat !== undefined ? claims.exp - claims.iat : null
  const leeway = lifetime === null ? REFRESH_LEEWAY : Math.min(REFRESH_LEEWAY, lifetime / 2)
  return expiresAt - leeway * 1000
}

/** What the countdown says after a refresh failed for now: the client retries, then waits for `online`. */
function afterFailure(code: string, willRetry: boolean): string {
  return willRetry
    ? `failed (${code}), retrying with backoff`
    : `failed (${code}); tries again when the browser is back online, or press Refresh now`
}

export function AuthPanel() {
  const { status, claims, accessToken, expiresAt, isRefreshing, canRefresh, error, client, refresh, logout } =
    useAuth<DemoClaims, Credentials>()
  const now = useNow(1000)
  const [refreshProblem, setRefreshProblem] = useState<string | null>(null)
  // Whether the client retries after the last failed try; the state has the error, the event this.
  const [willRetry, setWillRetry] = useState(true)
  useEffect(() => client.on('refreshError', (e) => setWillRetry(e.willRetry)), [client])
  // A transient failure is kept in `error` until a refresh succeeds; the schedule shown is then past.
  const failed = error?.code === 'refresh_failed' || error?.code === 'refresh_timeout' ? error.code : null

  const nextRefresh = canRefresh ? refreshAt(claims, expiresAt) : null
  const lifetimeMs =
    claims?.exp !== undefined && claims.iat !== undefined ? (claims.exp - claims.iat) * 1000 : null
  const left = expiresAt === null ? null : Math.max(0, expiresAt - now)
  const share = left !== null && lifetimeMs ? Math.min(1, left / lifetimeMs) : 1

  async function refreshNow() {
    setRefreshProblem(null)
    try {
      await refresh()
    } catch (e) {
      setRefreshProblem(e instanceof Error ? e.message : String(e))
    }
  }

  return (
    <section className="card" aria-labelledby="session-title">
      <div className="card-title">
        <h2 id="session-title">Session</h2>
        <span className="badge" data-status={status} data-testid="status">
          {status}
        </span>
      </div>

      <dl className="facts">
        <dt>Signed in as</dt>
        <dd data-testid="user">
          {claims?.name ?? claims?.sub} <span className="muted">({claims?.email})</span>
        </dd>
        <dt>Access token</dt>
        <dd>
          <code data-testid="token-fingerprint">{fingerprint(accessToken)}</code>{' '}
          <span className="muted">(last 6 characters; the token itself is never shown)</span>
        </dd>
        <dt>Refresh in</dt>
        <dd data-testid="refresh-countdown">
          {isRefreshing
            ? 'refreshing…'
            : failed && canRefresh
              ? afterFailure(failed, willRetry)
              : nextRefresh === null
                ? 'no refresh scheduled'
                : `${secondsUntil(nextRefresh, now)} s (at ${clockTime(nextRefresh)})`}
        </dd>
        <dt>Expires in</dt>
        <dd data-testid="expiry-countdown">
          {expiresAt === null ? 'never' : `${secondsUntil(expiresAt, now)} s (at ${clockTime(expiresAt)})`}
        </dd>
      </dl>
      <div className="lifetime" role="presentation">
        <div className="lifetime-left" style={{ width: `${share * 100}%` }} />
      </div>

      <div className="actions">
        <button type="button" onClick={refreshNow} disabled={isRefreshing} data-testid="refresh-button">
          Refresh now
        </button>
        <button type="button" className="danger" onClick={() => logout()} data-testid="logout-button">
          Log out
        </button>
      </div>
      {refreshProblem && <p className="error">{refreshProblem}</p>}
    </section>
  )
}
