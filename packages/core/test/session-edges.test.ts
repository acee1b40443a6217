import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, type RefreshContext, type TokenSet, type TokenStorage } from '../src'
import { flush, rawJwt, T0, token } from './helpers'
import { createLocks } from './support/locks'
import { sharedArea, slowStore } from './support/storages'

/**
 * Edges of the session engine found in review: a refresh that outlives its token or its session,
 * errors found while the client is created, and a lock wait longer than a timer allows.
 */
describe('a refresh in flight', () => {
  beforeEach(() => vi.useFakeTimers({ now: T0 }))
  afterEach(() => vi.useRealTimers())

  it('does not keep the status authenticated past exp: it turns expired (with the event) on time', async () => {
    // A refresh that takes 8 s (under the 10 s timeout), started 5 s before exp.
    const refresh = vi.fn(
      () => new Promise<never>((_, reject) => setTimeout(() => reject(new Error('slow 503')), 8_000)),
    )
    const auth = createAuthClient({ refresh, syncTabs: false })
    const expired = vi.fn()
    auth.on('expired', expired)
    auth.setTokens({ accessToken: token(10), refreshToken: 'rt' }) // leeway capped at 5 s
    await vi.advanceTimersByTimeAsync(5_000)
    expect(refresh).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(6_000) // the token expired 1 s ago; the refresh still runs
    expect(auth.getState()).toMatchObject({ status: 'expired', isRefreshing: true })
    expect(expired).toHaveBeenCalledTimes(1)
    auth.destroy()
  })

  it("belongs to its session: after setTokens, refresh() refreshes the new session, not the old one's", async () => {
    const seen: Array<string | null> = []
    const refresh = vi.fn(async ({ refreshToken }: RefreshContext) => {
      seen.push(refreshToken)
      if (refreshToken === 'rt-old') return new Promise<never>(() => {}) // hangs
      return { accessToken: token(300, { n: 2 }), refreshToken: 'rt-new-2' }
    })
    const auth = createAuthClient({ refresh, syncTabs: false })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt-old' })
    const old = auth.refresh()
    await flush()
    expect(auth.getState().isRefreshing).toBe(true)
    auth.setTokens({ accessToken: token(300, { sub: 'user-2' }), refreshToken: 'rt-new' })
    expect(auth.getState().isRefreshing).toBe(false)
    await expect(auth.refresh()).resolves.toEqual(expect.any(String))
    await expect(old).rejects.toMatchObject({ code: 'no_refresh' })
    expect(seen).toEqual(['rt-old', 'rt-new'])
    expect(auth.getState()).toMatchObject({ status: 'authenticated', error: null })
    auth.destroy()
  })

  it('of the old session does not hold back a new session that is due at once', async () => {
    const seen: Array<[string | null, number]> = []
    const refresh = vi.fn(async ({ refreshToken }: RefreshContext) => {
      seen.push([refreshToken, Date.now() - T0])
      if (refreshToken === 'rt-old') return new Promise<never>(() => {})
      return { accessToken: token(300, { n: 2 }), refreshToken: 'rt-new-2' }
    })
    const auth = createAuthClient({ refresh, syncTabs: false })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt-old' })
    auth.refresh().catch(() => {})
    await flush()
    // No iat and 30 s left: due at once (leeway 60 s, not capped).
    const exp = Math.floor(T0 / 1000) + 30
    auth.setTokens({ accessToken: rawJwt({ alg: 'HS256' }, { sub: 'u2', exp }), refreshToken: 'rt-new' })
    await vi.advanceTimersByTimeAsync(1_000)
    expect(seen).toEqual([
      ['rt-old', 0],
      ['rt-new', 0],
    ])
    auth.destroy()
  })
})

describe('destroy()', () => {
  const settle = (p: Promise<unknown>) =>
    Promise.race([
      p.then(
        (value) => ({ value }),
        (e) => ({ rejected: e?.code }),
      ),
      new Promise((resolve) => setTimeout(() => resolve('still pending'), 50)),
    ])

  it('settles calls waiting on a storage read that never finishes', async () => {
    const storage: TokenStorage = { get: () => new Promise<never>(() => {}), set: () => {}, remove: () => {} }
    const auth = createAuthClient({ storage })
    expect(auth.getState().status).toBe('loading')
    const token = auth.getAccessToken()
    const refreshed = auth.refresh()
    auth.destroy()
    expect(await settle(token)).toEqual({ rejected: 'destroyed' })
    expect(await settle(refreshed)).toEqual({ rejected: 'destroyed' })
  })

  it('aborts the signal given to options.login, and login() rejects with destroyed', async () => {
    let signal: AbortSignal | undefined
    const login = vi.fn((_credentials: unknown, context: { signal: AbortSignal }) => {
      signal = context.signal
      return new Promise<never>(() => {}) // a login request that never answers
    })
    const auth = createAuthClient({ login })
    const pending = auth.login({ user: 'x' })
    await flush()
    expect(signal?.aborted).toBe(false)
    auth.destroy()
    expect(signal?.aborted).toBe(true)
    expect(await settle(pending)).toEqual({ rejected: 'destroyed' })
  })
})

