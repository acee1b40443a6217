import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, createAuthFetch, oauth2Refresh, type TokenSet, type TokenStorage } from '../src'
import { createLocks } from './support/locks'

/**
 * Runtimes other than a browser tab, simulated in Node with stubbed globals: React Native's own
 * URLSearchParams and a whatwg-fetch Headers, and Node servers whose navigator.locks spans the process.
 */
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

let n = 0
const token = (ttl = 3600) => createTestToken({ sub: 'u1', jti: String(++n) }, { expiresIn: ttl })
const API = 'https://api.example.com'

/**
 * React Native's own URLSearchParams (Libraries/Blob/URL.js, used unless the app installs
 * react-native-url-polyfill): the constructor copies an object's own keys, and only `append`,
 * iteration and `toString` are implemented; `get`, `set`, `has`, `delete` and `sort` throw.
 */
class RNURLSearchParams {
  _searchParams: Array<[string, string]> = []
  constructor(params?: unknown) {
    if (typeof params === 'object' && params)
      for (const key of Object.keys(params)) this.append(key, (params as Record<string, string>)[key]!)
  }
  append(key: string, value: string) {
    this._searchParams.push([key, value])
  }
  get(): never {
    throw new Error('URLSearchParams.get is not implemented')
  }
  set(): never {
    throw new Error('URLSearchParams.set is not implemented')
  }
  has(): never {
    throw new Error('URLSearchParams.has is not implemented')
  }
  delete(): never {
    throw new Error('URLSearchParams.delete is not implemented')
  }
  [Symbol.iterator]() {
    return this._searchParams[Symbol.iterator]()
  }
  toString() {
    return this._searchParams.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
  }
}

describe('React Native', () => {
  it("copyBody: a URLSearchParams body is replayed as the app built it, with RN's own URLSearchParams", async () => {
    vi.stubGlobal('URLSearchParams', RNURLSearchParams)
    const sent: string[] = []
    const [t1, t2] = [token(), token()]
    const auth = createAuthClient({ refresh: async () => ({ accessToken: t2 }) })
    auth.setTokens({ accessToken: t1, refreshToken: 'r1' })
    const api = createAuthFetch(auth, {
      origins: [API],
      // whatwg-fetch (RN's fetch) sends a URLSearchParams body as its toString().
      fetch: (async (_input: unknown, init?: RequestInit) => {
        sent.push(String(init?.body))
        return new Response(null, { status: sent.length === 1 ? 401 : 200 })
      }) as typeof fetch,
    })
    const form = new URLSearchParams()
    form.append('amount', '100')
    const res = await api(`${API}/pay`, { method: 'POST', body: form })
    expect(res.status).toBe(200)
    // The replay must send what the first send did; a copy made through RN's constructor is
    // `_searchParams=amount%2C100`.
    expect(sent).toEqual(['amount=100', 'amount=100'])
    auth.destroy()
  })

  it("copyBody: a request that waits for a refresh sends the URLSearchParams it was given, with RN's own class", async () => {
    vi.stubGlobal('URLSearchParams', RNURLSearchParams)
    const sent: string[] = []
    const auth = createAuthClient({ refresh: async () => ({ accessToken: token() }) })
    // 30 s left, inside the 60 s leeway (no iat, so not capped): the request waits for the refresh.
    const expiring = createTestToken({ sub: 'u1', iat: undefined, exp: Math.floor(Date.now() / 1000) + 30 })
    auth.setTokens({ accessToken: expiring, refreshToken: 'r1' })
    const api = createAuthFetch(auth, {
      origins: [API],
      fetch: (async (_input: unknown, init?: RequestInit) => {
        sent.push(String(init?.body))
        return new Response('ok')
      }) as typeof fetch,
    })
    const form = new URLSearchParams()
    form.append('amount', '100')
    await api(`${API}/pay`, { method: 'POST', body: form })
    expect(sent).toEqual(['amount=100'])
    auth.destroy()
  })

  it("withToken: headers given as a Map, or as another implementation's Headers, survive RN's Headers (whatwg-fetch)", async () => {
    const Native = Headers
    /** whatwg-fetch's Headers, React Native's global: own instances, arrays, else an object's own keys. */
    class PolyHeaders {
      map: Record<string, string> = {}
      constructor(init?: unknown) {
        if (init instanceof PolyHeaders) for (const [k, v] of Object.entries(init.map)) this.append(k, v)
        else if (Array.isArray(init)) for (const [k, v] of init) this.append(k, v)
        else if (init)
          for (const k of Object.getOwnPropertyNames(init))
            this.append(k, (init as Record<string, string>)[k]!)
      }
      append(k: string, v: string) {
        const key = k.toLowerCase()
        this.map[key] = key in this.map ? `${this.map[key]}, ${v}` : String(v)
      }
      set(k: string, v: string) {
        this.map[k.toLowerCase()] = String(v)
      }
      get(k: string) {
        return this.map[k.toLowerCase()] ?? null
      }
      has(k: string) {
        return k.toLowerCase() in this.map
      }
      forEach(fn: (v: string, k: string) => void) {
        for (const k of Object.keys(this.map)) fn(this.map[k]!, k)
      }
      *[Symbol.iterator]() {
        yield* Object.entries(this.map)
      }
    }
    vi.stubGlobal('Headers', PolyHeaders)
    const seen: Array<[string | null, string | null]> = []
    const jwt = token()
    const auth = createAuthClient()
    auth.setTokens({ accessToken: jwt })
    const api = createAuthFetch(auth, {
      origins: [API],
      fetch: (async (_input: unknown, init?: RequestInit) => {
        const h = init?.headers as unknown as PolyHeaders
        seen.push([h.get('content-type'), h.get('authorization')])
        return new Response('ok')
      }) as typeof fetch,
    })
    await api(`${API}/a`, {
      method: 'POST',
      headers: new Map([['Content-Type', 'application/json']]) as never,
    })
    await api(`${API}/b`, { method: 'POST', headers: new Native({ 'Content-Type': 'application/json' }) })
    expect(seen).toEqual([
      ['application/json', `Bearer ${jwt}`],
      ['application/json', `Bearer ${jwt}`],
    ])
    auth.destroy()
  })

  it("oauth2Refresh builds its form with RN's own URLSearchParams (no set())", async () => {
    vi.stubGlobal('URLSearchParams', RNURLSearchParams)
    const bodies: string[] = []
    const refresh = oauth2Refresh({
      tokenEndpoint: 'https://id.example.com/oauth/token',
      clientId: 'app',
      scope: 'openid',
      fetch: (async (_input: unknown, init?: RequestInit) => {
        bodies.push(String(init?.body))
        return Response.json({ access_token: 'at', expires_in: 60 })
      }) as typeof fetch,
    })
    const result = await refresh({
      refreshToken: 'rt-1',
      accessToken: null,
      signal: new AbortController().signal,
    }).catch((e: Error) => e.message)
    expect(result).toEqual({ accessToken: 'at', expiresIn: 60 })
    expect(bodies).toEqual(['grant_type=refresh_token&client_id=app&refresh_token=rt-1&scope=openid'])
  })
})

