// @vitest-environment happy-dom
import { createAuthClient } from '@latchkey/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { controlledRefresh, createTestToken, startRefresh } from '../src'

it('settle() right after startRefresh() answers the refresh with localStorage (taken under the lease)', async () => {
  // happy-dom has no Web Locks: the client takes the localStorage lease before it calls `refresh`,
  // so `isRefreshing` is true well before the call the test answers.
  const control = controlledRefresh()
  const auth = createAuthClient({ storage: 'localStorage', refresh: control.refresh })
  auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'rt' })
  const { done } = await startRefresh(auth)
  expect(auth.getState().isRefreshing).toBe(true)
  const next = createTestToken({ sub: 'alice', jti: 'next' })
  control.settle({ accessToken: next })
  const outcome = await Promise.race([
    done,
    new Promise<string>((resolve) => setTimeout(() => resolve('hung'), 2_000)),
  ])
  expect(outcome).toBe(next)
  auth.destroy()
  localStorage.clear()
})

describe('under fake timers, with a localStorage client (the lease waits on timers)', () => {
  afterEach(() => {
    vi.useRealTimers()
    localStorage.clear()
  })
  const realSetTimeout = globalThis.setTimeout
  /** `done`, or 'hung' after a second of real time. */
  const within = <T>(promise: Promise<T>) =>
    Promise.race([promise, new Promise<'hung'>((resolve) => realSetTimeout(() => resolve('hung'), 1_000))])

  it('settles `done` once the timers run, as the README says', async () => {
    vi.useFakeTimers()
    const control = controlledRefresh()
    const auth = createAuthClient({ storage: 'localStorage', refresh: control.refresh })
    auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'rt' })
    const { done } = await startRefresh(auth)
    const next = createTestToken({ sub: 'alice', jti: 'next' })
    control.settle({ accessToken: next })
    await vi.advanceTimersByTimeAsync(500)
    expect(await within(done)).toBe(next)
    auth.destroy()
  })

  it('settles `done` without moving the timers when the client does not sync tabs', async () => {
    vi.useFakeTimers()
    const control = controlledRefresh()
    const auth = createAuthClient({ storage: 'localStorage', syncTabs: false, refresh: control.refresh })
    auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'rt' })
    const { done } = await startRefresh(auth)
    const next = createTestToken({ sub: 'alice', jti: 'next' })
    control.settle({ accessToken: next })
    expect(await within(done)).toBe(next)
    auth.destroy()
  })
})
