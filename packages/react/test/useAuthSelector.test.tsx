// @vitest-environment happy-dom
import { type AuthClient, createAuthClient } from '@latchkey/core'
import {
  controlledRefresh,
  countSubscriptions,
  createTestToken as makeToken,
  startRefresh,
} from '@latchkey/testing'
import { act, cleanup, render, renderHook, screen } from '@testing-library/react'
import { memo, StrictMode, useState } from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AuthProvider, useAuthSelector } from '../src/index'

const clients: AuthClient[] = []
afterEach(() => {
  cleanup()
  for (const auth of clients.splice(0)) auth.destroy()
})

function setup() {
  const control = controlledRefresh()
  const auth = createAuthClient({ refresh: control.refresh })
  clients.push(auth)
  auth.setTokens({ accessToken: makeToken({ sub: 'ada' }), refreshToken: 'r1' })
  return { auth, ...control }
}

type OnRender = (value: unknown) => void

function Sub({ onRender = () => {} }: { onRender?: OnRender }) {
  const sub = useAuthSelector((s) => s.claims?.sub)
  onRender(sub)
  return <p>{sub}</p>
}

function Refreshing({ onRender }: { onRender: OnRender }) {
  onRender(useAuthSelector((s) => s.isRefreshing))
  return null
}

const sameRoles = (a: string[], b: string[]) => a.length === b.length && a.every((r, i) => r === b[i])

function Roles({ onRender }: { onRender: OnRender }) {
  const roles = useAuthSelector((s) => (s.claims?.roles as string[] | undefined) ?? [], sameRoles)
  onRender(roles)
  return <p>{roles.join(',')}</p>
}

describe('useAuthSelector', () => {
  it('does not re-render when only isRefreshing changes', async () => {
    const { auth, settle } = setup()
    const renders = vi.fn()
    render(
      <AuthProvider client={auth}>
        <Sub onRender={renders} />
      </AuthProvider>,
    )
    expect(renders).toHaveBeenCalledTimes(1)

    const before = auth.getState()
    const refresh = await act(() => startRefresh(auth))
    expect(auth.getState().isRefreshing).toBe(true)
    await act(async () => {
      settle({ accessToken: makeToken({ sub: 'ada', jti: 'second' }) })
      await refresh.done
    })
    expect(auth.getState().isRefreshing).toBe(false)
    expect(auth.getState().accessToken).not.toBe(before.accessToken)
    expect(renders).toHaveBeenCalledTimes(1)

    act(() => {
      auth.setTokens({ accessToken: makeToken({ sub: 'grace' }) })
    })
    expect(renders).toHaveBeenCalledTimes(2)
    expect(screen.getByText('grace')).toBeTruthy()
  })

  it('re-renders a component selecting isRefreshing when it flips', async () => {
    const { auth, settle } = setup()
    const seen: unknown[] = []
    render(
      <AuthProvider client={auth}>
        <Refreshing onRender={(value) => seen.push(value)} />
      </AuthProvider>,
    )
    const refresh = await act(() => startRefresh(auth))
    await act(async () => {
      settle({ accessToken: makeToken({ sub: 'ada' }) })
      await refresh.done
    })
    expect(seen).toEqual([false, true, false])
  })

  it('keeps an isEqual-equal selection and skips the re-render', () => {
    const { auth } = setup()
    const renders = vi.fn()
    auth.setTokens({ accessToken: makeToken({ sub: 'ada', roles: ['admin'] }) })
    render(
      <AuthProvider client={auth}>
        <Roles onRender={renders} />
      </AuthProvider>,
    )
    act(() => {
      auth.setTokens({ accessToken: makeToken({ sub: 'ada', roles: ['admin'], jti: 'new' }) })
    })
    expect(renders).toHaveBeenCalledTimes(1)
    act(() => {
      auth.setTokens({ accessToken: makeToken({ sub: 'ada', roles: ['admin', 'ops'] }) })
    })
    expect(renders).toHaveBeenCalledTimes(2)
    expect(screen.getByText('admin,ops')).toBeTruthy()
  })

  it('keeps the identity of an isEqual-equal selection across re-renders with a new inline selector', () => {
    const { auth } = setup()
    const shallow = (a: { sub: unknown }, b: { sub: unknown }) => a.sub === b.sub
    const { result, rerender } = renderHook(() => useAuthSelector((s) => ({ sub: s.claims?.sub }), shallow), {
      wrapper: ({ children }) => <AuthProvider client={auth}>{children}</AuthProvider>,
    })
    const first = result.current
    rerender()
    expect(result.current).toBe(first)
  })

  it('uses the latest selector after a re-render', () => {
    const { auth } = setup()
    const { result, rerender } = renderHook(({ key }) => useAuthSelector((s) => s.claims?.[key]), {
      initialProps: { key: 'sub' },
      wrapper: ({ children }) => <AuthProvider client={auth}>{children}</AuthProvider>,
    })
    expect(result.current).toBe('ada')
    rerender({ key: 'exp' })
    expect(result.current).toBe(auth.getState().claims?.exp)
  })

  it('leaves one subscription per component under StrictMode', () => {
    const { auth: base } = setup()
    const { client: auth, active } = countSubscriptions(base)
    const { unmount } = render(
      <StrictMode>
        <AuthProvider client={auth}>
          <Sub />
        </AuthProvider>
      </StrictMode>,
    )
    expect(active()).toBe(1)
    unmount()
    expect(active()).toBe(0)
  })

  it('throws an error naming AuthProvider outside a provider', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => renderHook(() => useAuthSelector((s) => s.status))).toThrow(/AuthProvider/)
    spy.mockRestore()
  })
})

const claimRenders = vi.fn()
const SubClaim = memo(function SubClaim() {
  const sub = useAuthSelector((s) => s.claims?.sub)
  claimRenders(sub)
  return <p>{String(sub)}</p>
})
let bumpRoot = () => {}
/** Passes a new serverState object on every render, as the README suggests for the browser. */
function ServerStateRoot({ auth }: { auth: AuthClient }) {
  const [n, setN] = useState(0)
  bumpRoot = () => setN(n + 1)
  return (
    <AuthProvider client={auth} serverState={auth.getState()}>
      <SubClaim />
    </AuthProvider>
  )
}

it('a memoized consumer does not re-render when the provider re-renders with a new serverState object', () => {
  const auth = createAuthClient()
  clients.push(auth)
  auth.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
  claimRenders.mockClear()
  render(<ServerStateRoot auth={auth} />)
  // A new token with the same sub: the selection is unchanged, so nothing re-renders.
  act(() => {
    auth.setTokens({ accessToken: makeToken({ sub: 'ada', jti: 'next' }) })
  })
  // The root re-renders for a reason of its own.
  act(() => bumpRoot())
  expect(claimRenders).toHaveBeenCalledTimes(1)
})
