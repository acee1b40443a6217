// @vitest-environment happy-dom
import { type AuthClient, createAuthClient } from '@latchkey/core'
import { countSubscriptions, createTestToken as makeToken } from '@latchkey/testing'
import { act, cleanup, render, renderHook, screen } from '@testing-library/react'
import { type ReactNode, StrictMode } from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AuthProvider, useAuth, useAuthClient } from '../src/index'

const clients: AuthClient[] = []
function client(options: Parameters<typeof createAuthClient>[0] = {}): AuthClient {
  const auth = createAuthClient(options)
  clients.push(auth)
  return auth
}

afterEach(() => {
  cleanup()
  for (const auth of clients.splice(0)) auth.destroy()
})

function Status() {
  const { status, claims } = useAuth()
  return (
    <p>
      {status}:{claims?.sub ?? '-'}
    </p>
  )
}

describe('useAuth', () => {
  it('returns the state snapshot plus login, logout, refresh, getAccessToken and client', () => {
    const auth = client()
    const token = makeToken({ sub: 'ada' })
    auth.setTokens({ accessToken: token })
    const { result } = renderHook(() => useAuth(), {
      wrapper: ({ children }) => <AuthProvider client={auth}>{children}</AuthProvider>,
    })
    expect(result.current).toMatchObject({ ...auth.getState(), status: 'authenticated', accessToken: token })
    expect(result.current.claims?.sub).toBe('ada')
    expect(result.current.client).toBe(auth)
    for (const method of ['login', 'logout', 'refresh', 'getAccessToken'] as const) {
      expect(result.current[method]).toBe(auth[method])
    }
  })

  it('re-renders when the client changes from outside React', () => {
    const auth = client()
    render(
      <AuthProvider client={auth}>
        <Status />
      </AuthProvider>,
    )
    expect(screen.getByText('unauthenticated:-')).toBeTruthy()
    act(() => {
      auth.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    })
    expect(screen.getByText('authenticated:ada')).toBeTruthy()
    act(() => {
      void auth.logout()
    })
    expect(screen.getByText('unauthenticated:-')).toBeTruthy()
  })

  it('returns methods that work when destructured', async () => {
    const auth = client({
      login: async (credentials) => ({ accessToken: makeToken(credentials as Record<string, unknown>) }),
    })
    const { result } = renderHook(() => useAuth(), {
      wrapper: ({ children }) => <AuthProvider client={auth}>{children}</AuthProvider>,
    })
    const { login, getAccessToken } = result.current
    await act(() => login({ sub: 'grace' }))
    expect(result.current.claims?.sub).toBe('grace')
    expect(await getAccessToken()).toBe(result.current.accessToken)
    const { logout } = result.current
    await act(() => logout())
    expect(result.current.status).toBe('unauthenticated')
  })

  it('returns a refresh that works when destructured, and ends in the state it refreshed to', async () => {
    const next = makeToken({ sub: 'ada', n: 2 })
    const auth = client({ refresh: async () => ({ accessToken: next }) })
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }), refreshToken: 'r1' })
    const { result } = renderHook(() => useAuth(), {
      wrapper: ({ children }) => <AuthProvider client={auth}>{children}</AuthProvider>,
    })
    const { refresh } = result.current
    await act(async () => {
      expect(await refresh()).toBe(next)
    })
    expect(result.current.accessToken).toBe(next)
  })

  it('keeps the returned object while the state is unchanged', () => {
    const auth = client()
    const { result, rerender } = renderHook(() => useAuth(), {
      wrapper: ({ children }) => <AuthProvider client={auth}>{children}</AuthProvider>,
    })
    const first = result.current
    rerender()
    expect(result.current).toBe(first)
  })

  it('throws an error naming AuthProvider outside a provider', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => renderHook(() => useAuth())).toThrow(/useAuth\(\) must be used inside <AuthProvider/)
    expect(() => renderHook(() => useAuthClient())).toThrow(/AuthProvider/)
    spy.mockRestore()
  })

  it('throws an error naming the client prop under a provider given no client', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    const wrapper = ({ children }: { children: ReactNode }) => (
      <AuthProvider client={undefined as never}>{children}</AuthProvider>
    )
    expect(() => renderHook(() => useAuth(), { wrapper })).toThrow(
      /useAuth\(\): <AuthProvider> was given no client\. Pass it client=\{auth\}/,
    )
    spy.mockRestore()
  })

  it('leaves exactly one subscription under StrictMode and none after unmount', () => {
    const { client: auth, active } = countSubscriptions(client())
    const { unmount } = render(
      <StrictMode>
        <AuthProvider client={auth}>
          <Status />
        </AuthProvider>
      </StrictMode>,
    )
    expect(active()).toBe(1)
    act(() => {
      auth.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    })
    expect(screen.getByText('authenticated:ada')).toBeTruthy()
    expect(active()).toBe(1)
    unmount()
    expect(active()).toBe(0)
  })
})

describe('useAuthClient', () => {
  it('returns the client without subscribing', () => {
    const { client: auth, active } = countSubscriptions(client())
    const { result } = renderHook(() => useAuthClient(), {
      wrapper: ({ children }) => <AuthProvider client={auth}>{children}</AuthProvider>,
    })
    expect(result.current).toBe(auth)
    expect(active()).toBe(0)
  })
})
