// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type AuthClient,
  type AuthClientOptions,
  createAuthClient,
  type RefreshContext,
  type TokenSet,
  type TokenStorage,
} from '../src'
import { createTabSync } from '../src/tabSync'
import { token } from './helpers'
import { countChannels } from './support/browser'
import { createLocks } from './support/locks'

const wait = (ms = 20) => new Promise((r) => setTimeout(r, ms))
const clients: AuthClient[] = []
function tab(options: AuthClientOptions = {}) {
  const client = createAuthClient({ storage: 'localStorage', storageKey: 'tabs', ...options })
  clients.push(client)
  return client
}

/** A refresh endpoint with rotation and reuse detection, shared by every tab. */
function server(ttl = 300, delay = 0) {
  let current = 'rt-0'
  const stats = { refreshes: 0, reused: 0 }
  const refresh = vi.fn(async ({ refreshToken }: { refreshToken: string | null }): Promise<TokenSet> => {
    await wait(delay)
    if (refreshToken !== current) {
      stats.reused++
      throw Object.assign(new Error('reused'), { status: 401 })
    }
    stats.refreshes++
    current = `rt-${stats.refreshes}`
    return { accessToken: token(ttl, { n: stats.refreshes }), refreshToken: current }
  })
  return { refresh, stats, login: (): TokenSet => ({ accessToken: token(ttl), refreshToken: current }) }
}

beforeEach(() => {
  localStorage.clear()
})
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe.each([
  ['Web Locks', () => vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })],
  [
    'a localStorage lease (no Web Locks)',
    () => vi.stubGlobal('navigator', { ...navigator, locks: undefined }),
  ],
])('tabs sharing localStorage, with %s', (_, install) => {
  beforeEach(() => install())

  it('propagates setTokens, refresh and logout to every tab without echo writes', async () => {
    const { refresh, login } = server()
    const [a, b, c] = [tab({ refresh }), tab({ refresh }), tab({ refresh })]
    const events: string[] = []
    b.on('login', () => events.push('b:login'))
    b.on('refresh', () => events.push('b:refresh'))
    b.on('logout', (e) => events.push(`b:logout:${e.reason}`))
    const writes = vi.spyOn(localStorage, 'setItem')
    a.setTokens(login())
    await wait()
    expect(b.getState().accessToken).toBe(a.getState().accessToken)
    expect(c.getState().claims).toEqual(a.getState().claims)
    expect(writes.mock.calls.filter((call) => call[0] === 'tabs')).toHaveLength(1)
    await a.refresh()
    await wait()
    expect(b.getState().accessToken).toBe(a.getState().accessToken)
    await a.logout()
    await wait()
    expect([b.getState().status, c.getState().status]).toEqual(['unauthenticated', 'unauthenticated'])
    expect(events).toEqual(['b:login', 'b:refresh', 'b:logout:other_tab'])
  })

  it('five tabs whose token expires refresh exactly once, and every tab adopts the result', async () => {
    const { refresh, stats, login } = server(300, 30)
    const tabs = Array.from({ length: 5 }, () => tab({ refresh }))
    tabs[0]!.setTokens(login())
    await wait()
    const results = await Promise.all(tabs.map((t) => t.getAccessToken({ minValidity: 1000 })))
    expect(stats).toEqual({ refreshes: 1, reused: 0 })
    expect(new Set(results).size).toBe(1)
    expect(tabs.map((t) => t.getState().status)).toEqual(Array(5).fill('authenticated'))
  })

  it('a tab whose session ended while it waited for the lock does not refresh and logs out once', async () => {
    let reject!: (e: unknown) => void
    const refresh = vi.fn(() => new Promise<TokenSet>((_, r) => (reject = r)))
    const a = tab({ refresh })
    const b = tab({ refresh })
    a.setTokens({ accessToken: token(), refreshToken: 'rt' })
    await wait()
    const logouts: string[] = []
    b.on('logout', (e) => logouts.push(e.reason))
    const pa = a.refresh().catch((e) => e)
    await vi.waitFor(() => expect(refresh).toHaveBeenCalled())
    const pb = b.refresh().catch((e) => e)
    await wait()
    reject(Object.assign(new Error('revoked'), { status: 401 }))
    expect(await pa).toMatchObject({ code: 'refresh_rejected' })
    expect(await pb).toMatchObject({ code: 'no_refresh' })
    await wait()
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(logouts).toEqual(['other_tab'])
    expect(b.getState().status).toBe('unauthenticated')
  })
})

describe('the hand-off does not depend on storage catching up', () => {
  it('a tab that reads a stale entry after taking the lock adopts the broadcast token instead', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    // Each tab's view of the shared entry lags: it sees writes only when told to (as Chromium's
    // localStorage may, right after another tab wrote it).
    const backing = new Map<string, string>()
    const stale = new Map<string, string | null>()
    const lagging = (name: string): TokenStorage => ({
      get: (k) => (stale.has(name) ? stale.get(name)! : (backing.get(k) ?? null)),
      set: (k, v) => {
        for (const other of ['a', 'b']) if (other !== name) stale.set(other, backing.get(k) ?? null)
        backing.set(k, v)
      },
      remove: (k) => {
        backing.delete(k)
      },
      subscribe: () => () => {},
    })
    const { refresh, stats, login } = server(300, 10)
    const a = tab({ refresh, storage: lagging('a') })
    const b = tab({ refresh, storage: lagging('b') })
    a.setTokens(login())
    stale.clear()
    await wait()
    b.setTokens({ ...login() }) // b knows the same session
    stale.clear()
    await wait()
    await Promise.all([a.getAccessToken({ minValidity: 1000 }), b.getAccessToken({ minValidity: 1000 })])
    expect(stale.get('b') ?? stale.get('a')).toBeDefined() // one of them still sees the old entry
    expect(stats).toEqual({ refreshes: 1, reused: 0 })
    expect(a.getState().accessToken).toBe(b.getState().accessToken)
  })
})

describe('lease takeover', () => {
  it('a lease left by a dead tab blocks the others no longer than the wait bound', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: undefined })
    localStorage.setItem('latchkey:tabs:lock', JSON.stringify({ o: 'dead-tab', x: Date.now() + 60_000 }))
    const { refresh, stats, login } = server()
    const a = tab({ refresh, refreshTimeout: 100 })
    a.setTokens(login())
    const started = Date.now()
    await a.getAccessToken({ minValidity: 1000 })
    expect(stats.refreshes).toBe(1)
    // refreshTimeout + 5 s is the bound; the wait ends soon after it, not at the lease's 60 s.
    expect(Date.now() - started).toBeLessThan(8_000)
  }, 15_000)
})

