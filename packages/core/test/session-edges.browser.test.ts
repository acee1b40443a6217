// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, type RefreshContext, type TokenStorage } from '../src'
import { token } from './helpers'
import { slowStore } from './support/storages'

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
  localStorage.clear()
})

/** One shared entry (like localStorage) seen by several tabs, whose change events can be put to sleep. */
function sharedStore() {
  let value: string | null = null
  const tabs: Array<{ asleep: boolean; listener?: ((v: string | null) => void) | undefined }> = []
  const view = (): TokenStorage & { sleep(on: boolean): void } => {
    const me: (typeof tabs)[number] = { asleep: false }
    tabs.push(me)
    const tell = () => {
      for (const t of tabs) if (t !== me && !t.asleep) t.listener?.(value)
    }
    return {
      get: () => value,
      set: (_k, v) => {
        value = v
        tell()
      },
      remove: () => {
        value = null
        tell()
      },
      subscribe: (_k, listener) => {
        me.listener = listener
        return () => (me.listener = undefined)
      },
      sleep: (on) => (me.asleep = on),
    }
  }
  return { view, get: () => value }
}

it('a tab that slept through a logout and a new login adopts the new session when it wakes', async () => {
  vi.stubGlobal('BroadcastChannel', undefined) // storage events only
  const store = sharedStore()
  const refresh = vi.fn(async (_: RefreshContext) => ({ accessToken: token(300, { n: 9 }) }))
  const a = createAuthClient({ storage: store.view(), refresh })
  a.setTokens({ accessToken: token(300, { n: 1 }), refreshToken: 'rt-1' })
  a.setTokens({ accessToken: token(300, { n: 2 }), refreshToken: 'rt-2' })
  const bView = store.view()
  const b = createAuthClient({ storage: bView, refresh })
  expect(b.getState().claims).toMatchObject({ sub: 'user-1' })

  bView.sleep(true) // frozen, or in the back-forward cache: no storage events
  await a.logout()
  a.setTokens({ accessToken: token(300, { sub: 'user-2' }), refreshToken: 'rt-user2' })
  bView.sleep(false)
  window.dispatchEvent(new Event('pageshow'))

  // The new login outranks what B held, although the session it replaced was logged out.
  expect(b.getState().claims).toMatchObject({ sub: 'user-2' })
  await b.refresh()
  expect(refresh.mock.calls.map(([c]) => c.refreshToken)).toEqual(['rt-user2'])
  expect(a.getState().accessToken).toBe(b.getState().accessToken)
  a.destroy()
  b.destroy()
})

it('after falling back to memory, the entry left in storage is removed: a reload does not restore it', async () => {
  const refresh = vi.fn(async () => ({ accessToken: token(300, { n: 2 }), refreshToken: 'rt-2' }))
  const tab = createAuthClient({ storage: 'localStorage', syncTabs: false, refresh })
  const errors: string[] = []
  tab.on('error', (e) => errors.push(e.code))
  tab.setTokens({ accessToken: token(300), refreshToken: 'rt-1' })
  expect(localStorage.getItem('latchkey')).not.toBeNull()

  // Quota exceeded from now on: setItem throws, removeItem still works. (A stub, not a spy: a spy on
  // happy-dom's localStorage is not undone by restoreAllMocks.)
  const real = localStorage
  vi.stubGlobal('localStorage', {
    getItem: (k: string) => real.getItem(k),
    removeItem: (k: string) => real.removeItem(k),
    setItem: () => {
      throw new DOMException('quota', 'QuotaExceededError')
    },
  })
  await tab.refresh()
  expect(errors).toEqual(['storage_unavailable'])
  // rt-1 is spent: an entry holding it must not outlive the fallback.
  expect(localStorage.getItem('latchkey')).toBeNull()
  await tab.logout()

  vi.unstubAllGlobals()
  const reloaded = createAuthClient({ storage: 'localStorage', syncTabs: false, refresh })
  expect(reloaded.getState().status).toBe('unauthenticated')
  tab.destroy()
  reloaded.destroy()
})

