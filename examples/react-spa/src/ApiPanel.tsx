import { useAuthSelector } from '@latchkey/react'
import { useState } from 'react'
import { AUTH_URL, type DemoClaims } from './authServer'
import { clockTime } from './format'
import type { DemoSession, SentRequest } from './session'

interface ApiResult {
  path: string
  status: number | null
  body: string
  sent: SentRequest[]
  at: number
  /** Who was signed in when the call was made (`sub`), or null. */
  user: string | null
}

const CALLS = [
  { path: '/api/data', label: 'Call API', testId: 'call-api', primary: true },
  { path: '/api/admin', label: 'Call admin API', testId: 'call-admin-api', primary: false },
] as const

function describeSent(sent: SentRequest[]): string {
  if (sent.length === 0) return 'nothing was sent'
  const parts = sent.map((s) => (s.bearer ? `Bearer ${s.bearer}` : 'no token'))
  return sent.length > 1 ? `${parts.join(', then replayed with ')} (after a 401)` : `sent with ${parts[0]}`
}

export function ApiPanel({ session }: { session: DemoSession }) {
  const [latest, setResult] = useState<ApiResult | null>(null)
  const [busy, setBusy] = useState(false)
  const user = useAuthSelector((s) => (s.claims as DemoClaims | null)?.sub ?? null)
  // An answer is shown to the user it was made for only: after a sign-out or another sign-in, one
  // user's 200 from the admin API would read as the next user's.
  const result = latest?.user === user ? latest : null

  async function call(path: string) {
    setBusy(true)
    session.takeSent()
    let status: number | null = null
    let body: string
    try {
      const res = await session.api(`${AUTH_URL}${path}`)
      status = res.status
      const text = await res.text()
      try {
        body = JSON.stringify(JSON.parse(text), null, 2)
      } catch {
        body = text
      }
    } catch (e) {
      body = `Request failed: ${e instanceof Error ? e.message : String(e)}`
    }
    setResult({ path, status, body, sent: session.takeSent(), at: Date.now(), user })
    setBusy(false)
  }

  const ok = result?.status === 200
  return (
    <section className="card" aria-labelledby="api-title">
      <div className="card-title">
        <h2 id="api-title">Protected API</h2>
      </div>
      <p className="hint">
        These calls go through <code>createAuthFetch</code>, which adds <code>Authorization: Bearer …</code>{' '}
        for <code>{AUTH_URL}</code> only. The server answers 200 only to a valid token; the admin route also
        needs the <code>admin</code> role.
      </p>
      <div className="actions">
        {CALLS.map((c) => (
          <button
            key={c.path}
            type="button"
            className={c.primary ? 'primary' : undefined}
            disabled={busy}
            onClick={() => call(c.path)}
            data-testid={c.testId}
          >
            {c.label}
          </button>
        ))}
      </div>
      {result && (
        <div
          className={`api-result ${ok ? 'ok' : 'failed'}`}
          data-testid="api-result"
          data-status={result.status ?? 'error'}
          data-ok={ok}
          data-bearer={result.sent.at(-1)?.bearer ? 'yes' : 'no'}
        >
          <p className="api-status">
            <strong>
              GET {result.path} → {result.status ?? 'network error'} {ok ? '✓ OK' : '✗ failed'}
            </strong>
            <span className="muted">
              {describeSent(result.sent)} · {clockTime(result.at)}
            </span>
          </p>
          <pre>{result.body}</pre>
        </div>
      )}
    </section>
  )
}