describe('the localStorage lease (no Web Locks), one tab against another', () => {
  const LEASE = 'latchkey:race:lock'
  const lease = () => JSON.parse(localStorage.getItem(LEASE) ?? 'null')?.o
  beforeEach(() => {
    vi.useFakeTimers()
    vi.stubGlobal('navigator', { ...navigator, locks: undefined })
  })
  afterEach(() => vi.useRealTimers())

  it('another tab that writes the lease in the same instant wins: this one waits for it to let go', async () => {
    // Tabs are processes: another tab's write can land between this tab's look and its check.
    const setItem = localStorage.setItem.bind(localStorage)
    let raced = false
    vi.spyOn(localStorage, 'setItem').mockImplementation((key, value) => {
      setItem(key, value)
      if (key === LEASE && !raced) {
        raced = true
        setItem(LEASE, JSON.stringify({ o: 'other', x: Date.now() + 15_000 }))
      }
    })
    const sync = createTabSync('race', () => {}, 15_000)
    const fn = vi.fn(async () => 'refreshed')
    const result = sync.lock(fn)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(raced).toBe(true)
    expect(fn).not.toHaveBeenCalled()
    // The other tab's refresh ends and it lets go: this one takes the lease and runs.
    localStorage.removeItem(LEASE)
    await vi.advanceTimersByTimeAsync(500)
    expect(fn).toHaveBeenCalledOnce()
    await expect(result).resolves.toBe('refreshed')
    sync.close()
  })

  it('a tab whose lease was taken over while it ran leaves the new owner’s lease in place', async () => {
    const sync = createTabSync('race', () => {}, 15_000)
    let finish!: () => void
    const result = sync.lock(() => new Promise<void>((resolve) => (finish = resolve)))
    await vi.advanceTimersByTimeAsync(1_000)
    expect(lease()).not.toBeNull()
    // This tab was frozen past the wait bound: another tab took over and refreshes now.
    localStorage.setItem(LEASE, JSON.stringify({ o: 'other', x: Date.now() + 15_000 }))
    finish()
    await vi.advanceTimersByTimeAsync(1_000)
    await result
    // Removed, a third tab could enter while the other still refreshes: two refreshes, one reused token.
    expect(lease()).toBe('other')
    sync.close()
  })

  it('an expired lease (its tab closed mid-refresh) is not waited for', async () => {
    localStorage.setItem(LEASE, JSON.stringify({ o: 'closed', x: Date.now() - 1 }))
    const sync = createTabSync('race', () => {}, 15_000)
    const fn = vi.fn(async () => 'refreshed')
    const result = sync.lock(fn)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(fn).toHaveBeenCalledOnce()
    await expect(result).resolves.toBe('refreshed')
    sync.close()
  })
})

/**
 * A refresh endpoint that answers in 0.8 s and rotates the refresh token: `make(tab)` is a tab's
 * `refresh`, and `spends` lists each token spent, as `<token>:<tab>`. A reused token gets a 401.
 */
function slowRotation() {
  let current = 'rt-0'
  const spends: string[] = []
  const make =
    (name: string) =>
    async ({ refreshToken }: RefreshContext): Promise<TokenSet> => {
      spends.push(`${refreshToken}:${name}`)
      await wait(800)
      if (refreshToken !== current) throw Object.assign(new Error('reused'), { status: 401 })
      current = `rt-${spends.length}`
      return { accessToken: token(300, { n: spends.length }), refreshToken: current }
    }
  return { spends, make }
}

describe('lease takeover after a dead tab', () => {
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
  })

  it('is taken over once: the tab that lost the race does not overwrite the live lease later', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: undefined })
    const { spends, make } = slowRotation()
    const refreshTimeout = 1_000 // the wait is bounded at 6 s
    const b = tab({ refresh: make('b'), refreshTimeout })
    const c = tab({ refresh: make('c'), refreshTimeout })
    b.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    await wait()
    // A took the lease and was closed mid-refresh; B's and C's timers fire a moment after A's.
    localStorage.setItem('latchkey:tabs:lock', JSON.stringify({ o: 'dead-tab', x: Date.now() + 6_000 }))
    await wait(30)
    const results = await Promise.all([b.refresh().catch((e) => e.code), c.refresh().catch((e) => e.code)])
    expect({ spends, results }).toEqual({
      spends: [expect.stringMatching(/^rt-0:/)],
      results: [expect.stringMatching(/^ey/), expect.stringMatching(/^ey/)],
    })
  }, 20_000)
})

describe('the lease between tabs whose injected clocks differ', () => {
  it('a tab whose clock runs a minute ahead waits for the live lease: the refresh token is spent once', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: undefined })
    const { spends, make } = slowRotation()
    // An app that corrects for the server's clock: one tab measured it a minute apart from the other,
    // four times the lease's 15 s. The lease is judged on the clock the tabs share.
    const b = tab({ refresh: make('b') })
    const c = tab({ refresh: make('c'), now: () => Date.now() + 60_000 })
    b.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    await wait()
    const first = b.refresh()
    await wait(400) // B holds the lease (its start is spread over 0.2 s, then checked 60 ms on)
    expect(localStorage.getItem('latchkey:tabs:lock')).not.toBeNull()
    const second = c.refresh()
    const results = await Promise.all([first, second].map((p) => p.catch((e) => e.code)))
    expect({ spends, results }).toEqual({
      spends: ['rt-0:b'],
      results: [expect.stringMatching(/^ey/), expect.stringMatching(/^ey/)],
    })
    expect(c.getState().accessToken).toBe(b.getState().accessToken)
  }, 20_000)
})

/** A tab (`client`) that takes the lock `name` and freezes: it never lets go. */
const freeze = (
  locks: ReturnType<typeof createLocks>,
  client: string,
  name: string,
  options: { steal?: boolean } = {},
) => {
  locks
    .client(client)
    .request(name, options, () => new Promise(() => {}))
    .catch(() => {})
}

/**
 * The locks of tab `client`, whose second `query()` (its look in its turn) lets the stuck holder go
 * (the one `holdUntilLook` made) right after the snapshot.
 */
