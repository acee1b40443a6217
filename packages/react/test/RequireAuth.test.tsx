// @vitest-environment happy-dom
import { type AuthClient, createAuthClient } from '@latchkey/core'
import { controlledRefresh, createTestToken as makeToken } from '@latchkey/testing'
import { act, cleanup, render, screen } from '@testing-library/react'
import { useEffect, useState } from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AuthProvider, RequireAuth } from '../src/index'
import { deferred } from './helpers'

const clients: AuthClient[] = []
afterEach(() => {
  cleanup()
  for (const auth of clients.splice(0)) auth.destroy()
  vi.useRealTimers()
})

/** State that a remount would lose; `onMount` counts the mounts. */
function Draft({ onMount }: { onMount: () => void }) {
  const [text] = useState(() => {
    onMount()
    return 'unsaved draft'
  })
  return <p>{text}</p>
}

/** Stands for a router's <Navigate to="/login" />, which navigates in an effect. */
function Redirect({ onRedirect }: { onRedirect: () => void }) {
  useEffect(onRedirect, [onRedirect])
  return null
}

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

  it('renders nothing while loading when no `loading` is given, so a redirecting fallback never runs for a stored session', async () => {
    const { auth, answer } = loadingClient()
    // The fallback of a router's protected route: <Navigate to="/login" /> navigates in an effect.
    const redirects = vi.fn()
    // What a previous visit stored.
    let entry: string | null = null
    const previous = createAuthClient({
      storage: { get: () => null, set: (_, v) => void (entry = v), remove() {} },
    })
    previous.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    previous.destroy()
    const { container } = render(
      <AuthProvider client={auth}>
        <RequireAuth fallback={<Redirect onRedirect={redirects} />}>
          <p>secret</p>
        </RequireAuth>
      </AuthProvider>,
    )
    expect(container.innerHTML).toBe('')
    await act(async () => {
      answer(entry)
      await auth.ready
    })
    expect(screen.getByText('secret')).toBeTruthy()
    expect(redirects).not.toHaveBeenCalled()
  })

  it('renders the fallback once the client gave up on a read that does not end, the children once it ends', async () => {
    vi.useFakeTimers()
    const stored = deferred<string | null>()
    const auth = createAuthClient({
      storage: { get: () => stored.promise, set() {}, remove() {} },
      refreshTimeout: 1_000,
    })
    clients.push(auth)
    render(
      <AuthProvider client={auth}>
        <RequireAuth fallback={<p>sign in</p>} loading={<p>wait</p>}>
          <p>secret</p>
        </RequireAuth>
      </AuthProvider>,
    )
    expect(screen.getByText('wait')).toBeTruthy()
    await act(() => vi.advanceTimersByTimeAsync(1_000))
    expect(screen.getByText('sign in')).toBeTruthy()
    await act(async () => {
      stored.resolve(JSON.stringify({ v: 1, at: makeToken(), rt: 'rt', sk: 0, g: 1 }))
      await vi.advanceTimersByTimeAsync(0)
    })
    expect(screen.getByText('secret')).toBeTruthy()
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

  it('keeps the children while the session is expired and a refresh is pending, the fallback once it fails for good', async () => {
    const control = controlledRefresh()
    const auth = createAuthClient({ refresh: control.refresh })
    clients.push(auth)
    // A returning user: the access token lapsed while away, the refresh token is still good.
    const lapsed = makeToken({ sub: 'ada', exp: Math.floor(Date.now() / 1000) - 60 }, { expiresIn: null })
    auth.setTokens({ accessToken: lapsed, refreshToken: 'r1' })
    expect(auth.getState()).toMatchObject({ status: 'expired', canRefresh: true })
    render(
      <AuthProvider client={auth}>
        <RequireAuth fallback={<p>sign in</p>} loading={<p>wait</p>}>
          <p>secret</p>
        </RequireAuth>
      </AuthProvider>,
    )
    expect(screen.getByText('secret')).toBeTruthy()
    expect(screen.queryByText('sign in')).toBeNull()
    await act(async () => {
      control.fail(Object.assign(new Error('revoked'), { status: 401 }))
      await auth.getAccessToken()
    })
    expect(auth.getState().status).toBe('unauthenticated')
    expect(screen.getByText('sign in')).toBeTruthy()
    expect(screen.queryByText('secret')).toBeNull()
  })

  it('keeps the children mounted (and their state) when the token expires during a slow refresh', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 })
    const control = controlledRefresh()
    const auth = createAuthClient({ refresh: control.refresh, refreshLeeway: 0 })
    clients.push(auth)
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }, { expiresIn: 60 }), refreshToken: 'r1' })
    const mounts = vi.fn()
    render(
      <AuthProvider client={auth}>
        <RequireAuth fallback={<p>sign in</p>}>
          <Draft onMount={mounts} />
        </RequireAuth>
      </AuthProvider>,
    )
    await act(async () => {
      await vi.advanceTimersByTimeAsync(61_000)
    })
    expect(auth.getState()).toMatchObject({ status: 'expired', isRefreshing: true })
    expect(screen.getByText('unsaved draft')).toBeTruthy()
    expect(screen.queryByText('sign in')).toBeNull()
    await act(async () => {
      control.settle({ accessToken: makeToken({ sub: 'ada' }, { expiresIn: 60 }) })
      await vi.advanceTimersByTimeAsync(0)
    })
    expect(auth.getState().status).toBe('authenticated')
    expect(mounts).toHaveBeenCalledTimes(1)
  })

  it('names <RequireAuth> and AuthProvider when used outside a provider', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => render(<RequireAuth />)).toThrow(/<RequireAuth> must be used inside <AuthProvider/)
    spy.mockRestore()
  })
})