describe('Node servers', () => {
  /** A per-request store (over one request's cookies): shared-looking (`subscribe`), written by nothing else. */
  const requestStore = (): TokenStorage => {
    const map = new Map<string, string>()
    return {
      get: (k) => map.get(k) ?? null,
      set: (k, v) => void map.set(k, v),
      remove: (k) => void map.delete(k),
      subscribe: () => () => {},
    }
  }

  it("one request's refresh does not hold up another request's client (navigator.locks spans the process: Node ≥ 24.5, Deno, Bun)", async () => {
    // No document and no WorkerGlobalScope: a server process, where Web Locks are process-wide.
    vi.stubGlobal('navigator', { locks: createLocks() })
    let finishA!: (t: TokenSet) => void
    const a = createAuthClient({
      storage: requestStore(),
      refresh: () => new Promise<TokenSet>((resolve) => (finishA = resolve)),
    })
    let bCalls = 0
    const b = createAuthClient({
      storage: requestStore(),
      refresh: async () => {
        bCalls++
        return { accessToken: token() }
      },
    })
    a.setTokens({ accessToken: token(), refreshToken: 'alice-rt' })
    b.setTokens({ accessToken: token(), refreshToken: 'bob-rt' })
    void a.refresh().catch(() => {}) // alice's token endpoint is slow
    await new Promise((resolve) => setTimeout(resolve, 20))
    const bRefreshed = b.refresh().then(() => 'refreshed')
    const outcome = await Promise.race([
      bRefreshed,
      new Promise((resolve) => setTimeout(resolve, 300, 'waiting for the other request')),
    ])
    expect({ outcome, bCalls }).toEqual({ outcome: 'refreshed', bCalls: 1 })
    finishA({ accessToken: token() })
    a.destroy()
    b.destroy()
  })
})