const lookingAt = (locks: ReturnType<typeof createLocks>, client: string) => {
  const own = locks.client(client)
  let looks = 0
  const stuck = { release: () => {} }
  const lockManager = {
    request: own.request,
    query: async () => {
      const snapshot = await own.query()
      if (++looks === 2) stuck.release()
      return snapshot
    },
  }
  /** Tab `holder` takes the lock (queued behind any holder) and keeps it until that look. */
  const holdUntilLook = (holder: string) =>
    locks
      .client(holder)
      .request('latchkey:tabs', () => new Promise<void>((resolve) => (stuck.release = resolve)))
      .catch(() => {})
  return { lockManager: lockManager as never, stuck, holdUntilLook }
}

/** Tab `client` takes the lock (queued behind any holder) and lets go `ms` after it got it. */
const holdFor = (locks: ReturnType<typeof createLocks>, client: string, ms: number) => {
  locks
    .client(client)
    .request('latchkey:tabs', () => new Promise((resolve) => setTimeout(resolve, ms)))
    .catch(() => {})
}

/**
 * The locks of tab `client`, whose page is busy (a long task) as the lock is granted: its callback,
 * and the rejection that follows a takeover (Chromium runs a granted callback first), come 100 ms late.
 */
const busy = (locks: ReturnType<typeof createLocks>, client: string) => {
  const own = locks.client(client)
  const late = () => new Promise((resolve) => setTimeout(resolve, 100))
  return {
    query: own.query,
    request: (n: string, o: object, f: (l: unknown) => unknown) =>
      n !== 'latchkey:tabs'
        ? own.request(n, o, f)
        : own
            .request(n, o, async (l) => {
              await late()
              return f(l)
            })
            .catch(async (e) => {
              await late()
              throw e
            }),
  } as never
}

