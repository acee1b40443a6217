// @vitest-environment happy-dom
import { type AuthClient, createAuthClient } from '@latchkey/core'
import { createTestToken as makeToken } from '@latchkey/testing'
import { act, cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { AuthProvider, RequireAuth } from '../src/index'
import { deferred } from './helpers'

const clients: AuthClient[] = []
afterEach(() => {
  cleanup()
  for (const auth of clients.splice(0)) auth.destroy()
})

/** A client whose async storage has not answered yet, so it starts `loading`. */
function loadingClient() {
  const stored = deferred<string | null>()
  const auth = createAuthClient({ storage: { get: () => stored.promise, set() {}, remove() {} } })
  clients.push(auth)
  return { auth, answer: stored.resolve }
}

describe('RequireAuth', () => {
  it('renders children only while authenticated, the fallback otherwise', () => {
    const auth = createAuthClient()
    clients.push(auth)
    render(
      <AuthProvider client={auth}>
        <RequireAuth fallback={<p>sign in</p>}>
          <p>secret</p>
        </RequireAuth>
      </AuthProvider>,
    )
    expect(screen.getByText('sign in')).toBeTruthy()
    act(() => {
      auth.setTokens({ accessToken: makeToken() })
    })
    expect(screen.getByText('secret')).toBeTruthy()
    expect(screen.queryByText('sign in')).toBeNull()
    act(() => {
      void auth.logout()
    })
    expect(screen.getByText('sign in')).toBeTruthy()
    expect(screen.queryByText('secret')).toBeNull()
  })

  it('renders `loading` while the client reads its storage', async () => {
    const { auth, answer } = loadingClient()
    expect(auth.getState().status).toBe('loading')
    render(
      <AuthProvider client={auth}>
        <RequireAuth fallback={<p>sign in</p>} loading={<p>wait</p>}>
          <p>secret</p>
        </RequireAuth>
      </AuthProvider>,
    )
    expect(screen.getByText('wait')).toBeTruthy()
    await act(async () => {
      answer(null)
      await auth.ready
    })
    expect(screen.getByText('sign in')).toBeTruthy()
  })

  it('renders the fallback while loading when no `loading` is given', () => {
    const { auth } = loadingClient()
    render(
      <AuthProvider client={auth}>
        <RequireAuth fallback={<p>sign in</p>}>
          <p>secret</p>
        </RequireAuth>
      </AuthProvider>,
    )
    expect(screen.getByText('sign in')).toBeTruthy()
  })

  it('renders nothing by default when not authenticated', () => {
    const auth = createAuthClient()
    clients.push(auth)
    const { container } = render(
      <AuthProvider client={auth}>
        <RequireAuth>
          <p>secret</p>
        </RequireAuth>
      </AuthProvider>,
    )
    expect(container.innerHTML).toBe('')
  })
})
