// @vitest-environment happy-dom
import { type AuthClient, createAuthClient } from '@latchkey/core'
import { createTestToken as makeToken } from '@latchkey/testing'
import { act, cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { AuthProvider, RequireAuth, useAuth, useAuthClient, useAuthSelector } from '../src/index'

const clients: AuthClient[] = []
function client(): AuthClient {
  const auth = createAuthClient()
  clients.push(auth)
  return auth
}
afterEach(() => {
  cleanup()
  for (const auth of clients.splice(0)) auth.destroy()
})

const renders: Record<string, number> = {}
function Who({ id }: { id: string }) {
  renders[id] = (renders[id] ?? 0) + 1
  const { status, claims, client: c } = useAuth()
  const sub = useAuthSelector((s) => s.claims?.sub)
  const same = useAuthClient() === c
  return <p data-testid={id}>{`${status}:${claims?.sub ?? '-'}:${sub ?? '-'}:${same}`}</p>
}

describe('AuthProvider', () => {
  it('gives every hook the nearest provider of two nested ones, each following its own client', () => {
    const outer = client()
    const inner = client()
    render(
      <AuthProvider client={outer}>
        <Who id="outer" />
        <AuthProvider client={inner}>
          <Who id="inner" />
          <RequireAuth fallback={<p>inner signed out</p>}>
            <p>inner signed in</p>
          </RequireAuth>
        </AuthProvider>
      </AuthProvider>,
    )
    expect(screen.getByTestId('outer').textContent).toBe('unauthenticated:-:-:true')
    const before = renders.inner
    act(() => {
      outer.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    })
    expect(screen.getByTestId('outer').textContent).toBe('authenticated:ada:ada:true')
    expect(screen.getByTestId('inner').textContent).toBe('unauthenticated:-:-:true')
    expect(screen.getByText('inner signed out')).toBeTruthy()
    // The outer client's change does not re-render consumers of the inner one.
    expect(renders.inner).toBe(before)
    act(() => {
      inner.setTokens({ accessToken: makeToken({ sub: 'bob' }) })
    })
    expect(screen.getByTestId('inner').textContent).toBe('authenticated:bob:bob:true')
    expect(screen.getByText('inner signed in')).toBeTruthy()
    expect(screen.getByTestId('outer').textContent).toBe('authenticated:ada:ada:true')
  })

  it('follows the new client when the provider is given another one', () => {
    const a = client()
    const b = client()
    a.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    b.setTokens({ accessToken: makeToken({ sub: 'bob' }) })
    const view = (c: AuthClient) => (
      <AuthProvider client={c}>
        <Who id="swap" />
      </AuthProvider>
    )
    const { rerender } = render(view(a))
    expect(screen.getByTestId('swap').textContent).toBe('authenticated:ada:ada:true')
    rerender(view(b))
    expect(screen.getByTestId('swap').textContent).toBe('authenticated:bob:bob:true')
    act(() => {
      a.setTokens({ accessToken: makeToken({ sub: 'carol' }) })
    })
    expect(screen.getByTestId('swap').textContent).toBe('authenticated:bob:bob:true')
    act(() => {
      void b.logout()
    })
    expect(screen.getByTestId('swap').textContent).toBe('unauthenticated:-:-:true')
  })
})
