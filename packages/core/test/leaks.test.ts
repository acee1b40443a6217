// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://app.example.com/"}
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type AuthClient,
  type AuthClientOptions,
  createAuthClient,
  createAuthFetch,
  type TokenSet,
} from '../src'
import { flush, T0, token } from './helpers'
import { type ChannelCounts, countChannels } from './support/browser'
import { createLocks } from './support/locks'

/**
 * Measures, rather than assumes, that nothing accumulates: listeners on window and document (wake-up
 * triggers and the `storage` event a localStorage client subscribes to), BroadcastChannels, and timers
 * (fake timers: `vi.getTimerCount()`). Each loop compares the counts after its last iteration with the
 * counts after its third, and expects zero of everything once the client is destroyed.
 */

interface Counts {
  listeners: number
  storageSubscriptions: number
  channels: number
  timers: number
}

let listeners: Map<EventTarget, Map<string, Set<unknown>>>
let channels: ChannelCounts

/** Keeps the set of listeners live on `target`: added and not yet removed. */
function track(target: EventTarget) {
  const add = target.addEventListener.bind(target)
  const remove = target.removeEventListener.bind(target)
  const byType = new Map<string, Set<unknown>>()
  listeners.set(target, byType)
  vi.spyOn(target, 'addEventListener').mockImplementation((type, fn, options) => {
    if (!byType.has(type)) byType.set(type, new Set())
    byType.get(type)!.add(fn)
    add(type, fn, options)
  })
  vi.spyOn(target, 'removeEventListener').mockImplementation((type, fn, options) => {
    byType.get(type)?.delete(fn)
    remove(type, fn, options)
  })
}

const live = (type?: string) =>
  [...listeners.values()]
    .flatMap((byType) => [...byType].filter(([t]) => type === undefined || t === type))
    .reduce((n, [, set]) => n + set.size, 0)

