import { createAuthClient } from '@latchkey/core'
import { createTestToken as makeToken } from '@latchkey/testing'
import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { AuthProvider, RequireAuth, useAuth, useAuthSelector } from '../src/index'

function Page() {
  const { status } = useAuth()
  const sub = useAuthSelector((s) => s.claims?.sub)
  return (
    <main>
      <p>{`${status}:${sub ?? '-'}`}</p>
      <RequireAuth fallback={<p>sign in</p>} loading={<p>wait</p>}>
        <p>secret</p>
      </RequireAuth>
    </main>
  )
}

describe('server rendering', () => {
  it('runs without browser globals', () => {
    expect(typeof window).toBe('undefined')
    expect(typeof document).toBe('undefined')
    expect(typeof localStorage).toBe('undefined')
  })

  it('renders the loading snapshot by default, whatever the server client holds', () => {
    const auth = createAuthClient()
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    const html = renderToString(
      <AuthProvider client={auth}>
        <Page />
      </AuthProvider>,
    )
    expect(html).toContain('loading:-')
    expect(html).toContain('wait')
    expect(html).not.toContain('secret')
    auth.destroy()
  })

  it('renders a localStorage client on the server, where there is no localStorage', () => {
    const auth = createAuthClient({ storage: 'localStorage' })
    const html = renderToString(
      <AuthProvider client={auth}>
        <Page />
      </AuthProvider>,
    )
    expect(html).toContain('loading:-')
    auth.destroy()
  })

  it('renders the session when given a serverState', () => {
    const auth = createAuthClient()
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    const html = renderToString(
      <AuthProvider client={auth} serverState={auth.getState()}>
        <Page />
      </AuthProvider>,
    )
    expect(html).toContain('authenticated:ada')
    expect(html).toContain('secret')
    auth.destroy()
  })
})
