// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, type RefreshContext, type TokenSet } from '../src'
import { flush, T0, token } from './helpers'
import { clearCookies } from './support/browser'

/** Edges of the storages and the cross-tab plumbing found in review. */
const clients: AuthClient[] = []
const wait = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms))
beforeEach(() => {
  localStorage.clear()
  sessionStorage.clear()
  clearCookies()
})
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('cookie storage', () => {
  it('keeps a session too large for a cookie through a wake-up re-read of the empty cookie', async () => {
    const auth = createAuthClient({ storage: 'cookie', storageKey: 'big', syncTabs: false })
    clients.push(auth)
    const errors: string[] = []
    const logouts: string[] = []
    auth.on('error', (e) => errors.push(e.code))
    auth.on('logout', (e) => logouts.push(e.reason))
    const large = token(300, { blob: 'x'.repeat(5000) })
    auth.setTokens({ accessToken: large, refreshToken: 'rt' })
    expect(errors).toEqual(['storage_unavailable'])
    for (const type of ['focus', 'pageshow']) window.dispatchEvent(new Event(type))
    document.dispatchEvent(new Event('visibilitychange'))
    await flush()
    expect(logouts).toEqual([])
    expect(auth.getState()).toMatchObject({ status: 'authenticated', accessToken: large })
  })

  it.each([4095, 4096])(
    'writes an entry of %i bytes (name + value): only one over 4,096 is too large',
    (total) => {
      const at = token(300, {}, T0)
      // The sign-in's id is random: fixed here, so the entry's length is known.
      vi.spyOn(Math, 'random').mockReturnValue(0.5)
      const id = (0.5).toString(36).slice(2)
      const entry = (rt: string) =>
        1 + encodeURIComponent(JSON.stringify({ v: 1, at, rt, sk: 0, g: 1, l: 300_000, id })).length
      const rt = 'r'.repeat(total - entry(''))
      expect(entry(rt)).toBe(total)
      const auth = createAuthClient({ storage: 'cookie', storageKey: 'k', syncTabs: false, now: () => T0 })
      clients.push(auth)
      expect(auth.setTokens({ accessToken: at, refreshToken: rt }).error).toBeNull()
      const cookie = document.cookie.split('; ').find((c) => c.startsWith('k=')) ?? ''
      expect(cookie.length).toBe(total + 1) // with the "="
    },
  )
})

describe('a localStorage client', () => {
  function signedIn(storage: 'localStorage' | 'memory' = 'localStorage') {
    const auth = createAuthClient({
      storage,
      storageKey: 'app',
      syncTabs: storage === 'memory' ? 'memory' : true,
    })
    clients.push(auth)
    const logouts: string[] = []
    auth.on('logout', (e) => logouts.push(e.reason))
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    return { auth, logouts }
  }

  it.each([
    ['an object from another version', { v: 2, type: 'session' }],
    ['a number', 42],
    ['an array', ['x']],
  ])('ignores %s on its BroadcastChannel', async (_, message) => {
    for (const mode of ['localStorage', 'memory'] as const) {
      const { auth, logouts } = signedIn(mode)
      const other = new BroadcastChannel('latchkey:app')
      other.postMessage(message)
      await wait(30)
      other.close()
      expect({ logouts, status: auth.getState().status }).toEqual({ logouts: [], status: 'authenticated' })
    }
    expect(localStorage.getItem('app')).not.toBeNull()
  })

  it("ignores sessionStorage's storage events (an iframe of this tab clearing or writing it)", () => {
    const { auth, logouts } = signedIn()
    window.dispatchEvent(new StorageEvent('storage', { key: null, storageArea: sessionStorage }))
    window.dispatchEvent(
      new StorageEvent('storage', { key: 'app', newValue: null, storageArea: sessionStorage }),
    )
    expect({ logouts, status: auth.getState().status }).toEqual({ logouts: [], status: 'authenticated' })
    expect(localStorage.getItem('app')).not.toBeNull()
    // The same events from localStorage are followed (the entry gone there, as another tab removed it).
    localStorage.removeItem('app')
    window.dispatchEvent(
      new StorageEvent('storage', { key: 'app', newValue: null, storageArea: localStorage }),
    )
    expect(logouts).toEqual(['other_tab'])
  })
})