/**
 * A worker's globals, under fake timers: `navigator.onLine` the test sets, and a global scope that is
 * an EventTarget (which hears no 'online' in Chromium; Firefox and Safari fire it there).
 */
function asWorker() {
  vi.useFakeTimers()
  const net = { onLine: true }
  vi.stubGlobal('navigator', net)
  vi.stubGlobal('WorkerGlobalScope', function WorkerGlobalScope() {})
  const scope = new EventTarget()
  vi.stubGlobal('addEventListener', scope.addEventListener.bind(scope))
  vi.stubGlobal('removeEventListener', scope.removeEventListener.bind(scope))
  return { net, scope }
}

/** An expired session with one try per outage (`retry.attempts: 1`) whose token endpoint is unreachable until `up()`. */
function expiredWhileDown() {
  let down = true
  const refresh = vi.fn(async (): Promise<TokenSet> => {
    if (down) throw new TypeError('Failed to fetch')
    return { accessToken: token() }
  })
  const auth = createAuthClient({ refresh, retry: { attempts: 1 }, syncTabs: false })
  auth.setTokens({ accessToken: token(0), refreshToken: 'rt' })
  return { auth, refresh, up: () => void (down = false) }
}

describe('workers', () => {
  it("retries spent, a worker refreshes when navigator.onLine comes back (Chromium fires no 'online' in workers)", async () => {
    const { net } = asWorker()
    const { auth, refresh, up } = expiredWhileDown()
    await vi.advanceTimersByTimeAsync(0)
    expect(refresh).toHaveBeenCalledTimes(1)
    // Online all along (the token endpoint was down, not the network): still waiting, as in a page.
    await vi.advanceTimersByTimeAsync(60_000)
    expect(refresh).toHaveBeenCalledTimes(1)
    net.onLine = false
    await vi.advanceTimersByTimeAsync(5_000)
    up()
    net.onLine = true
    await vi.advanceTimersByTimeAsync(1_000)
    expect(refresh).toHaveBeenCalledTimes(2)
    expect(auth.getState().status).toBe('authenticated')
    // One watch per client, gone with it: no timer is left behind.
    auth.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('outside workers and pages (Node, React Native) no timer watches the network', () => {
    vi.useFakeTimers()
    vi.stubGlobal('navigator', { onLine: true })
    const auth = createAuthClient({ syncTabs: false })
    expect(vi.getTimerCount()).toBe(0)
    auth.destroy()
  })
})

describe('workers that hear online too (Firefox, Safari)', () => {
  it("the network's return, heard twice (the event, then the watch), is one try: willRetry false", async () => {
    const { net, scope } = asWorker()
    // The token endpoint answers 503, slowly (two seconds).
    const refresh = vi.fn(
      () =>
        new Promise<TokenSet>((_, reject) =>
          setTimeout(() => reject(Object.assign(new Error('Service Unavailable'), { status: 503 })), 2_000),
        ),
    )
    const auth = createAuthClient({ refresh, retry: { attempts: 1 }, syncTabs: false })
    const events: Array<[number, boolean]> = []
    auth.on('refreshError', (e) => events.push([e.attempt, e.willRetry]))
    auth.setTokens({ accessToken: token(0), refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(2_000)
    expect(events).toEqual([[1, false]])
    net.onLine = false
    await vi.advanceTimersByTimeAsync(5_000)
    // Back: the worker's scope fires `online` as navigator.onLine turns true.
    net.onLine = true
    scope.dispatchEvent(new Event('online'))
    await vi.advanceTimersByTimeAsync(120_000)
    expect(events).toEqual([
      [1, false],
      [2, false],
    ])
    expect(refresh).toHaveBeenCalledTimes(2)
    auth.destroy()
  })
})

describe('workers that hear offline and online (Firefox, Safari)', () => {
  it('an outage shorter than the watch sees is still followed by one try', async () => {
    const { net, scope } = asWorker()
    const { auth, refresh, up } = expiredWhileDown()
    await vi.advanceTimersByTimeAsync(1_500)
    expect(refresh).toHaveBeenCalledTimes(1)
    // Off and on again between two looks at navigator.onLine: only the events tell.
    net.onLine = false
    scope.dispatchEvent(new Event('offline'))
    await vi.advanceTimersByTimeAsync(100)
    up()
    net.onLine = true
    scope.dispatchEvent(new Event('online'))
    await vi.advanceTimersByTimeAsync(5_000)
    expect(refresh).toHaveBeenCalledTimes(2)
    expect(auth.getState().status).toBe('authenticated')
    auth.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })
})
