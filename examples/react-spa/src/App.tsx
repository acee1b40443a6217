import { AuthProvider, RequireAuth } from '@latchkey/react'
import { useSyncExternalStore } from 'react'
import { ApiPanel } from './ApiPanel'
import { AuthPanel } from './AuthPanel'
import { AUTH_URL } from './authServer'
import { ClaimsCard } from './ClaimsCard'
import { EventLog } from './EventLog'
import { LoginForm } from './LoginForm'
import { StorageModeSwitch } from './StorageModeSwitch'
import { demoSession } from './session'

// An expired session that is still being refreshed keeps the panel; only one that ended shows the form.
function SessionCard() {
  return (
    <RequireAuth fallback={<LoginForm />}>
      <AuthPanel />
    </RequireAuth>
  )
}

export function App() {
  const session = useSyncExternalStore(demoSession.subscribe, demoSession.get)
  return (
    <AuthProvider client={session.client}>
      <header className="page-header">
        <h1>
          latchkey <span>React demo</span>
        </h1>
        <p className="intro">
          Sign in against the example auth server at <code>{AUTH_URL}</code>. Its access tokens live only a
          few seconds, so you can watch latchkey refresh them before they expire, attach them to API calls,
          and report every event on the right.
        </p>
      </header>
      <main className="layout">
        <div className="column">
          <SessionCard />
          <ApiPanel key={session.mode} session={session} />
          <ClaimsCard />
        </div>
        <div className="column">
          <StorageModeSwitch mode={session.mode} />
          <EventLog />
        </div>
      </main>
    </AuthProvider>
  )
}