describe('Web Lock takeover', () => {
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
    vi.useRealTimers()
  })

  it.each([0, 2_000])(
    'a stuck lock two tabs wait for is taken over once: one spend, no failure (C waits from %i ms after B)',
    async (lag) => {
      const locks = createLocks()
      /** A tab with a `navigator.locks` of its own (its own clientId), sharing the locks of the origin. */
      const tabOf = (id: string, options: AuthClientOptions) => {
        vi.stubGlobal('navigator', { ...navigator, locks: locks.client(id) })
        return tab(options)
      }
      const spends: string[] = []
      let answer!: () => void
      const answered = new Promise<void>((resolve) => (answer = resolve))
      let current = 'rt-0'
      const endpoint =
        (name: string) =>
        async ({ refreshToken }: RefreshContext): Promise<TokenSet> => {
          spends.push(`${refreshToken}:${name}`)
          await answered // the server answers when the test says so
          if (refreshToken !== current) throw Object.assign(new Error('reused'), { status: 401 })
          current = `rt-${spends.length}`
          return { accessToken: token(300, { n: spends.length }), refreshToken: current }
        }
      // A takes the lock and never lets go (its refresh neither returns nor times out): a frozen tab.
      const a = tabOf('a', { refresh: () => new Promise<TokenSet>(() => {}), refreshTimeout: 3_600_000 })
      // B and C wait for the lock at most refreshTimeout + 5 s = 10 s.
      const b = tabOf('b', { refresh: endpoint('b'), refreshTimeout: 5_000 })
      const c = tabOf('c', { refresh: endpoint('c'), refreshTimeout: 5_000 })
      const failures: string[] = []
      // No tab reports a failure: not B or C, nor A, whose refresh goes on after its lock was taken over.
      for (const t of [a, b, c]) t.on('refreshError', ({ error }) => failures.push(error.code))
      a.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
      await vi.waitFor(() => expect([b, c].map((t) => t.getState().isAuthenticated)).toEqual([true, true]))
      vi.useFakeTimers({ now: Date.now() })
      a.refresh().catch(() => {})
      await vi.advanceTimersByTimeAsync(10)
      expect((await locks.query()).held).toContainEqual(
        expect.objectContaining({ clientId: 'a', name: 'latchkey:tabs' }),
      )
      const pb = b.refresh().catch((e: { code: string }) => e.code)
      await vi.advanceTimersByTimeAsync(lag)
      const pc = c.refresh().catch((e: { code: string }) => e.code)
      // Both waits run out while the first takeover's refresh is still unanswered.
      await vi.advanceTimersByTimeAsync(10_000 + 500)
      expect({ spends, steals: locks.log }).toEqual({ spends: ['rt-0:b'], steals: ['steal'] })
      answer()
      await vi.advanceTimersByTimeAsync(1_000)
      const renewed = b.getState().accessToken
      expect(b.getState().claims).toMatchObject({ n: 1 })
      expect({ b: await pb, c: await pc, failures, spends }).toEqual({
        b: renewed,
        c: renewed,
        failures: [],
        spends: ['rt-0:b'],
      })
      expect(c.getState().accessToken).toBe(renewed)
    },
    15_000,
  )

  it('a tab that took the lock over and then froze is taken over too, after one more full wait', async () => {
    vi.useFakeTimers({ now: Date.now() })
    const locks = createLocks()
    freeze(locks, 'a', 'latchkey:tabs') // a frozen tab
    vi.stubGlobal('navigator', { ...navigator, locks: locks.client('c') })
    const { refresh, stats, login } = server()
    const c = tab({ refresh, refreshTimeout: 5_000 }) // waits at most 10 s
    c.setTokens(login())
    const pc = c.refresh()
    await vi.advanceTimersByTimeAsync(5_000)
    // Another tab (its wait began earlier) takes the lock over from A, and freezes too.
    freeze(locks, 'x', 'latchkey:tabs', { steal: true })
    await vi.advanceTimersByTimeAsync(5_500)
    // C's wait ran out, but X has held the lock for 5 s only: C waits once more.
    expect({ steals: locks.log.length, refreshes: stats.refreshes }).toEqual({ steals: 1, refreshes: 0 })
    await vi.advanceTimersByTimeAsync(10_000)
    expect({ steals: locks.log.length, refreshes: stats.refreshes }).toEqual({ steals: 2, refreshes: 1 })
    expect(await pc).toBe(c.getState().accessToken)
  })

  /** A rotating endpoint with reuse detection, answering `delay` ms later; `spends` lists every call. */
  function slowEndpoint(delay: number) {
    const spends: string[] = []
    let current = 'rt-0'
    const make =
      (name: string) =>
      async ({ refreshToken }: RefreshContext): Promise<TokenSet> => {
        spends.push(`${refreshToken}:${name}`)
        await new Promise((resolve) => setTimeout(resolve, delay))
        if (refreshToken !== current) throw Object.assign(new Error('reused'), { status: 401 })
        current = `rt-${spends.length}`
        return { accessToken: token(300, { n: spends.length }), refreshToken: current }
      }
    return { spends, make }
  }
  const tabWith = (
    locks: ReturnType<ReturnType<typeof createLocks>['client']>,
    options: AuthClientOptions,
  ) => {
    vi.stubGlobal('navigator', { ...navigator, locks })
    return tab(options)
  }

  it('is never taken from a second client of the same page while it refreshes (one clientId, two holds)', async () => {
    const locks = createLocks()
    const { spends, make } = slowEndpoint(7_000)
    const failures: string[] = []
    // One page, two clients: they share its navigator.locks and so its clientId.
    const page = locks.client('x')
    // x1's refresh hangs and times out after 5 s; then x2 takes the lock and refreshes for 7 s (within
    // its own refreshTimeout: once it timed out, its hold would be over and B's turn would be due).
    const x1 = tabWith(page, { refresh: () => new Promise<TokenSet>(() => {}), refreshTimeout: 5_000 })
    const x2 = tabWith(page, { refresh: make('x2'), refreshTimeout: 10_000 })
    const b = tabWith(locks.client('b'), { refresh: make('b'), refreshTimeout: 5_000 })
    for (const t of [x1, x2, b]) t.on('refreshError', ({ error }) => failures.push(error.code))
    x1.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    await vi.waitFor(() => expect([x2, b].map((t) => t.getState().isAuthenticated)).toEqual([true, true]))
    vi.useFakeTimers({ now: Date.now() })
    x1.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(10)
    x2.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(10)
    // B's wait (10 s) runs out at ~10 s, while x2 (granted at ~5 s) refreshes: not the hold B waited on.
    b.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(11_000)
    expect({ spends, steals: locks.log }).toEqual({ spends: ['rt-0:x2'], steals: [] })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(failures.filter((f) => f === 'refresh_rejected')).toEqual([])
  })

  it('is still taken over when a tab froze while deciding (the turn is waited for at most as long)', async () => {
    vi.useFakeTimers({ now: Date.now() })
    const locks = createLocks()
    freeze(locks, 'a', 'latchkey:tabs') // a frozen holder
    freeze(locks, 'x', 'latchkey-turn:tabs') // a tab frozen while it decides
    const { spends, make } = slowEndpoint(0)
    const c = tabWith(locks.client('c'), { refresh: make('c'), refreshTimeout: 5_000 })
    c.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    const pc = c.refresh()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(spends).toEqual(['rt-0:c'])
    expect(await pc).toBe(c.getState().accessToken)
  })

  it.each([
    ['at once', 0],
    ['1 ms later', 1],
  ])(
    'is taken over by one tab when two take the turn from a tab frozen while deciding (query answers %s)',
    async (_, latency) => {
      const locks = createLocks()
      freeze(locks, 'a', 'latchkey:tabs') // a frozen holder
      freeze(locks, 'x', 'latchkey-turn:tabs') // a tab frozen while it decides
      const slow = (l: ReturnType<typeof locks.client>) => ({
        request: l.request,
        query: async () => {
          const snapshot = await l.query()
          await new Promise((resolve) => setTimeout(resolve, latency))
          return snapshot
        },
      })
      const { spends, make } = slowEndpoint(3_000)
      const failures: string[] = []
      const b = tabWith(slow(locks.client('b')) as never, { refresh: make('b'), refreshTimeout: 5_000 })
      const c = tabWith(slow(locks.client('c')) as never, { refresh: make('c'), refreshTimeout: 5_000 })
      for (const t of [b, c]) t.on('refreshError', ({ error }) => failures.push(error.code))
      b.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
      await vi.waitFor(() => expect(c.getState().isAuthenticated).toBe(true))
      vi.useFakeTimers({ now: Date.now() })
      // Tabs of one session refresh at the same instant (same exp, same leeway): their waits end together.
      const pb = b.refresh().catch((e: { code: string }) => e.code)
      const pc = c.refresh().catch((e: { code: string }) => e.code)
      await vi.advanceTimersByTimeAsync(60_000)
      expect({ spends, failures, results: [await pb, await pc] }).toEqual({
        spends: [expect.stringMatching(/^rt-0:/)],
        failures: [],
        results: [expect.stringMatching(/^ey/), expect.stringMatching(/^ey/)],
      })
    },
  )

  it('is not taken over by a tab that thaws on a decision its turn was taken from meanwhile', async () => {
    const locks = createLocks()
    freeze(locks, 'a', 'latchkey:tabs') // a frozen holder
    const { spends, make } = slowEndpoint(3_000)
    const failures: string[] = []
    // B's event loop stops for 11 s right after it asked, in its turn, who holds the lock.
    const own = locks.client('b')
    let queries = 0
    const frozenB = {
      request: own.request,
      query: async () => {
        const snapshot = await own.query()
        if (++queries === 2) await new Promise((resolve) => setTimeout(resolve, 11_000))
        return snapshot
      },
    }
    const b = tabWith(frozenB as never, { refresh: make('b'), refreshTimeout: 5_000 })
    const c = tabWith(locks.client('c'), { refresh: make('c'), refreshTimeout: 5_000 })
    for (const t of [b, c]) t.on('refreshError', ({ error }) => failures.push(error.code))
    b.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    await vi.waitFor(() => expect(c.getState().isAuthenticated).toBe(true))
    vi.useFakeTimers({ now: Date.now() })
    b.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(10)
    c.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(60_000)
    expect({ spends, failures }).toEqual({ spends: [expect.stringMatching(/^rt-0:/)], failures: [] })
  })

  it('is taken over within the bound when the wait began as the holder was granted (before its mark)', async () => {
    const locks = createLocks()
    const { spends, make } = slowEndpoint(0)
    // A takes the lock and freezes mid-refresh (its refresh neither returns nor times out).
    const a = tabWith(locks.client('a'), {
      refresh: () => new Promise<TokenSet>(() => {}),
      refreshTimeout: 3_600_000,
    })
    const b = tabWith(locks.client('b'), { refresh: make('b'), refreshTimeout: 5_000 })
    a.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    await vi.waitFor(() => expect(b.getState().isAuthenticated).toBe(true))
    vi.useFakeTimers({ now: Date.now() })
    // Both tabs' refreshes start at the same instant (one session, one exp): A is granted first.
    a.refresh().catch(() => {})
    b.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(10_500) // refreshTimeout + 5 s, and a little
    expect(spends).toEqual(['rt-0:b'])
  })

  it("keeps each key's turn and marks apart from another key's lock (storageKey 'a:takeover')", async () => {
    const locks = createLocks()
    freeze(locks, 'a0', 'latchkey:a') // key 'a': a frozen holder
    const first = slowEndpoint(0)
    const second = slowEndpoint(25_000) // key 'a:takeover': a slow but live refresh
    const b = tabWith(locks.client('b'), { storageKey: 'a', refresh: first.make('b'), refreshTimeout: 5_000 })
    const p = tabWith(locks.client('p'), {
      storageKey: 'a:takeover',
      refresh: second.make('p'),
      refreshTimeout: 30_000,
    })
    const q = tabWith(locks.client('q'), {
      storageKey: 'a:takeover',
      refresh: second.make('q'),
      refreshTimeout: 30_000,
    })
    b.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    p.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    await vi.waitFor(() => expect(q.getState().isAuthenticated).toBe(true))
    vi.useFakeTimers({ now: Date.now() })
    p.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(10)
    q.refresh().catch(() => {})
    b.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(60_000)
    expect(second.spends).toEqual(['rt-0:p'])
  })

  it('is not taken from a live tab whose async storage is slow: the wait covers its read, refresh and write', async () => {
    const locks = createLocks()
    const { spends, make } = slowEndpoint(9_000) // slow, but within refreshTimeout
    // An async storage (IndexedDB, say) both tabs share; A's reads and writes hang when told to.
    const backing = new Map<string, string>()
    let hang = 0
    const storage = (name: string): TokenStorage => ({
      get: (k) => new Promise((r) => setTimeout(() => r(backing.get(k) ?? null), name === 'a' ? hang : 0)),
      set: (k, v) => {
        backing.set(k, v)
        return new Promise((r) => setTimeout(r, name === 'a' ? hang : 0))
      },
      remove: async (k) => {
        backing.delete(k)
      },
      subscribe: () => () => {},
    })
    const a = tabWith(locks.client('a'), {
      storage: storage('a'),
      refresh: make('a'),
      refreshTimeout: 10_000,
    })
    const b = tabWith(locks.client('b'), {
      storage: storage('b'),
      refresh: make('b'),
      refreshTimeout: 10_000,
    })
    await Promise.all([a.ready, b.ready])
    a.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    await vi.waitFor(() => expect(b.getState().isAuthenticated).toBe(true))
    vi.useFakeTimers({ now: Date.now() })
    hang = 60_000 // each wait on A's storage ends at refreshTimeout
    const pa = a.refresh().catch((e: { code: string }) => e.code)
    await vi.advanceTimersByTimeAsync(10)
    const pb = b.refresh().catch((e: { code: string }) => e.code)
    // A holds the lock ~29 s (10 s reading, 9 s refreshing, 10 s writing): B waits for it.
    await vi.advanceTimersByTimeAsync(70_000)
    const renewed = a.getState().accessToken
    expect({ spends, steals: locks.log, results: [await pa, await pb] }).toEqual({
      spends: ['rt-0:a'],
      steals: [],
      results: [renewed, renewed],
    })
  })

  it('leaves nothing queued for the turn after destroy(), and refresh() rejects with destroyed', async () => {
    vi.useFakeTimers({ now: Date.now() })
    const locks = createLocks()
    freeze(locks, 'a', 'latchkey:tabs')
    freeze(locks, 'x', 'latchkey-turn:tabs')
    const c = tabWith(locks.client('c'), { refresh: slowEndpoint(0).make('c'), refreshTimeout: 5_000 })
    c.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    const pc = c.refresh().catch((e: { code: string }) => e.code)
    await vi.advanceTimersByTimeAsync(10_500) // C's wait ran out: it queues for its turn
    c.destroy()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(await pc).toBe('destroyed')
    expect((await locks.query()).pending.filter((p) => p.clientId === 'c')).toEqual([])
  })

  it('takes nothing over for a refresh that already failed because its lock request was refused', async () => {
    vi.useFakeTimers({ now: Date.now() })
    const locks = createLocks()
    freeze(locks, 'a', 'latchkey:tabs')
    // The browser refuses the queued request (InvalidStateError: a document not fully active, say);
    // stealing would still work.
    const own = locks.client('c')
    const refusing = {
      query: own.query,
      request: (n: string, o: { signal?: AbortSignal }, f: (l: unknown) => unknown) =>
        n === 'latchkey:tabs' && o.signal
          ? Promise.reject(new DOMException('Not fully active', 'InvalidStateError'))
          : own.request(n, o, f),
    }
    const { spends, make } = slowEndpoint(0)
    const c = tabWith(refusing as never, {
      refresh: make('c'),
      refreshTimeout: 5_000,
      retry: { attempts: 1 },
    })
    c.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    const pc = c.refresh().catch((e: { code: string }) => e.code)
    await vi.advanceTimersByTimeAsync(100)
    expect(await pc).toBe('refresh_failed')
    // The failed refresh's wait must not run out into a takeover that refreshes after all.
    await vi.advanceTimersByTimeAsync(60_000)
    expect({ spends, steals: locks.log }).toEqual({ spends: [], steals: [] })
  })

  // Polyfills of Web Locks for browsers without them implement request() only: bitovi's
  // web-locks-polyfill makes `query` a getter that throws ("not implemented"), others leave it out.
  it.each([
    [
      'a getter that throws',
      (o: object) =>
        Object.defineProperty(o, 'query', {
          get: () => {
            throw new Error('not implemented')
          },
        }),
    ],
    ['missing', (o: object) => o],
  ])('refreshes under a LockManager whose query() is %s', async (_, shape) => {
    const own = createLocks().client('c')
    const noQuery = shape({ request: own.request })
    const { spends, make } = slowEndpoint(0)
    const c = tabWith(noQuery as never, { refresh: make('c'), refreshTimeout: 5_000 })
    c.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    const pc = c.refresh().then(
      () => 'renewed',
      (e: { code: string }) => e.code,
    )
    expect(await Promise.race([pc, wait(1_000).then(() => 'still waiting')])).toBe('renewed')
    expect(spends).toEqual(['rt-0:c'])
  })

  it('runs nothing for a grant taken over before its late callback when the tab closed meanwhile', async () => {
    vi.useFakeTimers({ now: Date.now() })
    const locks = createLocks()
    vi.stubGlobal('navigator', { ...navigator, locks: busy(locks, 'b') }) // its grant runs late
    const b = createTabSync('tabs', () => {}, 15_000)
    const fn = vi.fn(async () => 'refreshed')
    const result = b.lock(fn).catch((e: Error) => `rejected: ${e.message}`)
    await vi.advanceTimersByTimeAsync(10)
    // Granted to B, then taken over by C before B's callback runs; B is torn down meanwhile.
    freeze(locks, 'c', 'latchkey:tabs', { steal: true })
    b.close()
    await vi.advanceTimersByTimeAsync(1_000)
    expect({ result: await result, calls: fn.mock.calls.length }).toEqual({
      result: 'rejected: closed',
      calls: 0,
    })
  })

  it('keeps the place of a tab whose wait ran out behind live holders: tabs that asked later never overtake it', async () => {
    const locks = createLocks()
    const t0 = { at: 0 }
    const granted: string[] = []
    // Live tabs in an outage: each refresh hangs until refreshTimeout (10 s) aborts it, so each hold
    // lasts ~10 s, and waits are bounded at 15 s.
    const tabs = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) =>
      tabWith(locks.client(id), {
        refresh: () => {
          granted.push(`${id}@${Math.round((Date.now() - t0.at) / 1000)}s`)
          return new Promise<TokenSet>(() => {})
        },
        refreshTimeout: 10_000,
        retry: { attempts: 1 },
      }),
    )
    tabs[0]!.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    await vi.waitFor(() => expect(tabs.every((t) => t.getState().isAuthenticated)).toBe(true))
    vi.useFakeTimers({ now: Date.now() })
    t0.at = Date.now()
    // A, B and C ask at once (one session, one exp); D, E and F ask later, while C still waits.
    for (const [i, at] of [0, 0, 0, 12_000, 22_000, 32_000].entries())
      setTimeout(() => tabs[i]!.refresh().catch(() => {}), at)
    await vi.advanceTimersByTimeAsync(80_000)
    // C's wait ran out at 15 s while B held the lock: C is granted right after B, not after D, E and F.
    expect({ granted, steals: locks.log }).toEqual({
      granted: ['a@0s', 'b@10s', 'c@20s', 'd@30s', 'e@40s', 'f@50s'],
      steals: [],
    })
  })

  it.each([
    ['C, which asked first', false],
    ['D, which asked first but whose wait began again when the lock changed hands', true],
  ])(
    'runs one refresh when the stuck holder A lets go as C takes the lock over, and the lock goes to %s',
    async (_, dFirst) => {
      const locks = createLocks()
      const { spends, make } = slowEndpoint(500)
      const failures: string[] = []
      // C's look at the holder in its turn (its second query) shows A, and A lets go right after it.
      const looking = lookingAt(locks, 'c')
      const c = tabWith(looking.lockManager, { refresh: make('c'), refreshTimeout: 5_000 })
      const d = tabWith(locks.client('d'), { refresh: make('d'), refreshTimeout: 5_000 })
      for (const t of [c, d]) t.on('refreshError', ({ error }) => failures.push(error.code))
      c.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
      await vi.waitFor(() => expect(d.getState().isAuthenticated).toBe(true))
      vi.useFakeTimers({ now: Date.now() })
      // D first: X holds the lock for 8 s, then A. D's wait, begun under X, runs out at 10 s under A:
      // it watches A for another 10 s, still queued ahead of C, which asks at 9 s.
      if (dFirst) holdFor(locks, 'x', 8_000)
      // A holds the lock, frozen, until C's look.
      looking.holdUntilLook('a')
      const [first, second] = dFirst ? [d, c] : [c, d]
      const p1 = first.refresh().catch((e: { code: string }) => e.code)
      await vi.advanceTimersByTimeAsync(dFirst ? 9_000 : 5_000)
      const p2 = second.refresh().catch((e: { code: string }) => e.code)
      // C's wait runs out (10 s after it asked): it takes the lock over as A lets go, and the lock
      // goes to the next request in the queue in the same instant.
      await vi.advanceTimersByTimeAsync(20_000)
      const renewed = first.getState().accessToken
      expect({ spends, failures, steals: locks.log, results: [await p1, await p2] }).toEqual({
        // One refresh, whichever tab makes it (with D first, D sees the lock taken from it and waits).
        spends: [expect.stringMatching(/^rt-0:[cd]$/)],
        failures: [],
        steals: ['steal'],
        results: [renewed, renewed],
      })
    },
  )

  // After its steal, C looks for the marks of holds begun since a fixed HOLD (50 ms) in. A hold granted
  // to D in the instant of the steal has no mark until D's callback runs: on a page busy longer than
  // that (a long task), C finds none and refreshes. D, whose callback then runs, must see that the
  // lock it was granted is no longer its own, and wait its turn again instead of refreshing too.
  it('runs one refresh when the lock goes to D as C takes it over and D runs that grant 100 ms late (a busy page)', async () => {
    const locks = createLocks()
    const { spends, make } = slowEndpoint(500)
    const failures: string[] = []
    // C's look at the holder in its turn (its second query) shows A, and A lets go right after it.
    const looking = lookingAt(locks, 'c')
    const c = tabWith(looking.lockManager, { refresh: make('c'), refreshTimeout: 5_000 })
    const d = tabWith(busy(locks, 'd'), { refresh: make('d'), refreshTimeout: 5_000 })
    for (const t of [c, d]) t.on('refreshError', ({ error }) => failures.push(error.code))
    c.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    await vi.waitFor(() => expect(d.getState().isAuthenticated).toBe(true))
    vi.useFakeTimers({ now: Date.now() })
    // X holds the lock for 8 s, then A, frozen until C's look. D asks first and is queued ahead of C.
    holdFor(locks, 'x', 8_000)
    looking.holdUntilLook('a')
    const pd = d.refresh().catch((e: { code: string }) => e.code)
    await vi.advanceTimersByTimeAsync(9_000)
    const pc = c.refresh().catch((e: { code: string }) => e.code)
    // C's wait runs out at 19 s: it takes the lock over as A lets go and the lock goes to D.
    await vi.advanceTimersByTimeAsync(30_000)
    expect({ spends, failures, steals: locks.log }).toEqual({
      spends: [expect.stringMatching(/^rt-0:/)],
      failures: [],
      steals: ['steal'],
    })
    const renewed = c.getState().accessToken
    expect([await pc, await pd]).toEqual([renewed, renewed])
  })

  it('is not taken from C1 while C1 refreshes after waiting out a hold D began in the instant of its takeover', async () => {
    const locks = createLocks()
    const { spends, make } = slowEndpoint(3_000)
    const failures: string[] = []
    // C1's look at the holder in its turn (its second query) shows A, and A lets go right after it.
    const looking = lookingAt(locks, 'c1')
    // D is granted the lock as C1 takes it over, and freezes mid-refresh (its timers stop too).
    const d = tabWith(locks.client('d'), {
      refresh: () => new Promise<TokenSet>(() => {}),
      refreshTimeout: 3_600_000,
    })
    const c1 = tabWith(looking.lockManager, { refresh: make('c1'), refreshTimeout: 5_000 })
    const c2 = tabWith(locks.client('c2'), { refresh: make('c2'), refreshTimeout: 5_000 })
    for (const t of [c1, c2]) t.on('refreshError', ({ error }) => failures.push(error.code))
    c1.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    await vi.waitFor(() => expect(c2.getState().isAuthenticated).toBe(true))
    vi.useFakeTimers({ now: Date.now() })
    // X holds the lock for 8 s, then A, frozen until C1's look. D asks first and is queued ahead of C1.
    holdFor(locks, 'x', 8_000)
    looking.holdUntilLook('a')
    d.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(9_000)
    const p1 = c1.refresh().catch((e: { code: string }) => e.code)
    await vi.advanceTimersByTimeAsync(500)
    const p2 = c2.refresh().catch((e: { code: string }) => e.code)
    // C1 takes the lock over at 19 s, as it goes to D; C1 waits for D's hold (10 s), then refreshes.
    await vi.advanceTimersByTimeAsync(60_000)
    expect({ spends, failures, steals: locks.log }).toEqual({
      spends: ['rt-0:c1'],
      failures: [],
      steals: ['steal'],
    })
    const renewed = c1.getState().accessToken
    expect([await p1, await p2]).toEqual([renewed, renewed])
  })
})

