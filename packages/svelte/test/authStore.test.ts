import { type AuthClient, createAuthClient } from '@latchkey/core'
import { countSubscriptions, createTestToken as makeToken } from '@latchkey/testing'
import { derived, get } from 'svelte/store'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { authStore } from '../src/index'

const clients: AuthClient[] = []
function client(options: Parameters<typeof createAuthClient>[0] = {}): AuthClient {
  const auth = createAuthClient(options)
  clients.push(auth)
  return auth
}
afterEach(() => {
  for (const auth of clients.splice(0)) auth.destroy()
})

describe('authStore', () => {
  it('calls run at once with the current getState() snapshot', () => {
    const auth = client()
    const run = vi.fn()
    authStore(auth).subscribe(run)
    expect(run).toHaveBeenCalledTimes(1)
    expect(run.mock.calls[0]![0]).toBe(auth.getState())
  })

  it('calls run with every new snapshot until unsubscribed', async () => {
    const auth = client()
    const run = vi.fn()
    const unsubscribe = authStore(auth).subscribe(run)
    const state = auth.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    expect(run).toHaveBeenLastCalledWith(state)
    expect(run.mock.lastCall![0]).toBe(auth.getState())
    await auth.logout()
    expect(run.mock.lastCall![0].status).toBe('unauthenticated')
    const calls = run.mock.calls.length
    unsubscribe()
    auth.setTokens({ accessToken: makeToken() })
    expect(run).toHaveBeenCalledTimes(calls)
  })

  it('returns an unsubscribe function that is harmless to call twice', () => {
    const { client: auth, active } = countSubscriptions(client())
    const store = authStore(auth)
    const first = store.subscribe(() => {})
    const second = store.subscribe(() => {})
    expect(active()).toBe(2)
    first()
    first()
    expect(active()).toBe(1)
    second()
    expect(active()).toBe(0)
  })

  it('keeps two subscriptions of the same function independent', () => {
    const auth = client()
    const store = authStore(auth)
    const run = vi.fn()
    const first = store.subscribe(run)
    store.subscribe(run)
    first()
    run.mockClear()
    auth.setTokens({ accessToken: makeToken() })
    expect(run).toHaveBeenCalledTimes(1)
  })

  it('subscribes to the client only while it has subscribers', () => {
    const { client: auth, active } = countSubscriptions(client())
    const store = authStore(auth)
    expect(active()).toBe(0)
    store.subscribe(() => {})()
    expect(active()).toBe(0)
  })

  it('carries the client and methods that work when destructured', async () => {
    const auth = client({
      login: async (credentials) => ({ accessToken: makeToken(credentials as Record<string, unknown>) }),
    })
    const store = authStore(auth)
    expect(store.client).toBe(auth)
    const { login, logout, getAccessToken, setTokens, refresh } = store
    for (const [name, method] of Object.entries({ login, logout, getAccessToken, setTokens, refresh })) {
      expect(method).toBe(auth[name as keyof AuthClient])
    }
    await login({ sub: 'grace' })
    expect(get(store).claims?.sub).toBe('grace')
    expect(await getAccessToken()).toBe(get(store).accessToken)
    setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    expect(get(store).claims?.sub).toBe('ada')
    await logout()
    expect(get(store).status).toBe('unauthenticated')
  })

  it('has a subscribe and a refresh that work when destructured', async () => {
    const next = makeToken({ sub: 'ada', n: 2 })
    const auth = client({ refresh: async () => ({ accessToken: next }) })
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }), refreshToken: 'r1' })
    const { subscribe, refresh } = authStore(auth)
    const seen: (string | null)[] = []
    const stop = subscribe((state) => seen.push(state.accessToken))
    expect(await refresh()).toBe(next)
    stop()
    expect(seen.at(-1)).toBe(next)
  })

  it('works with get() and derived() from svelte/store', () => {
    const { client: auth, active } = countSubscriptions(client())
    const store = authStore(auth)
    expect(get(store)).toBe(auth.getState())
    expect(active()).toBe(0)

    const sub = derived(store, ($auth) => $auth.claims?.sub ?? null)
    const seen: (string | null)[] = []
    const stop = sub.subscribe((value) => seen.push(value))
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    auth.setTokens({ accessToken: makeToken({ sub: 'ada', jti: 'next' }) })
    void auth.logout()
    expect(seen).toEqual([null, 'ada', null])
    stop()
    expect(active()).toBe(0)
  })
})