describe('start-up errors', () => {
  it('reach listeners attached right after creation, also one found while removing corrupt data', async () => {
    // A corrupt entry, and a storage that cannot remove it (read-only).
    const storage: TokenStorage = {
      get: () => '{"garbage":true}',
      set: () => {},
      remove: () => {
        throw new Error('read-only')
      },
    }
    const auth = createAuthClient({ storage })
    const received: string[] = []
    auth.on('error', (e) => received.push(e.code))
    await flush()
    expect(received).toEqual(['storage_corrupt', 'storage_unavailable'])
    expect(auth.getState()).toMatchObject({
      status: 'unauthenticated',
      error: { code: 'storage_unavailable' },
    })
    auth.destroy()
  })
})

describe('the cross-tab lock with a long refreshTimeout', () => {
  /** A custom storage with `subscribe` counts as shared, so the client takes the cross-tab lock. */
  function sharedStorage(): TokenStorage {
    const m = new Map<string, string>()
    return {
      get: (k) => m.get(k) ?? null,
      set: (k, v) => void m.set(k, v),
      remove: (k) => void m.delete(k),
      subscribe: () => () => {},
    }
  }
  afterEach(() => vi.unstubAllGlobals())

  it('refreshTimeout: Infinity still refreshes (AbortSignal.timeout refuses Infinity)', async () => {
    vi.stubGlobal('navigator', { locks: createLocks() })
    const refresh = vi.fn(async (): Promise<TokenSet> => ({ accessToken: token(300, { n: 2 }) }))
    const auth = createAuthClient({ storage: sharedStorage(), refresh, refreshTimeout: Infinity })
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await expect(auth.refresh()).resolves.toEqual(expect.any(String))
    expect(refresh).toHaveBeenCalledTimes(1)
    auth.destroy()
  })

  it('a refreshTimeout near 2^31−1 ms does not make the lock wait end at once (and a tab steal it)', async () => {
    const locks = createLocks()
    vi.stubGlobal('navigator', { locks })
    // Tabs, as in workers (outside pages and workers a client takes no lock).
    vi.stubGlobal('WorkerGlobalScope', function WorkerGlobalScope() {})
    let concurrent = 0
    let most = 0
    const refresh = vi.fn(async (): Promise<TokenSet> => {
      most = Math.max(most, ++concurrent)
      await new Promise((r) => setTimeout(r, 50))
      concurrent--
      return { accessToken: token(300, { n: 2 }) }
    })
    const options = { refresh, refreshTimeout: 2 ** 31 - 1 }
    const a = createAuthClient({ storage: sharedStorage(), ...options })
    const b = createAuthClient({ storage: sharedStorage(), ...options })
    a.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    b.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await Promise.allSettled([a.refresh(), b.refresh()])
    expect(locks.log).not.toContain('steal')
    expect(most).toBe(1)
    a.destroy()
    b.destroy()
  })
})

describe('a listener that changes the state while a change is delivered', () => {
  it('does not make later listeners receive the older snapshot after the newer one', () => {
    const auth = createAuthClient({ syncTabs: false })
    // An app rule registered first: a token without a tenant claim is signed out at once.
    auth.subscribe((s) => {
      if (s.isAuthenticated && !(s.claims as { tenant?: string } | null)?.tenant) void auth.logout()
    })
    const seen: string[] = []
    auth.subscribe((s) => seen.push(s.status))
    const changes: string[] = []
    auth.on('change', (s) => changes.push(s.status))
    auth.setTokens({ accessToken: token(300) })
    expect(auth.getState().status).toBe('unauthenticated')
    expect(seen).toEqual(['unauthenticated'])
    expect(changes).toEqual(['unauthenticated'])
    expect(seen.at(-1)).toBe(auth.getState().status)
    auth.destroy()
  })
})