describe('per-tab modes', () => {
  it('memory and sessionStorage stay per tab; syncTabs: "memory" shares a memory session', async () => {
    const a = tab({ storage: 'memory' })
    const b = tab({ storage: 'memory' })
    a.setTokens({ accessToken: token() })
    await wait()
    expect(b.getState().status).toBe('unauthenticated')
    const s1 = tab({ storage: 'sessionStorage' })
    const s2 = tab({ storage: 'sessionStorage', storageKey: 'other' })
    s1.setTokens({ accessToken: token() })
    await wait()
    expect(s2.getState().status).toBe('unauthenticated')
    const m1 = tab({ storage: 'memory', syncTabs: 'memory', storageKey: 'mem' })
    const m2 = tab({ storage: 'memory', syncTabs: 'memory', storageKey: 'mem' })
    m1.setTokens({ accessToken: token() })
    await wait()
    expect(m2.getState().accessToken).toBe(m1.getState().accessToken)
    // A tab opened later asks the open ones for the session.
    const m3 = tab({ storage: 'memory', syncTabs: 'memory', storageKey: 'mem' })
    expect(m3.getState().status).toBe('unauthenticated')
    await wait()
    expect(m3.getState().accessToken).toBe(m1.getState().accessToken)
  })

  it('syncTabs: false ignores other tabs', async () => {
    const a = tab()
    const b = tab({ syncTabs: false })
    a.setTokens({ accessToken: token() })
    window.dispatchEvent(new StorageEvent('storage', { key: 'tabs', newValue: localStorage.getItem('tabs') }))
    await wait()
    expect(b.getState().status).toBe('unauthenticated')
  })

  it('destroy() closes the channel and the storage listener', async () => {
    const a = tab()
    const b = tab()
    b.destroy()
    a.setTokens({ accessToken: token() })
    window.dispatchEvent(new StorageEvent('storage', { key: 'tabs', newValue: localStorage.getItem('tabs') }))
    await wait()
    expect(b.getState().status).toBe('unauthenticated')
  })

  // A listener told of the failed removal destroys the client in the middle of logout(), which goes on to
  // tell the other tabs: posted on the closed channel, it threw, and logout(), which never rejects, did.
  it('logout() resolves when an error listener destroyed the client midway, and posts nothing after', async () => {
    // A shared storage whose removals fail.
    const entries = new Map<string, string>()
    const storage: TokenStorage = {
      get: (key) => entries.get(key) ?? null,
      set: (key, value) => void entries.set(key, value),
      remove: () => {
        throw new Error('quota')
      },
      subscribe: () => () => {},
    }
    const a = tab({ storage })
    a.setTokens({ accessToken: token(), refreshToken: 'rt' })
    a.on('error', () => a.destroy())
    const other = new BroadcastChannel('latchkey:tabs')
    const heard: unknown[] = []
    other.onmessage = ({ data }) => heard.push(data)
    await expect(a.logout()).resolves.toBeUndefined()
    await wait()
    // The ended sign-ins, told before the removal; nothing once the client was destroyed.
    expect(heard).toEqual([[0, expect.any(String)]])
    other.close()
  })
})

