import { isAuthError } from '@latchkey/core'
import { useAuth } from '@latchkey/react'
import { type FormEvent, useState } from 'react'
import { AUTH_URL, answers, type Credentials, type DemoClaims, HttpError } from './authServer'

const DEMO_USERS = [
  { username: 'alice', password: 'wonderland', note: 'admin' },
  { username: 'bob', password: 'builder', note: 'user' },
]

// The names of this machine under which the same app is served, though the auth server's CORS allows one.
const LOOPBACK = new Set(['localhost', '[::1]'])

/** Where the sign-in works when this page's origin is refused: the same page on 127.0.0.1, if it is local. */
function allowedHere(): string {
  if (!LOOPBACK.has(location.hostname)) return ''
  const url = new URL(location.href)
  url.hostname = '127.0.0.1'
  return `, such as ${url.origin}`
}

async function describe(error: unknown): Promise<string> {
  const cause = isAuthError(error) ? error.cause : error
  if (cause instanceof HttpError) return cause.status === 401 ? 'Wrong username or password.' : cause.message
  if (cause instanceof TypeError) {
    if (!(await answers())) return `Cannot reach the auth server at ${AUTH_URL}. Is it running?`
    return `The auth server at ${AUTH_URL} is running but refuses requests from this page's origin, ${location.origin} (CORS allows one app origin). Open the app at the origin the server allows (its --cors-origin)${allowedHere()}.`
  }
  return error instanceof Error ? error.message : String(error)
}

export function LoginForm() {
  const { login, status, error: stateError } = useAuth<DemoClaims, Credentials>()
  const [username, setUsername] = useState('alice')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await login({ username, password })
    } catch (e) {
      setError(await describe(e))
    } finally {
      setBusy(false)
    }
  }

  const fill = (user: (typeof DEMO_USERS)[number]) => {
    setUsername(user.username)
    setPassword(user.password)
    setError(null)
  }

  return (
    <section className="card" aria-labelledby="login-title">
      <div className="card-title">
        <h2 id="login-title">Sign in</h2>
        <span className="badge" data-status={status} data-testid="status">
          {status}
        </span>
      </div>
      {status === 'unauthenticated' && stateError?.code === 'refresh_rejected' && (
        <p className="notice">The server rejected the refresh token, so the session ended.</p>
      )}
      <form className="login-form" onSubmit={submit} data-testid="login-form">
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            data-testid="login-username"
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="login-password"
            required
          />
        </label>
        {error && (
          <p className="error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy} data-testid="login-submit">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="hint">
        Demo accounts (click to fill):{' '}
        {DEMO_USERS.map((user, i) => (
          <span key={user.username}>
            {i > 0 && ' · '}
            <button
              type="button"
              className="link"
              onClick={() => fill(user)}
              data-testid={`fill-${user.username}`}
            >
              <code>
                {user.username} / {user.password}
              </code>
            </button>{' '}
            ({user.note})
          </span>
        ))}
      </p>
    </section>
  )
}
