// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://app.example.com/"}

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, createAuthFetch } from '../src'
import { token } from './helpers'
import { clearCookies, recordCookieWrites } from './support/browser'
import { liveToken } from './support/clients'

/**
 * Tests written in a manual mutation review of packages/core/src (browser environment): each one
 * fails with a single mutation of the source that the rest of the suite let through.
 */
const clients: AuthClient[] = []
beforeEach(() => {
  localStorage.clear()
  sessionStorage.clear()
  clearCookies()
})
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  for (const b of document.querySelectorAll('base')) b.remove()
  vi.restoreAllMocks()
})
const client = (options: Parameters<typeof createAuthClient>[0]) => {
  const auth = createAuthClient(options)
  clients.push(auth)
  return auth
}

describe('mutation review: createAuthFetch in a browser', () => {
  // Mutant: the replay after a 401 sent without checking the URL again (`if (!next)` only).
  it('does not send the token where a relative URL resolves on the 401 replay', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let started!: () => void
    const refreshing = new Promise<void>((resolve) => {
      started = resolve
    })
    const auth = createAuthClient({
      syncTabs: false,
      refresh: async () => {
        started()
        await gate
        return { accessToken: liveToken() }
      },
    })
    clients.push(auth)
    auth.setTokens({ accessToken: liveToken(), refreshToken: 'r' })
    const wire: Array<[string, string | null]> = []
    // As fetch does: a relative URL is resolved against the document's base URL when it is sent.
    const api = createAuthFetch(auth, {
      fetch: async (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input), document.baseURI).href
        wire.push([url, new Headers(init?.headers).get('authorization')])
        return new Response(null, { status: wire.length === 1 ? 401 : 200 })
      },
    })
    const pending = api('/api/me') // default origins: the page's own
    await refreshing
    // While the 401 waits for the refresh, a <base> element appears (an injected script, a widget).
    const b = document.createElement('base')
    b.href = 'https://evil.example/'
    document.head.append(b)
    release()
    const res = await pending
    expect(wire[0]).toEqual(['https://app.example.com/api/me', expect.stringMatching(/^Bearer /)])
    expect(wire.filter(([u, h]) => new URL(u).origin !== 'https://app.example.com' && h !== null)).toEqual([])
    expect(res.status).toBe(401)
  })
})

describe('mutation review: storages', () => {
  // Mutant: cookie.ts writing Secure only for `secure`/https, not for SameSite=None.
  it('writes Secure with SameSite=None even when secure is false (browsers drop it otherwise)', () => {
    const writes = recordCookieWrites()
    client({ storage: 'cookie', storageKey: 'sn', cookie: { sameSite: 'none', secure: false } }).setTokens({
      accessToken: token(),
    })
    expect(writes.find((w) => w.startsWith('sn='))).toMatch(/; SameSite=None; Secure$/)
  })

  // Mutant: cookie.ts matching cookies by `startsWith(key)` instead of `startsWith(key + '=')`.
  it("does not read another cookie whose name starts with the storage key's", () => {
    document.cookie = 'latchkey2=someone-else; Path=/'
    const auth = client({ storage: 'cookie' })
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', error: null })
    expect(document.cookie).toContain('latchkey2=someone-else')
  })

  // Mutant: cookie.ts comparing only the value's length (not name + value) with the 4,096-byte limit.
  it('counts the cookie name in the 4,096-byte limit', () => {
    const key = 'k'.repeat(1_500)
    const large = token(300, { blob: 'x'.repeat(2_000) })
    // The entry alone fits; with its name it does not.
    expect(large.length).toBeGreaterThan(2_700)
    expect(large.length).toBeLessThan(3_800)
    const auth = client({ storage: 'cookie', storageKey: key, syncTabs: false })
    expect(auth.setTokens({ accessToken: large })).toMatchObject({
      status: 'authenticated',
      error: { code: 'storage_unavailable' },
    })
    expect(document.cookie).not.toMatch(new RegExp(`${key}=[^;]`))
  })

  // Mutant: webStorage.ts without the storageArea check.
  it("ignores a sessionStorage event that carries an entry (another client's, in a frame of this tab)", () => {
    const auth = client({ storage: 'localStorage', storageKey: 'app' })
    const mine = liveToken('alice')
    auth.setTokens({ accessToken: mine, refreshToken: 'r' })
    const frame = createAuthClient({ storage: 'sessionStorage', storageKey: 'app', syncTabs: false })
    frame.setTokens({ accessToken: liveToken('mallory'), refreshToken: 'r2' })
    frame.destroy()
    window.dispatchEvent(
      new StorageEvent('storage', {
        key: 'app',
        newValue: sessionStorage.getItem('app'),
        storageArea: sessionStorage,
      }),
    )
    expect(auth.getState()).toMatchObject({ status: 'authenticated', accessToken: mine })
  })

  // Mutant: webStorage.ts ignoring `key: null` (localStorage.clear() in another tab).
  it('follows localStorage.clear() in another tab as a sign-out', () => {
    const auth = client({ storage: 'localStorage', storageKey: 'app' })
    const logouts: string[] = []
    auth.on('logout', (e) => logouts.push(e.reason))
    auth.setTokens({ accessToken: liveToken(), refreshToken: 'r' })
    localStorage.clear()
    window.dispatchEvent(new StorageEvent('storage', { key: null, storageArea: localStorage }))
    expect(auth.getState().status).toBe('unauthenticated')
    expect(logouts).toEqual(['other_tab'])
  })
})