describe('a sign-in, a sign-out and a new sign-in in one tab before another tab heard the first', () => {
  // The other tab hears the first sign-in's message and reads storage, which holds the new sign-in
  // already. The logout's message, still queued, must not end that new sign-in: in every tab it
  // signed the user out for good (the removal reached the tab that signed in again too).
  it('ends the first sign-in only: every tab keeps the new one, and the events say what happened', async () => {
    const [a, b] = [tab(), tab()]
    const seen: string[] = []
    a.on('logout', (e) => seen.push(`a logout ${e.reason}`))
    b.on('login', (s) => seen.push(`b login ${s.claims?.n}`))
    b.on('refresh', (s) => seen.push(`b refresh ${s.claims?.n}`))
    b.on('logout', (e) => seen.push(`b logout ${e.reason}`))
    a.setTokens({ accessToken: token(300, { n: 1 }), refreshToken: 'rt-1' })
    a.logout()
    const next = token(300, { n: 2 })
    a.setTokens({ accessToken: next, refreshToken: 'rt-2' })
    await wait()
    expect(seen).toEqual(['a logout user', 'b login 1', 'b logout other_tab', 'b login 2'])
    expect([a.getState().accessToken, b.getState().accessToken]).toEqual([next, next])
    expect(localStorage.getItem('tabs')).toContain(next)
  })
})