describe('an async shared storage (IndexedDB with a change feed, say)', () => {
  const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms))
  /** Async methods and `subscribe`, so it counts as shared; its change events never arrive. */
  function idb(backing: Map<string, string>): TokenStorage {
    return {
      get: async (k) => backing.get(k) ?? null,
      set: async (k, v) => void backing.set(k, v),
      remove: async (k) => void backing.delete(k),
      subscribe: () => () => {},
    }
  }

  it('is re-read on wake, like localStorage', async () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    const backing = new Map<string, string>()
    const refresh = vi.fn(async (_: RefreshContext) => ({ accessToken: token(300) }))
    const auth = createAuthClient({ storage: idb(backing), refresh })
    await auth.ready
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await tick()
    const other = createAuthClient({ storage: idb(backing), refresh })
    await other.ready
    other.setTokens({ accessToken: token(300, { sub: 'other' }), refreshToken: 'rt2' })
    await tick()
    expect(auth.getState().claims).toMatchObject({ sub: 'user-1' })
    document.dispatchEvent(new Event('visibilitychange'))
    await tick(10)
    expect(auth.getState().claims).toMatchObject({ sub: 'other' })
    auth.destroy()
    other.destroy()
  })

  it('is re-read by the lock holder, which adopts a rotated token instead of spending the old one', async () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('navigator', { ...navigator, locks: undefined }) // the localStorage lease
    const backing = new Map<string, string>()
    let current = 'rt-0'
    const spent: Array<string | null> = []
    const refresh = vi.fn(async ({ refreshToken }: RefreshContext) => {
      spent.push(refreshToken)
      if (refreshToken !== current) throw Object.assign(new Error('reused'), { status: 401 })
      current = `rt-${spent.length}`
      return { accessToken: token(300, { n: spent.length }), refreshToken: current }
    })
    const a = createAuthClient({ storage: idb(backing), refresh })
    await a.ready
    a.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    await tick()
    const b = createAuthClient({ storage: idb(backing), refresh })
    await b.ready
    await a.refresh() // rt-0 → rt-1, stored
    await tick(10)
    const logouts: string[] = []
    b.on('logout', (e) => logouts.push(e.reason))
    await b.refresh()
    expect(spent).toEqual(['rt-0'])
    expect(logouts).toEqual([])
    expect(b.getState().accessToken).toBe(a.getState().accessToken)
    a.destroy()
    b.destroy()
  })
})

describe('an async shared storage that answers late (with the value it had when asked)', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  it('does not sign the user back in when a wake-up read lands after a logout', async () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    const backing = new Map<string, string>()
    const auth = createAuthClient({
      storage: slowStore(backing),
      refresh: async () => ({ accessToken: token(300) }),
    })
    await auth.ready
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await sleep(5)
    const events: string[] = []
    auth.on('login', () => events.push('login'))
    auth.on('logout', (e) => events.push(`logout:${e.reason}`))
    window.dispatchEvent(new Event('focus'))
    await sleep(1)
    await auth.logout()
    await sleep(50)
    expect(auth.getState().status).toBe('unauthenticated')
    expect(events).toEqual(['logout:user'])
    auth.destroy()
  })

  it('keeps the stored session when a start-up read fails once (a reload then restores it)', async () => {
    const backing = new Map<string, string>()
    const flaky = (failFirst: boolean): TokenStorage => {
      let first = failFirst
      return {
        get: async (k) => {
          if (first) {
            first = false
            throw new Error('busy')
          }
          return backing.get(k) ?? null
        },
        set: async (k, v) => void backing.set(k, v),
        remove: async (k) => void backing.delete(k),
      }
    }
    const before = createAuthClient({ storage: flaky(false) })
    await before.ready
    before.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await sleep(5)
    before.destroy()
    const failing = createAuthClient({ storage: flaky(true) })
    await failing.ready
    expect(failing.getState().error?.code).toBe('storage_unavailable')
    failing.destroy()
    const reloaded = createAuthClient({ storage: flaky(false) })
    await reloaded.ready
    expect(reloaded.getState().status).toBe('authenticated')
    reloaded.destroy()
  })
})
