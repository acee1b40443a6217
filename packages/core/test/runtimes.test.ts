import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, createAuthFetch, type TokenSet, type TokenStorage } from '../src'
import { createLocks } from './support/locks'

/**
 * Runtimes other than a browser page, simulated in Node: a worker's global scope, React Native's
 * polyfills (a Request without a `body` stream, an AbortController that drops the reason), browsers
 * with Web Locks but no `AbortSignal.timeout`, and Node itself, whose BroadcastChannel spans the
 * process.
 */
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

let n = 0
const token = (ttl = 3600) => createTestToken({ sub: 'u1', jti: String(++n) }, { expiresIn: ttl })

/** A per-request store (over one request's cookies, say): `subscribe` is there, nothing else writes it. */
function requestStore(): TokenStorage & { map: Map<string, string> } {
  const map = new Map<string, string>()
  return {
    map,
    get: (k) => map.get(k) ?? null,
    set: (k, v) => void map.set(k, v),
    remove: (k) => void map.delete(k),
    subscribe: () => () => {},
  }
}

describe('Node', () => {
  it('two clients with their own storages in one process do not hand each other sessions', async () => {
    // Node's BroadcastChannel spans the process: there are no tabs to sync, only unrelated clients.
    const storeA = requestStore()
    const storeB = requestStore()
    const refresh = async () => ({ accessToken: token() })
    const a = createAuthClient({ storage: storeA, refresh })
    const b = createAuthClient({ storage: storeB, refresh })
    const logins: unknown[] = []
    b.on('login', (s) => logins.push(s.claims))
    a.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'alice-refresh-token' })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(logins).toEqual([])
    expect(b.getState()).toMatchObject({ status: 'unauthenticated', accessToken: null })
    await b.refresh().catch(() => {})
    expect([...storeB.map.values()].join()).not.toContain('alice-refresh-token')
    a.destroy()
    b.destroy()
  })

  it('the refresh and retry schedule of a session does not keep the process alive', async () => {
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timeouts()
    const auth = createAuthClient({
      retry: { baseDelay: 60_000 },
      refresh: async () => {
        throw Object.assign(new Error('HTTP 503'), { status: 503 })
      },
    })
    auth.setTokens({ accessToken: token(3600), refreshToken: 'r' }) // the refresh timer is armed
    expect(timeouts()).toBe(before)
    await auth.refresh().catch(() => {}) // fails: the retry timer is armed
    expect(auth.getState().error?.code).toBe('refresh_failed')
    expect(timeouts()).toBe(before)
    auth.destroy()
  })

  it('destroy() ends the wait on a hung shared storage at once: no timer is left', async () => {
    vi.useFakeTimers()
    let reads = 0
    // IndexedDB-like: async and shared; the read under the refresh lock never settles.
    const storage: TokenStorage = {
      get: () => (++reads === 1 ? Promise.resolve(null) : new Promise<never>(() => {})),
      set: async () => {},
      remove: async () => {},
      subscribe: () => () => {},
    }
    const auth = createAuthClient({
      storage,
      syncTabs: false,
      refresh: async () => ({ accessToken: token() }),
    })
    await auth.ready
    auth.setTokens({ accessToken: token(), refreshToken: 'r' })
    const pending = auth.refresh().catch((e) => e.code)
    await vi.advanceTimersByTimeAsync(20)
    auth.destroy()
    expect(await pending).toBe('destroyed')
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('a worker', () => {
  it('hears `online` on its global scope and retries a refresh whose retries are spent', async () => {
    const scope = new EventTarget()
    vi.stubGlobal('window', undefined)
    vi.stubGlobal('document', undefined)
    vi.stubGlobal('addEventListener', scope.addEventListener.bind(scope))
    vi.stubGlobal('removeEventListener', scope.removeEventListener.bind(scope))
    let calls = 0
    const auth = createAuthClient({
      retry: { attempts: 1 },
      refresh: async () => {
        if (++calls === 1) throw new TypeError('Failed to fetch')
        return { accessToken: token(), refreshToken: 'r2' }
      },
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'r1' })
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_failed' })
    scope.dispatchEvent(new Event('online'))
    await vi.waitFor(() => expect(calls).toBe(2), { timeout: 500 })
    await vi.waitFor(() => expect(auth.getState().error).toBeNull())
    auth.destroy()
    scope.dispatchEvent(new Event('online')) // removed by destroy(): nothing more
    expect(calls).toBe(2)
  })
})

describe('React Native polyfills', () => {
  it('a Request without a `body` stream (whatwg-fetch) is cloned and replayed after a 401', async () => {
    // whatwg-fetch keeps the body in `_bodyInit`, has no `body` property, and marks a sent Request used.
    class PolyRequest {
      used = false
      constructor(
        readonly url: string,
        readonly init: { method: string; body: string },
      ) {}
      get method() {
        return this.init.method
      }
      get headers() {
        return new Headers()
      }
      get signal() {
        return undefined
      }
      clone() {
        if (this.used) throw new TypeError('Already read')
        return new PolyRequest(this.url, this.init)
      }
    }
    const sent: Array<[string, string | null]> = []
    const polyFetch = async (input: unknown, init?: RequestInit) => {
      const request = input as PolyRequest
      if (request.used) throw new TypeError('Already read')
      request.used = true
      sent.push([request.init.body, new Headers(init?.headers).get('authorization')])
      return new Response(null, { status: sent.length === 1 ? 401 : 200 })
    }
    const [t1, t2] = [token(), token()]
    const auth = createAuthClient({ refresh: async () => ({ accessToken: t2 }) })
    auth.setTokens({ accessToken: t1, refreshToken: 'r1' })
    const api = createAuthFetch(auth, { origins: ['https://api.example.com'], fetch: polyFetch as never })
    const request = new PolyRequest('https://api.example.com/items', { method: 'POST', body: '{"a":1}' })
    const res = await api(request as never)
    expect(res.status).toBe(200)
    expect(sent).toEqual([
      ['{"a":1}', `Bearer ${t1}`],
      ['{"a":1}', `Bearer ${t2}`],
    ])
    auth.destroy()
  })

  describe('an AbortController that drops the reason (abort-controller@3)', () => {
    class ReasonlessSignal extends EventTarget {
      aborted = false
      readonly reason = undefined
      onabort = null
    }
    class ReasonlessController {
      readonly signal = new ReasonlessSignal()
      abort() {
        if (this.signal.aborted) return
        this.signal.aborted = true
        this.signal.dispatchEvent(new Event('abort'))
      }
    }
    const hang = () => new Promise<TokenSet>(() => {})

    it('a hung refresh still rejects with refresh_timeout', async () => {
      vi.stubGlobal('AbortController', ReasonlessController)
      const auth = createAuthClient({ refreshTimeout: 50, retry: { attempts: 1 }, refresh: hang })
      auth.setTokens({ accessToken: token(), refreshToken: 'r1' })
      await expect(auth.refresh()).rejects.toMatchObject({ name: 'RefreshError', code: 'refresh_timeout' })
      expect(auth.getState().error?.code).toBe('refresh_timeout')
      auth.destroy()
    })

    it('a logout during a refresh rejects refresh() with no_refresh, and destroy() with destroyed', async () => {
      vi.stubGlobal('AbortController', ReasonlessController)
      const auth = createAuthClient({ refresh: hang })
      auth.setTokens({ accessToken: token(), refreshToken: 'r1' })
      const first = auth.refresh().catch((e) => e.code)
      await new Promise((resolve) => setTimeout(resolve, 5))
      void auth.logout()
      expect(await first).toBe('no_refresh')
      auth.setTokens({ accessToken: token(), refreshToken: 'r1' })
      const second = auth.refresh().catch((e) => e.code)
      await new Promise((resolve) => setTimeout(resolve, 5))
      auth.destroy()
      expect(await second).toBe('destroyed')
    })

    it('a request aborted while it waits for a token rejects with an AbortError, not undefined', async () => {
      const auth = createAuthClient({ refresh: hang })
      auth.setTokens({ accessToken: 'opaque-token', expiresIn: 0, refreshToken: 'r1' }) // expired: it waits
      const api = createAuthFetch(auth, {
        origins: ['https://api.example.com'],
        fetch: async () => new Response('ok'),
      })
      const controller = new ReasonlessController()
      const pending = api('https://api.example.com/x', { signal: controller.signal as never }).catch((e) => e)
      controller.abort()
      const error = await pending
      expect(error).toBeInstanceOf(Error)
      expect(error.name).toBe('AbortError')
      auth.destroy()
    })
  })
})

describe('Web Locks without AbortSignal.timeout (Safari 15.4–15.x)', () => {
  it('a lock a dead tab holds is taken over after the bounded wait', async () => {
    vi.useFakeTimers()
    const locks = createLocks()
    vi.stubGlobal('navigator', { locks })
    vi.stubGlobal(
      'AbortSignal',
      Object.assign(function AbortSignal() {}, { prototype: AbortSignal.prototype }),
    )
    // A frozen tab holds it (its request rejects when the lock is stolen, as in browsers).
    locks.request('latchkey:latchkey', {}, () => new Promise(() => {})).catch(() => {})
    let calls = 0
    const auth = createAuthClient({
      storage: requestStore(),
      refreshTimeout: 100, // a custom storage: the lock wait is bounded by 3 × refreshTimeout + 5 s
      refresh: async () => {
        calls++
        return { accessToken: token(), refreshToken: 'r2' }
      },
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'r1' })
    let outcome = 'waiting'
    auth.refresh().then(() => (outcome = 'refreshed'))
    await vi.advanceTimersByTimeAsync(5_400)
    expect(outcome).toBe('refreshed')
    expect(calls).toBe(1)
    auth.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })
})