describe('named removals on the wire', () => {
  it('come with a null for older versions, which this version drops; a null from an older version passes', async () => {
    const heard: unknown[] = []
    const a = createTabSync('wire', () => {}, 1_000)
    const b = createTabSync('wire', (m) => heard.push(m), 1_000)
    // An older version's tab: it drops the removal (an array that starts below 0) and follows the null.
    const older = new BroadcastChannel('latchkey:wire')
    const seen: unknown[] = []
    older.onmessage = ({ data }) => seen.push(data)
    a.post([-1, 2, 'id'])
    await wait()
    older.postMessage(null)
    await wait()
    expect(seen).toEqual([[-1, 2, 'id'], null])
    expect(heard).toEqual([[-1, 2, 'id'], null])
    for (const c of [a, b, older]) c.close()
  })
})

describe('the back-forward cache', () => {
  const transition = (type: 'pagehide' | 'pageshow', persisted: boolean) =>
    window.dispatchEvent(Object.assign(new Event(type), { persisted }))
  /** Another tab's channel of the key: it hears none of this window's page transitions. */
  const otherTab = (key: string) => new BroadcastChannel(`latchkey:${key}`)

  it('closes the channel as the page enters it, and opens it again when the page comes back', async () => {
    const heard: unknown[] = []
    const here = createTabSync('bf', (m) => heard.push(m), 1_000)
    const other = otherTab('bf')
    const fromHere: unknown[] = []
    other.onmessage = ({ data }) => fromHere.push(data)
    transition('pagehide', true)
    // Broadcast while the page is away: it does not reach it (in Chromium it would evict the page).
    other.postMessage(1)
    // Posted as the page leaves (a logout in the app's own pagehide handler, a refresh that ended then):
    // sent on a channel opened for it and closed at once, so the other tabs hear it and the page hears
    // nothing, and no channel is left open.
    const channels = countChannels()
    here.post(0)
    expect(channels).toMatchObject({ opened: 1, open: 0 })
    await wait()
    expect([heard, fromHere]).toEqual([[], [0]])
    transition('pageshow', true)
    other.postMessage(2)
    here.post(1)
    await wait()
    expect([heard, fromHere]).toEqual([[2], [0, 1]])
    here.close()
    other.close()
  })

  it('sends a removal made as the page leaves with its null, in order, on the one channel opened for it', async () => {
    const here = createTabSync('bf-removal', () => {}, 1_000)
    const heard: unknown[] = []
    // A tab of this version in another window: it hears none of this window's page transitions.
    const listen = vi.spyOn(window, 'addEventListener').mockImplementation(() => {})
    const there = createTabSync('bf-removal', (m) => heard.push(m), 1_000)
    listen.mockRestore()
    // An older version's tab follows the null alone.
    const older = otherTab('bf-removal')
    const seen: unknown[] = []
    older.onmessage = ({ data }) => seen.push(data)
    const channels = countChannels()
    transition('pagehide', true)
    here.post([-1, 3, 'id'])
    expect(channels).toMatchObject({ opened: 1, open: 0 })
    await wait()
    expect(seen).toEqual([[-1, 3, 'id'], null])
    // This version's drops the null that follows a removal.
    expect(heard).toEqual([[-1, 3, 'id']])
    transition('pageshow', true)
    for (const c of [here, there, older]) c.close()
  })

  it('keeps the channel for a page that is unloaded or shown for the first time, and after close()', async () => {
    const heard: unknown[] = []
    const here = createTabSync('bf2', (m) => heard.push(m), 1_000)
    const other = otherTab('bf2')
    transition('pagehide', false)
    transition('pageshow', false)
    other.postMessage(1)
    await wait()
    expect(heard).toEqual([1])
    here.close()
    // Closed for good: a later return from the cache opens nothing.
    transition('pageshow', true)
    other.postMessage(2)
    await wait()
    expect(heard).toEqual([1])
    other.close()
  })
})