describe('a listener that replaces the session while the client commits', () => {
  beforeEach(() => vi.useFakeTimers({ now: T0 }))
  afterEach(() => vi.useRealTimers())

  /** A change listener that logs out as soon as a refresh starts. */
  function loggingOutOnRefresh() {
    const refresh = vi.fn(() => new Promise<never>(() => {}))
    const auth = createAuthClient({ refresh, syncTabs: false })
    let armed = false
    auth.subscribe((s) => {
      if (armed && s.isRefreshing) {
        armed = false
        void auth.logout()
      }
    })
    return { auth, arm: () => (armed = true) }
  }

  it('leaves refresh(), setTokens() and getAccessToken() settling as documented', async () => {
    let { auth, arm } = loggingOutOnRefresh()
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    arm()
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'no_refresh' })
    auth.destroy()
    ;({ auth, arm } = loggingOutOnRefresh())
    arm()
    const expired = rawJwt({ alg: 'HS256' }, { sub: 'u', exp: T0 / 1000 - 10 })
    expect(auth.setTokens({ accessToken: expired, refreshToken: 'rt' }).status).toBe('unauthenticated')
    auth.destroy()
    ;({ auth, arm } = loggingOutOnRefresh())
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    arm()
    await expect(auth.getAccessToken({ minValidity: 600 })).resolves.toBeNull()
    auth.destroy()
  })

  it('schedules the session the listener set, not the one it replaced', async () => {
    const refresh = vi.fn(async () => ({ accessToken: token(3600) }))
    const auth = createAuthClient({ refresh, syncTabs: false })
    let once = true
    auth.subscribe(() => {
      if (once) {
        once = false
        auth.setTokens({ accessToken: token(120), refreshToken: 'rt-b' })
      }
    })
    await flush() // past the start-up check, which would re-arm the timer anyway
    auth.setTokens({ accessToken: token(3600), refreshToken: 'rt-a' })
    expect(auth.getState().expiresAt).toBe(T0 + 120_000)
    await vi.advanceTimersByTimeAsync(61_000) // the 120 s session is due at +60 s
    expect(refresh).toHaveBeenCalledTimes(1)
    auth.destroy()
  })

  it('ends the session the listener set at its exp, with the expired event', async () => {
    const auth = createAuthClient({ syncTabs: false }) // nothing can refresh: the session ends at exp
    let once = true
    auth.subscribe(() => {
      if (once) {
        once = false
        auth.setTokens({ accessToken: token(120) })
      }
    })
    const expired = vi.fn()
    auth.on('expired', expired)
    await flush()
    auth.setTokens({ accessToken: token(3600) })
    await vi.advanceTimersByTimeAsync(121_000)
    expect(auth.getState().status).toBe('unauthenticated')
    expect(expired).toHaveBeenCalledTimes(1)
    auth.destroy()
  })
})

it('a RefreshError thrown with status 401 (and no `permanent`) is permanent, like any error with that status', async () => {
  const { RefreshError } = await import('../src')
  for (const status of [400, 401, 403]) {
    const auth = createAuthClient({
      syncTabs: false,
      refresh: async () => {
        throw new RefreshError('rejected by the server', { status })
      },
    })
    const logouts: string[] = []
    auth.on('logout', (e) => logouts.push(e.reason))
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_rejected', permanent: true, status })
    expect(logouts).toEqual(['refresh_rejected'])
    auth.destroy()
  }
  expect(new RefreshError('x', { status: 401, permanent: false })).toMatchObject({ code: 'refresh_failed' })
})

it('an expired session found at start-up is announced (`expired`) to listeners attached right after creation', async () => {
  // A stored session whose token expired long ago; a refresh can renew it (and hangs here).
  const raw = { v: 1, at: rawJwt({ alg: 'HS256' }, { sub: 'u', iat: 1, exp: 2 }), rt: 'rt', sk: 0, g: 1 }
  const storage: TokenStorage = { get: () => JSON.stringify(raw), set: () => {}, remove: () => {} }
  const auth = createAuthClient({ storage, refresh: () => new Promise<never>(() => {}) })
  const expired = vi.fn()
  auth.on('expired', expired)
  await flush()
  expect(auth.getState().status).toBe('expired')
  expect(expired).toHaveBeenCalledTimes(1)
  auth.destroy()
})

it('an expired session found at start-up that nothing can renew is announced after a microtask too', async () => {
  const raw = { v: 1, at: rawJwt({ alg: 'HS256' }, { sub: 'u', iat: 1, exp: 2 }), rt: 'rt', sk: 0, g: 1 }
  const storage: TokenStorage = { get: () => JSON.stringify(raw), set: () => {}, remove: () => {} }
  const auth = createAuthClient({ storage }) // no refresh function
  const expired = vi.fn()
  auth.on('expired', expired)
  await flush()
  expect(auth.getState().status).toBe('unauthenticated')
  expect(expired).toHaveBeenCalledTimes(1)
  auth.destroy()
})