const counts = (): Counts => ({
  listeners: live(),
  storageSubscriptions: live('storage'),
  channels: channels.open,
  timers: vi.getTimerCount(),
})
const none: Counts = { listeners: 0, storageSubscriptions: 0, channels: 0, timers: 0 }
// Fake timers fake performance.now too: keep the real one for the figures.
const realNow = performance.now.bind(performance)

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  localStorage.clear()
  listeners = new Map()
  track(window)
  track(document)
  channels = countChannels()
})
afterEach(() => {
  channels.closeAll()
  vi.restoreAllMocks()
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

/** A server side for the loops: rotates refresh tokens and counts calls. */
function issuer() {
  let n = 0
  const calls = { login: 0, refresh: 0, logout: 0 }
  return {
    calls,
    login: async (): Promise<TokenSet> => {
      calls.login++
      return { accessToken: token(300, { n: ++n }), refreshToken: `rt-${n}` }
    },
    refresh: async (): Promise<TokenSet> => {
      calls.refresh++
      return { accessToken: token(300, { n: ++n }), refreshToken: `rt-${n}` }
    },
    logout: async () => {
      calls.logout++
    },
  }
}

const modes: Array<[string, AuthClientOptions, () => void]> = [
  ['memory storage', { storage: 'memory' }, () => {}],
  [
    'localStorage with Web Locks',
    { storage: 'localStorage', storageKey: 'leaks' },
    () => vi.stubGlobal('navigator', { ...navigator, locks: createLocks() }),
  ],
  [
    'localStorage with the lease lock',
    { storage: 'localStorage', storageKey: 'leaks' },
    () => vi.stubGlobal('navigator', { ...navigator, locks: undefined }),
  ],
]

// The long loops take 1–2 s alone, and more while the browser tests run beside them on two cores: the
// timeout only guards against a hang, so it leaves room for a loaded machine.
describe('leaks', { timeout: 30_000 }, () => {
  describe.each(modes)('%s', (mode, storage, install) => {
    beforeEach(() => install())

    it('10,000 login/refresh/logout cycles on one client keep listener, channel and timer counts flat', async () => {
      const server = issuer()
      const auth = createAuthClient({ ...storage, ...server })
      const signedIn: Counts[] = []
      const signedOut: Counts[] = []
      const started = realNow()
      for (let i = 0; i < 10_000; i++) {
        await auth.login({})
        const refreshed = auth.refresh()
        // The lease lock is taken after up to 200 ms of jitter and a 60 ms check; either lock is held
        // 50 ms after the refresh.
        await vi.advanceTimersByTimeAsync(400)
        await refreshed
        signedIn.push(counts())
        await auth.logout()
        signedOut.push(counts())
      }
      const ms = Math.round(realNow() - started)
      expect(server.calls).toEqual({ login: 10_000, refresh: 10_000, logout: 10_000 })
      expect(signedIn.at(-1)).toEqual(signedIn[2])
      expect(signedOut.at(-1)).toEqual(signedOut[2])
      // Every iteration, not just the last: nothing grows and shrinks back either.
      expect(new Set(signedIn.map((c) => JSON.stringify(c))).size).toBe(1)
      expect(new Set(signedOut.map((c) => JSON.stringify(c))).size).toBe(1)
      auth.destroy()
      await flush()
      const destroyed = counts()
      console.info(
        `[leaks] ${mode}: 10,000 login/refresh/logout cycles in ${ms} ms; signed in ${JSON.stringify(
          signedIn.at(-1),
        )}, signed out ${JSON.stringify(signedOut.at(-1))}, destroyed ${JSON.stringify(destroyed)}`,
      )
      expect(signedIn[2]!.timers).toBe(1)
      expect(signedOut[2]!.timers).toBe(0)
      expect(destroyed).toEqual(none)
    })

    it('1,000 create/destroy cycles leave zero listeners, channels and timers after each destroy', async () => {
      const server = issuer()
      const alive: Counts[] = []
      const after: Counts[] = []
      const started = realNow()
      for (let i = 0; i < 1_000; i++) {
        const auth = createAuthClient({ ...storage, refresh: server.refresh })
        auth.subscribe(() => {})
        auth.on('refresh', () => {})
        auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
        await auth.getAccessToken()
        alive.push(counts())
        auth.destroy()
        await flush()
        after.push(counts())
      }
      const ms = Math.round(realNow() - started)
      console.info(
        `[leaks] ${mode}: 1,000 create/destroy cycles in ${ms} ms; alive ${JSON.stringify(
          alive.at(-1),
        )}, destroyed ${JSON.stringify(after.at(-1))}`,
      )
      expect(alive.at(-1)).toEqual(alive[2])
      expect(new Set(alive.map((c) => JSON.stringify(c))).size).toBe(1)
      expect(after.every((c) => JSON.stringify(c) === JSON.stringify(none))).toBe(true)
      // Opened as many channels as closed, one per client when the storage is shared.
      expect(channels.opened).toBe(channels.closed)
      expect(channels.opened).toBe(storage.storage === 'memory' ? 0 : 1_000)
    })
  })

  it('a client destroyed with a refresh in flight leaves no timer, listener or channel', async () => {
    const auth = createAuthClient({
      storage: 'localStorage',
      storageKey: 'hung',
      refresh: () => new Promise<TokenSet>(() => {}),
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const refreshing = auth.refresh().catch((e) => e.code)
    await vi.advanceTimersByTimeAsync(100)
    expect(auth.getState().isRefreshing).toBe(true)
    auth.destroy()
    await flush()
    const right = counts()
    await vi.advanceTimersByTimeAsync(100)
    expect(await refreshing).toBe('destroyed')
    console.info(
      `[leaks] destroyed mid-refresh: right after ${JSON.stringify(right)}, 100 ms later ${JSON.stringify(counts())}`,
    )
    expect(counts()).toEqual(none)
  })

  // Both locks are held 50 ms after a refresh; a destroy() must end that wait too.
  it('a client destroyed with a refresh in flight leaves zero timers at once, not 50 ms later', async () => {
    const auth = createAuthClient({
      storage: 'localStorage',
      storageKey: 'hung',
      refresh: () => new Promise<TokenSet>(() => {}),
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    auth.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(100)
    auth.destroy()
    await flush()
    expect(counts().timers).toBe(0)
  })

  describe('a client destroyed while it waits for the refresh lock', () => {
    /** A client whose refresh waits behind a lease a dead tab left in localStorage. */
    async function waitingBehindADeadTab() {
      vi.stubGlobal('navigator', { ...navigator, locks: undefined })
      localStorage.setItem('latchkey:lease:lock', JSON.stringify({ o: 'dead-tab', x: Date.now() + 15_000 }))
      const refresh = vi.fn(async () => ({ accessToken: token(), refreshToken: 'rt-2' }))
      const auth = createAuthClient({ storage: 'localStorage', storageKey: 'lease', refresh })
      auth.setTokens({ accessToken: token(), refreshToken: 'rt-1' })
      const result = auth.refresh().catch((e: { code: string }) => e.code)
      await vi.advanceTimersByTimeAsync(1_000)
      auth.destroy()
      return { refresh, result }
    }

    // The lease loop stops on close(): no polling timer outlives the client.
    it('leaves no timer polling the lease', async () => {
      await waitingBehindADeadTab()
      await vi.advanceTimersByTimeAsync(200)
      expect(counts().timers).toBe(0)
    })

    // A destroyed client spends no refresh token, even once the lock it waited for is granted.
    it('never calls options.refresh after destroy() (lease lock)', async () => {
      const { refresh, result } = await waitingBehindADeadTab()
      await vi.advanceTimersByTimeAsync(20_000)
      expect(await result).toBe('destroyed')
      expect(refresh).not.toHaveBeenCalled()
    })

    it('never calls options.refresh after destroy() (Web Locks)', async () => {
      let release!: () => void
      const held = new Promise<void>((resolve) => (release = resolve))
      const locks = createLocks()
      // Another tab holds the lock until after this client is destroyed.
      locks.request('latchkey:weblock', {}, () => held)
      vi.stubGlobal('navigator', { ...navigator, locks })
      const refresh = vi.fn(async () => ({ accessToken: token(), refreshToken: 'rt-2' }))
      const auth = createAuthClient({ storage: 'localStorage', storageKey: 'weblock', refresh })
      auth.setTokens({ accessToken: token(), refreshToken: 'rt-1' })
      const result = auth.refresh().catch((e: { code: string }) => e.code)
      await vi.advanceTimersByTimeAsync(100)
      auth.destroy()
      release()
      await vi.advanceTimersByTimeAsync(100)
      expect(await result).toBe('destroyed')
      expect(refresh).not.toHaveBeenCalled()
    })
  })
})

describe('unsubscribing', () => {
  let auth: AuthClient
  beforeEach(() => {
    auth = createAuthClient({ login: async () => ({ accessToken: token(900) }) })
  })
  afterEach(() => auth.destroy())

  it.each([
    ['subscribe', (fn: () => void) => auth.subscribe(fn)],
    ['on("change")', (fn: () => void) => auth.on('change', fn)],
    ['on("login")', (fn: () => void) => auth.on('login', fn)],
  ])(
    'a %s listener added and removed 10,000 times is never called; one kept is called once',
    async (_, add) => {
      const removed = vi.fn()
      for (let i = 0; i < 10_000; i++) add(removed)()
      const kept = vi.fn()
      const off = add(kept)
      auth.setTokens({ accessToken: token() })
      // login() emits both change and login.
      await auth.login({}).catch(() => {})
      expect(removed).not.toHaveBeenCalled()
      const calls = kept.mock.calls.length
      expect(calls).toBeGreaterThanOrEqual(1)
      off()
      off()
      auth.setTokens({ accessToken: token(600) })
      expect(kept).toHaveBeenCalledTimes(calls)
    },
  )

  it('calling an unsubscribe twice does not remove another registration of the same function', () => {
    const fn = vi.fn()
    const first = auth.subscribe(fn)
    auth.subscribe(fn)
    first()
    first()
    auth.setTokens({ accessToken: token() })
    expect(fn).toHaveBeenCalledTimes(1)
  })

  it('destroy() drops every listener: none is called by what happens afterwards', () => {
    const fn = vi.fn()
    for (let i = 0; i < 1_000; i++) {
      auth.subscribe(fn)
      auth.on('error', fn)
    }
    auth.destroy()
    auth.logout()
    expect(fn).not.toHaveBeenCalled()
  })
})

describe('createAuthFetch', { timeout: 30_000 }, () => {
  it('10,000 requests sharing one AbortSignal leave no listener on it', async () => {
    const auth = createAuthClient()
    auth.setTokens({ accessToken: token() })
    const controller = new AbortController()
    const { signal } = controller
    const live = new Set<unknown>()
    let peak = 0
    const add = signal.addEventListener.bind(signal)
    const remove = signal.removeEventListener.bind(signal)
    signal.addEventListener = ((type: string, fn: EventListener, options?: AddEventListenerOptions) => {
      live.add(fn)
      peak = Math.max(peak, live.size)
      add(type, fn, options)
    }) as typeof signal.addEventListener
    signal.removeEventListener = ((type: string, fn: EventListener) => {
      live.delete(fn)
      remove(type, fn)
    }) as typeof signal.removeEventListener
    const api = createAuthFetch(auth, {
      origins: ['https://api.example.com'],
      fetch: async () => new Response('ok'),
    })
    for (let i = 0; i < 10_000; i++) await api('https://api.example.com/x', { signal })
    console.info(
      `[leaks] createAuthFetch: 10,000 requests on one AbortSignal; peak ${peak}, left ${live.size}`,
    )
    expect(live.size).toBe(0)
    expect(vi.getTimerCount()).toBe(1)
    auth.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })
})