describe('the back-forward cache, and destroy()', () => {
  it('a client destroyed while its page is in the cache opens nothing when the page comes back', async () => {
    const channels = countChannels()
    const auth = tab({ storageKey: 'bf-destroyed' })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true }))
    expect(channels.open).toBe(0)
    auth.destroy()
    window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }))
    await wait()
    expect(channels).toMatchObject({ opened: 1, open: 0 })
  })
})

describe('the back-forward cache, for a session only the other tabs can tell of', () => {
  // Memory shared over the channel, and sessionStorage copies of one sign-in: no shared storage holds
  // what the other tabs did, so a page that comes back cannot read it there. It keeps its channel: a
  // message then evicts it (Chromium), and its reload asks the open tabs, as any new tab does.
  const transition = (type: 'pagehide' | 'pageshow', persisted: boolean) =>
    window.dispatchEvent(Object.assign(new Event(type), { persisted }))
  /** A client in another tab: one that hears none of this window's page transitions. */
  const inOtherTab = (options: AuthClientOptions) => {
    const listen = vi.spyOn(window, 'addEventListener').mockImplementation(() => {})
    try {
      return tab(options)
    } finally {
      listen.mockRestore()
    }
  }
  afterEach(() => sessionStorage.clear())

  it('a memory session: a logout in another tab while the page is away does not leave it signed in', async () => {
    const options: AuthClientOptions = { storage: 'memory', syncTabs: 'memory', storageKey: 'bf-memory' }
    const here = tab(options)
    here.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const there = inOtherTab(options)
    await wait()
    expect(there.getState().accessToken).toBe(here.getState().accessToken)
    transition('pagehide', true)
    await there.logout()
    await wait()
    transition('pageshow', true)
    await wait()
    expect(here.getState()).toMatchObject({ status: 'unauthenticated', accessToken: null })
  })

  it('copies of a sessionStorage sign-in: the page takes the renewal another copy made while it was away', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const spent: string[] = []
    let n = 0
    const refresh = async ({ refreshToken }: RefreshContext): Promise<TokenSet> => {
      spent.push(refreshToken!)
      return { accessToken: token(300, { n: ++n }), refreshToken: `rt-${n}` }
    }
    const options: AuthClientOptions = { storage: 'sessionStorage', storageKey: 'bf-copies', refresh }
    const here = tab(options)
    here.setTokens({ accessToken: token(), refreshToken: 'rt-0' })
    const there = inOtherTab(options)
    transition('pagehide', true)
    await there.refresh()
    await wait()
    transition('pageshow', true)
    await wait()
    expect(here.getState().accessToken).toBe(there.getState().accessToken)
    // Its own refresh spends the copies' current refresh token, not the one spent while it was away.
    await here.refresh()
    expect(spent).toEqual(['rt-0', 'rt-1'])
  })
})
