// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AuthClient, type AuthClientOptions, createAuthClient } from '../src'
import { clearCookies } from './support/browser'
import { liveToken } from './support/clients'

const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  vi.restoreAllMocks()
  localStorage.clear()
  sessionStorage.clear()
  clearCookies()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
function make(options: AuthClientOptions) {
  const auth = createAuthClient({ refresh: async () => ({ accessToken: liveToken() }), ...options })
  clients.push(auth)
  const events: string[] = []
  for (const type of ['login', 'logout', 'refresh', 'error', 'expired'] as const)
    auth.on(type, () => events.push(type))
  return { auth, events }
}

describe('createAuthClient: two clients in one page', () => {
  it.each([
    ['localStorage', 'localStorage'],
    ['cookie', 'cookie'],
    ['localStorage', 'cookie'],
    ['localStorage', 'sessionStorage'],
  ] as const)('keeps the sessions of %s and %s under different storageKeys apart', async (sa, sb) => {
    const a = make({ storage: sa, storageKey: 'api-a' })
    const b = make({ storage: sb, storageKey: 'api-b' })
    const tb = liveToken('bob')
    b.auth.setTokens({ accessToken: tb, refreshToken: 'rb' })
    const ta = liveToken()
    a.auth.setTokens({ accessToken: ta, refreshToken: 'ra' })
    await sleep(30)
    expect(b.auth.getState().accessToken).toBe(tb)
    await a.auth.logout()
    await sleep(30)
    expect(b.auth.getState().accessToken).toBe(tb)
    expect(b.events).toEqual([])
    await b.auth.logout()
    await sleep(30)
    expect(a.events).toEqual(['logout'])
  })
})

describe('createAuthClient: two clients with one storageKey', () => {
  it('are one session: each follows the other, and either refresh may spend the shared refresh token', async () => {
    const spent: string[] = []
    const make2 = (api: string) =>
      make({
        storage: 'localStorage',
        refresh: async ({ refreshToken }) => {
          spent.push(`${api}:${refreshToken}`)
          return { accessToken: liveToken(), refreshToken: `${api}-next` }
        },
      })
    const a = make2('a')
    const b = make2('b')
    const ta = liveToken()
    a.auth.setTokens({ accessToken: ta, refreshToken: 'ra' })
    await vi.waitFor(() => expect(b.auth.getState().accessToken).toBe(ta))
    expect(b.events).toEqual(['login'])
    await b.auth.refresh()
    expect(spent).toEqual(['b:ra'])
    await vi.waitFor(() => expect(a.auth.getState().accessToken).toBe(b.auth.getState().accessToken))
    await a.auth.logout()
    await vi.waitFor(() => expect(b.events).toEqual(['login', 'refresh', 'logout']))
  })
})

describe('createAuthClient: two clients that sign each other out', () => {
  it('each emit one logout and revoke once, with the check the README shows', async () => {
    const revoked: string[] = []
    const api = make({ logout: () => void revoked.push('api') })
    const billing = make({ logout: () => void revoked.push('billing') })
    api.auth.setTokens({ accessToken: liveToken() })
    billing.auth.setTokens({ accessToken: liveToken() })
    api.auth.on('logout', () => billing.auth.getState().status !== 'unauthenticated' && billing.auth.logout())
    billing.auth.on('logout', () => api.auth.getState().status !== 'unauthenticated' && api.auth.logout())
    await api.auth.logout()
    expect([api.events, billing.events, revoked]).toEqual([['logout'], ['logout'], ['billing', 'api']])
  })
})
