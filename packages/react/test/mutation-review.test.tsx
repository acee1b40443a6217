// @vitest-environment happy-dom
/** Tests written in a mutation review of @latchkey/react: each one fails with a change no other test caught. */
import { type AuthClient, type AuthState, createAuthClient } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import { act, cleanup, render, renderHook, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AuthProvider, useAuthSelector } from '../src/index'

const clients: AuthClient[] = []
afterEach(() => {
  cleanup()
  for (const auth of clients.splice(0)) auth.destroy()
})

function client() {
  const auth = createAuthClient({ syncTabs: false })
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'ada' }) })
  return auth
}

const pickSub = (s: AuthState) => s.claims?.sub
const always = () => true

function Pair() {
  const [status, sub] = useAuthSelector((s) => [s.status, s.claims?.sub])
  return <p>{`${status}:${String(sub)}`}</p>
}

type Copy = typeof import('../src/index')
type H = (type: string, props: null, child: string) => unknown

/** Reads the status through one copy of the package, rendered by the React `h` belongs to. */
function CopyStatus({ copy, h }: { copy: Copy; h: H }) {
  return h('p', null, copy.useAuth().status) as ReturnType<typeof Pair>
}

describe('useAuthSelector (mutation review)', () => {
  // Mutant: the selection was not cached per snapshot, so a selector that builds a new object (with the
  // default Object.is) gave useSyncExternalStore a new value on every read: an infinite loop.
  it('takes a selector that returns a new object on every call', () => {
    const auth = client()
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    render(
      <AuthProvider client={auth}>
        <Pair />
      </AuthProvider>,
    )
    expect(screen.getByText('authenticated:ada')).toBeTruthy()
    act(() => {
      auth.setTokens({ accessToken: createTestToken({ sub: 'grace' }) })
    })
    expect(screen.getByText('authenticated:grace')).toBeTruthy()
    expect(errors).not.toHaveBeenCalled()
    errors.mockRestore()
  })

  // Mutant: isEqual was left out of the memo's dependencies, so a new one was ignored.
  it('uses the latest isEqual after a re-render, with the same selector', () => {
    const auth = client()
    const { result, rerender } = renderHook(({ isEqual }) => useAuthSelector(pickSub, isEqual), {
      initialProps: { isEqual: always as (a: unknown, b: unknown) => boolean },
      wrapper: ({ children }) => <AuthProvider client={auth}>{children}</AuthProvider>,
    })
    expect(result.current).toBe('ada')
    rerender({ isEqual: Object.is })
    act(() => {
      auth.setTokens({ accessToken: createTestToken({ sub: 'grace' }) })
    })
    expect(result.current).toBe('grace')
  })
})

describe('AuthProvider with two Reacts (mutation review)', () => {
  // Mutant: the context registry on globalThis was keyed by something every React copy shares, so a
  // page with two Reacts (a widget on React 18 next to an app on React 19) gave one the other's context.
  it('keeps one context per React: a React 18 copy works after a React 19 one rendered', async () => {
    const auth = client()
    const state = auth.getState()

    /** Server-renders the provider and a status line with the React, react-dom and copy loaded now. */
    const renderCopy = async (server: string) => {
      const React = await import('react')
      const { renderToString } = (await import(server)) as typeof import('react-dom/server')
      const copy = await import('../src/index')
      const app = React.createElement(
        copy.AuthProvider,
        { client: auth, serverState: state },
        React.createElement(CopyStatus, { copy, h: React.createElement as H }),
      )
      return { version: React.version, html: renderToString(app) }
    }
    expect((await renderCopy('react-dom/server')).html).toBe('<p>authenticated</p>')

    vi.resetModules()
    vi.doMock('react', () => import('react18'))
    try {
      const react18 = await renderCopy('react-dom18/server')
      expect(react18.version).toMatch(/^18\./)
      expect(react18.html).toBe('<p>authenticated</p>')
    } finally {
      vi.doUnmock('react')
    }
  })
})