it('a refresh is not held up by a non-shared async storage whose write never settles', async () => {
  const backing = new Map<string, string>()
  let writes = 0
  // AsyncStorage stuck, say: the second write hangs.
  const storage: TokenStorage = {
    get: async (k) => backing.get(k) ?? null,
    set: (k, v) => (++writes === 1 ? Promise.resolve(void backing.set(k, v)) : new Promise<void>(() => {})),
    remove: async (k) => void backing.delete(k),
  }
  const fresh = token(300, { n: 2 })
  const auth = createAuthClient({ storage, refresh: async () => ({ accessToken: fresh }) })
  await auth.ready
  auth.setTokens({ accessToken: token(30), refreshToken: 'rt' }) // inside the leeway: a refresh starts
  expect(await auth.getAccessToken({ minValidity: 120 })).toBe(fresh)
  expect(auth.getState().isRefreshing).toBe(false)
  auth.destroy()
})

describe('an async shared storage that answers late, in Node (no Web Locks, no localStorage lease)', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  it('does not bring a session back when the user logs out while the refresh lock reads it', async () => {
    const backing = new Map<string, string>()
    const refresh = vi.fn(async (_: RefreshContext) => ({ accessToken: token(300, { n: 2 }) }))
    const auth = createAuthClient({ storage: slowStore(backing), refresh })
    await auth.ready
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
    await sleep(5)
    const refreshed = auth.refresh().catch((e) => e)
    await sleep(1)
    await auth.logout()
    await refreshed
    await sleep(50)
    expect(auth.getState().status).toBe('unauthenticated')
    expect(auth.peekAccessToken()).toBeNull()
    expect(await auth.getAccessToken()).toBeNull()
    expect(refresh).not.toHaveBeenCalled()
    auth.destroy()
  })
})

it('many concurrent calls add one listener to the client’s own abort signal, not one each', async () => {
  // Node warns (MaxListenersExceededWarning) past 10 listeners on one AbortSignal: a burst of
  // requests in a Node app printed it, though every listener was removed later.
  const warnings: string[] = []
  const onWarning = (w: Error) => warnings.push(w.name)
  process.on('warning', onWarning)
  try {
    const auth = createAuthClient({ refresh: async () => ({ accessToken: token(300, { n: 2 }) }) })
    auth.setTokens({ accessToken: token(30), refreshToken: 'rt' })
    // Valid for less than 120 s: each call waits for the one refresh.
    const calls = Array.from({ length: 50 }, () => auth.getAccessToken({ minValidity: 120 }))
    const tokens = await Promise.all(calls)
    expect(new Set(tokens).size).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 0)) // warnings are emitted on the next tick
    expect(warnings).not.toContain('MaxListenersExceededWarning')
    auth.destroy()
  } finally {
    process.off('warning', onWarning)
  }
})

it('destroy() of a tab waiting for the refresh lock leaves the lock to the tab refreshing (no second spend)', async () => {
  vi.stubGlobal('navigator', { locks: createLocks() })
  // Tabs, as in workers (outside pages and workers a client takes no lock).
  vi.stubGlobal('WorkerGlobalScope', function WorkerGlobalScope() {})
  const area = sharedArea()
  const spent: string[] = []
  let finish!: () => void
  const gate = new Promise<void>((resolve) => {
    finish = resolve
  })
  const refresh = async ({ refreshToken }: RefreshContext) => {
    spent.push(String(refreshToken))
    await gate // the server takes its time
    return { accessToken: token(300, { n: spent.length }), refreshToken: `${refreshToken}+` }
  }
  const a = createAuthClient({ storage: area.tab(), refresh })
  const bStore = area.tab()
  const b = createAuthClient({ storage: bStore, refresh })
  a.setTokens({ accessToken: token(300), refreshToken: 'r1' })
  await new Promise((resolve) => setTimeout(resolve, 0))
  expect(b.getState().accessToken).toBe(a.getState().accessToken)
  const pa = a.refresh() // tab A holds the lock and refreshes
  await new Promise((resolve) => setTimeout(resolve, 10))
  const pb = b.refresh().catch((e) => e.code) // tab B waits for the lock
  await new Promise((resolve) => setTimeout(resolve, 10))
  const readsBefore = bStore.reads
  b.destroy() // B unmounts while it waits
  await new Promise((resolve) => setTimeout(resolve, 50))
  expect(spent).toEqual(['r1'])
  expect(bStore.reads).toBe(readsBefore) // B does nothing after destroy()
  finish()
  await pa
  expect(await pb).toBe('destroyed')
  expect(spent).toEqual(['r1'])
  a.destroy()
  vi.unstubAllGlobals()
})