describe('a tab that fell back to memory', () => {
  // API.md, logout(): "Clears state and storage synchronously and tells other tabs." A tab whose write
  // once failed (quota) keeps its session in memory; a logout there must still clear the entry another
  // tab stored since, or a reload signs the user in again.
  it.each([
    ['open', false],
    // No tab left to remove it then: only the logout here does.
    ['closed before the logout', true],
  ])('clears on logout the entry another tab stored meanwhile (that tab %s)', async (_, closed) => {
    const refresh = async (): Promise<TokenSet> => ({ accessToken: token(300, { n: 2 }) })
    const a = createAuthClient({ storage: 'localStorage', storageKey: 'q', refresh })
    const b = createAuthClient({ storage: 'localStorage', storageKey: 'q', refresh })
    clients.push(a, b)
    a.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await wait()
    // The quota is full for A's next entry: A keeps its session in memory.
    const real = localStorage
    const full = {
      getItem: (k: string) => real.getItem(k),
      removeItem: (k: string) => real.removeItem(k),
      setItem: (k: string, v: string) => {
        if (k === 'q') throw new DOMException('full', 'QuotaExceededError')
        real.setItem(k, v)
      },
    }
    vi.stubGlobal('localStorage', full)
    await a.refresh()
    vi.unstubAllGlobals()
    expect(a.getState().error?.code).toBe('storage_unavailable')
    // Space was freed; the user signs in again in B, which stores the session, and A follows.
    b.setTokens({ accessToken: token(300, { n: 9 }), refreshToken: 'rt-9' })
    await vi.waitFor(() => expect(a.getState().claims).toMatchObject({ n: 9 }))
    expect(localStorage.getItem('q')).not.toBeNull()
    if (closed) b.destroy()
    await a.logout()
    if (closed) expect(localStorage.getItem('q')).toBeNull()
    await wait()
    expect(localStorage.getItem('q')).toBeNull()
    if (!closed) expect(b.getState().status).toBe('unauthenticated')
  })
})

describe('the localStorage lease (no Web Locks)', () => {
  it.each(['cookie', 'localStorage'] as const)(
    'a %s client still refreshes when localStorage can be read but not written (quota, private mode)',
    async (storage) => {
      vi.stubGlobal('navigator', { ...navigator, locks: undefined })
      vi.stubGlobal('localStorage', {
        getItem: () => null,
        removeItem: () => {},
        setItem() {
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
        },
      })
      const refresh = vi.fn(
        async (_: RefreshContext): Promise<TokenSet> => ({ accessToken: token(), refreshToken: 'rt-2' }),
      )
      const auth = createAuthClient({ storage, storageKey: 'ck', refresh, retry: { attempts: 1 } })
      clients.push(auth)
      auth.setTokens({ accessToken: token(), refreshToken: 'rt-1' })
      await expect(auth.refresh()).resolves.toEqual(expect.any(String))
      expect(refresh).toHaveBeenCalledTimes(1)
    },
  )

  it.each([10_000, 20_000])(
    'is not taken from a live tab whose refresh takes %i ms (refreshTimeout 30 s): the token is spent once',
    async (delay) => {
      vi.stubGlobal('navigator', { ...navigator, locks: undefined })
      vi.useFakeTimers()
      const spent: Array<string | null> = []
      const refresh = vi.fn(async ({ refreshToken }: RefreshContext): Promise<TokenSet> => {
        spent.push(refreshToken)
        await new Promise((resolve) => setTimeout(resolve, delay)) // a slow network, within the timeout
        return { accessToken: token(300), refreshToken: `${refreshToken}+` }
      })
      const options = {
        storage: 'localStorage' as const,
        storageKey: 'slow',
        refresh,
        refreshTimeout: 30_000,
      }
      const a = createAuthClient(options)
      const b = createAuthClient(options)
      clients.push(a, b)
      a.setTokens({ accessToken: token(), refreshToken: 'rt-1' })
      await vi.advanceTimersByTimeAsync(50)
      const first = a.refresh().catch((e) => e)
      await vi.advanceTimersByTimeAsync(1_000) // a holds the lease, waiting on the server
      const second = b.refresh().catch((e) => e)
      await vi.advanceTimersByTimeAsync(40_000)
      await Promise.all([first, second])
      expect(spent).toEqual(['rt-1'])
      expect(b.getState().accessToken).toBe(a.getState().accessToken)
    },
  )
})
