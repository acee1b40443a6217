import { createAuthClient } from '@latchkey/core'
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { controlledRefresh, countSubscriptions, createTestToken, startRefresh } from '../src'

afterEach(() => {
  vi.useRealTimers()
})

/** Settles with what `promise` gave, or 'hung' after `ms` of real time. */
const within = <T>(promise: Promise<T>, ms = 1_000) =>
  Promise.race([promise, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ms))])

describe('startRefresh', () => {
  it('returns when the refresh ends before it is seen in flight (no refresh token: no_refresh)', async () => {
    const auth = createAuthClient({ refresh: async () => ({ accessToken: createTestToken() }) })
    auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }) })
    const outcome = await within(
      startRefresh(auth).then(({ done }) => done.then(String, (e: { code: string }) => e.code)),
    )
    expect(outcome).toBe('no_refresh')
    auth.destroy()
  })

  it('returns for a refresh that answers at once, and for a destroyed client', async () => {
    const next = createTestToken({ sub: 'alice', jti: 'next' })
    const auth = createAuthClient({ refresh: async () => ({ accessToken: next }) })
    auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'rt' })
    expect(await within(startRefresh(auth).then(({ done }) => done))).toBe(next)
    auth.destroy()
    const outcome = await within(startRefresh(auth).then(({ done }) => done.catch((e) => e.code)))
    expect(outcome).toBe('destroyed')
  })

  it('works under fake timers: it waits on the client, not on a timer', async () => {
    vi.useFakeTimers()
    const control = controlledRefresh()
    const auth = createAuthClient({ refresh: control.refresh })
    auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'rt' })
    let started = false
    const run = startRefresh(auth).then((r) => {
      started = true
      return r
    })
    for (let i = 0; i < 20; i++) await Promise.resolve() // microtasks only: no fake time passes
    expect(started).toBe(true)
    expect(auth.getState().isRefreshing).toBe(true)
    const next = createTestToken({ sub: 'alice', jti: 'next' })
    control.settle({ accessToken: next })
    expect(await (await run).done).toBe(next)
    auth.destroy()
  })
})

describe('controlledRefresh', () => {
  it('keeps an answer given before the client called refresh for the next call', async () => {
    const control = controlledRefresh()
    const failure = Object.assign(new Error('down'), { status: 503 })
    control.fail(failure)
    await expect(control.refresh()).rejects.toBe(failure)
    const tokens = { accessToken: createTestToken({ jti: 'a' }) }
    control.settle(tokens)
    await expect(control.refresh()).resolves.toBe(tokens)
    // Used once: a later call waits again.
    const third = control.refresh()
    expect(await within(third, 50)).toBe('hung')
    control.settle(tokens)
    await expect(third).resolves.toBe(tokens)
  })

  it('answers every call waiting at once', async () => {
    const control = controlledRefresh()
    const calls = [control.refresh(), control.refresh()]
    const tokens = { accessToken: createTestToken() }
    control.settle(tokens)
    expect(await Promise.all(calls)).toEqual([tokens, tokens])
  })

  it('keeps an answer for the retry when the client gave up on the call before (refreshTimeout)', async () => {
    vi.useFakeTimers()
    const control = controlledRefresh()
    const auth = createAuthClient({
      refresh: control.refresh,
      refreshTimeout: 1_000,
      retry: { attempts: 2, baseDelay: 1, maxDelay: 1 },
      syncTabs: false,
    })
    auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'rt' })
    const { done } = await startRefresh(auth)
    await vi.advanceTimersByTimeAsync(1_000)
    await expect(done).rejects.toMatchObject({ code: 'refresh_timeout' })
    // The timed-out call was aborted: this answer goes to the retry, not to it.
    control.settle({ accessToken: createTestToken({ sub: 'alice', jti: 'next' }) })
    await vi.advanceTimersByTimeAsync(10)
    await vi.advanceTimersByTimeAsync(10)
    expect(auth.getState()).toMatchObject({ isRefreshing: false, claims: { jti: 'next' } })
    auth.destroy()
  })

  it('rejects an aborted call with the signal’s reason, and answers only the calls still waiting', async () => {
    const control = controlledRefresh()
    const gone = new AbortController()
    const aborted = control.refresh({ signal: gone.signal })
    const waiting = control.refresh({ signal: new AbortController().signal })
    const reason = new Error('gave up')
    gone.abort(reason)
    await expect(aborted).rejects.toBe(reason)
    const tokens = { accessToken: createTestToken() }
    control.settle(tokens)
    await expect(waiting).resolves.toBe(tokens)
    // Both answered: the next call waits again.
    expect(await within(control.refresh(), 50)).toBe('hung')
  })
})

describe('countSubscriptions', () => {
  it('keeps the client’s claims and credentials types', () => {
    const auth = createAuthClient<{ sub: string }, { username: string; password: string }>()
    const { client, active } = countSubscriptions(auth)
    expectTypeOf(client.login).parameters.toEqualTypeOf<[{ username: string; password: string }]>()
    expectTypeOf(client.getState().claims).toEqualTypeOf<{ sub: string } | null>()
    const off = client.subscribe(() => {})
    expect(active()).toBe(1)
    off()
    off()
    expect(active()).toBe(0)
    auth.destroy()
  })
})
