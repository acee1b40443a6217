// @vitest-environment happy-dom
import { type AuthClient, type AuthState, createAuthClient } from '@latchkey/core'
import { createTestToken as makeToken } from '@latchkey/testing'
import { act } from '@testing-library/react'
import { type ReactNode, useEffect } from 'react'
import { hydrateRoot, type Root } from 'react-dom/client'
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AuthProvider, RequireAuth, useAuth, useAuthSelector } from '../src/index'
import { deferred } from './helpers'

function Page() {
  const { status } = useAuth()
  const sub = useAuthSelector((s) => s.claims?.sub)
  return <p>{`${status}:${sub ?? '-'}`}</p>
}

/** Stands for a router's <Navigate to="/login" />, which navigates in an effect. */
function Redirect({ onRedirect }: { onRedirect: () => void }) {
  useEffect(onRedirect, [onRedirect])
  return null
}

const app = (auth: AuthClient, serverState?: AuthState) => (
  <AuthProvider client={auth} serverState={serverState}>
    <Page />
  </AuthProvider>
)

let root: Root | undefined
const clients: AuthClient[] = []
afterEach(() => {
  act(() => root?.unmount())
  root = undefined
  for (const auth of clients.splice(0)) auth.destroy()
  localStorage.clear()
  document.body.innerHTML = ''
})

/** Hydrates `html` in a fresh container; returns the container and the errors React reported. */
async function hydrate(html: string, element: ReactNode) {
  const container = document.createElement('div')
  container.innerHTML = html
  document.body.append(container)
  const recoverable = vi.fn()
  const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {})
  await act(async () => {
    root = hydrateRoot(container, element, { onRecoverableError: recoverable })
  })
  const errors = [...recoverable.mock.calls, ...consoleError.mock.calls]
  consoleError.mockRestore()
  return { container, errors }
}

describe('hydration', () => {
  it('matches the server HTML when the browser client starts authenticated from localStorage', async () => {
    const server = createAuthClient()
    clients.push(server)
    const html = renderToString(app(server))

    // A previous visit left a session in localStorage; this page load's client starts from it.
    const previous = createAuthClient({ storage: 'localStorage' })
    previous.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    previous.destroy()
    const auth = createAuthClient({ storage: 'localStorage' })
    clients.push(auth)
    expect(auth.getState().status).toBe('authenticated')

    const { container, errors } = await hydrate(html, app(auth))
    expect(errors).toEqual([])
    expect(container.textContent).toBe('authenticated:ada')
  })

  it('matches the server HTML when both clients start loading', async () => {
    const pending = () => ({ get: () => new Promise<string | null>(() => {}), set() {}, remove() {} })
    const server = createAuthClient({ storage: pending() })
    clients.push(server)
    const html = renderToString(app(server))
    expect(html).toContain('loading:-')

    const stored = deferred<string | null>()
    const auth = createAuthClient({ storage: { get: () => stored.promise, set() {}, remove() {} } })
    clients.push(auth)
    const { container, errors } = await hydrate(html, app(auth))
    expect(errors).toEqual([])
    expect(container.textContent).toBe('loading:-')
    await act(async () => {
      stored.resolve(null)
      await auth.ready
    })
    expect(container.textContent).toBe('unauthenticated:-')
  })

  it('matches when the same serverState is given on both sides', async () => {
    const token = makeToken({ sub: 'ada' })
    const server = createAuthClient()
    clients.push(server)
    server.setTokens({ accessToken: token })
    const html = renderToString(app(server, server.getState()))
    expect(html).toContain('authenticated:ada')

    const auth = createAuthClient()
    clients.push(auth)
    auth.setTokens({ accessToken: token })
    const { container, errors } = await hydrate(html, app(auth, auth.getState()))
    expect(errors).toEqual([])
    expect(container.textContent).toBe('authenticated:ada')
  })

  it('reports a mismatch when the hydration snapshot differs from the server HTML (the check works)', async () => {
    const server = createAuthClient()
    clients.push(server)
    const html = renderToString(app(server))
    const auth = createAuthClient()
    clients.push(auth)
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    const { errors } = await hydrate(html, app(auth, auth.getState()))
    expect(errors.length).toBeGreaterThan(0)
  })

  it('hydrates a <RequireAuth> whose fallback redirects without running the redirect for a stored session', async () => {
    // A router's protected route: <Navigate to="/login" /> navigates in an effect, which hydration runs.
    const redirects = vi.fn()
    const guarded = (auth: AuthClient) => (
      <AuthProvider client={auth}>
        <RequireAuth fallback={<Redirect onRedirect={redirects} />}>
          <p>secret</p>
        </RequireAuth>
      </AuthProvider>
    )
    const server = createAuthClient()
    clients.push(server)
    const html = renderToString(guarded(server))
    const auth = createAuthClient()
    clients.push(auth)
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    const { container, errors } = await hydrate(html, guarded(auth))
    expect(errors).toEqual([])
    expect(container.textContent).toBe('secret')
    expect(redirects).not.toHaveBeenCalled()
  })
})
