// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://app.example.com/"}
import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type AuthClient,
  type AuthClientOptions,
  createAuthClient,
  createAuthFetch,
  isAuthError,
  type OriginRule,
  oauth2Refresh,
  type RefreshContext,
  type TokenSet,
  type TokenStorage,
} from '../src'
import { rawJwt, T0, token } from './helpers'
import { clearCookies, countChannels, recordCookieWrites } from './support/browser'

/**
 * A catalogue of hostile inputs across the public API. Each row names the input, the surface it
 * targets and the stable code (or outcome) it must produce.
 */
interface Row {
  input: string
  target: string
  expected: string
  run: () => string | Promise<string>
}

const API = 'https://api.example.com'
const H = { alg: 'HS256', typ: 'JWT' }
const sec = () => Math.floor(Date.now() / 1000)
const jwt = (claims: Record<string, unknown>) => rawJwt(H, claims)
const httpError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const clients: AuthClient[] = []
function client(options: AuthClientOptions = {}): AuthClient {
  const auth = createAuthClient({ syncTabs: false, ...options })
  clients.push(auth)
  return auth
}

afterEach(() => {
  for (const c of clients.splice(0)) {
    try {
      c.destroy()
    } catch {
      // One row's storage breaks destroy() itself; that row reports it.
    }
  }
  // Mocks first: a spy set up under fake timers would otherwise restore the fake setTimeout.
  vi.restoreAllMocks()
  vi.useRealTimers()
  vi.unstubAllGlobals()
  localStorage.clear()
  clearCookies()
})

/** The stable code of what was thrown: an AuthError's `code`, else the error's name. */
const codeOf = (error: unknown): string =>
  isAuthError(error) ? error.code : error instanceof Error ? error.name : `a thrown ${typeof error}`

const STATUSES: unknown[] = ['loading', 'authenticated', 'expired', 'unauthenticated']

/** The status `fn` returns, or `'ok'` for any other success, else the code of what it threw. */
async function outcome(fn: () => unknown): Promise<string> {
  try {
    const value = await fn()
    return STATUSES.includes(value) ? (value as string) : 'ok'
  } catch (error) {
    return codeOf(error)
  }
}

// ---- tokens -----------------------------------------------------------------------------------

/** The status `setTokens` leaves, or the code it throws. */
const setTokens =
  (tokens: unknown, options: AuthClientOptions = {}) =>
  () =>
    outcome(() => client(options).setTokens(tokens as TokenSet).status)

const big = token(300, { blob: 'x'.repeat(75_000) })

const tokens: Row[] = [
  ['a Symbol', Symbol('t'), 'invalid_token'],
  ['a BigInt', 10n, 'invalid_token'],
  ['a String object wrapping a valid JWT', new String(token()), 'invalid_token'],
  ['a JWT followed by CRLF and a header (header injection)', `${token()}\r\nX-Evil: 1`, 'invalid_token'],
  ['a JWT followed by a lone LF', `${token()}\n`, 'invalid_token'],
  ['a JWT with a NUL byte', `${token()}\u0000`, 'invalid_token'],
  ['a JWT with a U+2028 line separator', `${token()}\u2028`, 'invalid_token'],
  ['"Bearer <jwt>" (the scheme pasted in)', `Bearer ${token()}`, 'invalid_token'],
  ['a 100 KB JWT', big, 'authenticated'],
  ['exp 1e21 (overflows Date)', jwt({ exp: 1e21 }), 'invalid_token'],
  ['exp Number.MAX_SAFE_INTEGER', jwt({ exp: Number.MAX_SAFE_INTEGER }), 'invalid_token'],
  ['exp at the end of year 9999', jwt({ exp: 253402300799 }), 'authenticated'],
  ['a fractional exp', jwt({ exp: sec() + 300.5 }), 'authenticated'],
  [
    'nbf far in the future (nbf is not enforced)',
    jwt({ exp: sec() + 300, nbf: sec() + 86_400 }),
    'authenticated',
  ],
  ['nbf negative', jwt({ exp: sec() + 300, nbf: -1 }), 'invalid_token'],
  ['nbf a string', jwt({ exp: sec() + 300, nbf: 'soon' }), 'invalid_token'],
  [
    'iat a century ahead (skew absorbs it)',
    createTestToken({}, { issuedAt: sec() + 3e9, expiresIn: 300 }),
    'authenticated',
  ],
  ['exp before iat, no refresh function', jwt({ iat: sec(), exp: sec() - 10 }), 'unauthenticated'],
  [
    'a kid with path traversal (the header is not used)',
    rawJwt({ ...H, kid: '../../etc/passwd' }, { exp: sec() + 60 }),
    'authenticated',
  ],
  [
    'a payload with __proto__ claims',
    rawJwt(H, `{"exp":${sec() + 60},"__proto__":{"isAdmin":true}}`),
    'authenticated',
  ],
].map(([input, value, expected]) => ({
  input: input as string,
  target: 'setTokens({ accessToken })',
  expected: expected as string,
  run: setTokens({ accessToken: value, refreshToken: 'rt' }),
}))

tokens.push(
  {
    input: 'a refresh token with CRLF (never put in a header by latchkey)',
    target: 'setTokens({ refreshToken })',
    expected: 'authenticated',
    run: setTokens({ accessToken: token(), refreshToken: 'rt\r\nX-Evil: 1' }),
  },
  {
    input: 'a refresh token that is a number',
    target: 'setTokens({ refreshToken })',
    expected: 'invalid_token',
    run: setTokens({ accessToken: token(), refreshToken: 42 }),
  },
  {
    input: 'opaque token with expiresIn at the end of year 9999',
    target: 'setTokens({ expiresIn })',
    expected: 'authenticated',
    run: setTokens({ accessToken: 'opaque', expiresIn: 253402300799 }),
  },
  {
    input: 'opaque token with expiresIn one second past year 9999',
    target: 'setTokens({ expiresIn })',
    expected: 'invalid_token',
    run: setTokens({ accessToken: 'opaque', expiresIn: 253402300800 }),
  },
  {
    input: 'a token set that is a string',
    target: 'setTokens(tokens)',
    expected: 'invalid_token',
    run: setTokens(token()),
  },
  {
    input: 'the 100 KB JWT with cookie storage',
    target: 'setTokens + storage: cookie',
    expected: 'authenticated, storage_unavailable',
    run: () => {
      const auth = client({ storage: 'cookie', storageKey: 'big' })
      const s = auth.setTokens({ accessToken: big })
      return `${s.status}, ${s.error?.code}${document.cookie.includes('big=%7B') ? ', but written' : ''}`
    },
  },
  {
    input: 'a JWT in the year-9999 range, with a refresh function',
    target: 'scheduling (setTimeout overflow)',
    expected: 'no refresh within a day, no delay above 2^31−1 ms',
    run: async () => {
      vi.useFakeTimers({ now: T0 })
      const spy = vi.spyOn(globalThis, 'setTimeout')
      const refresh = vi.fn(async () => ({ accessToken: token() }))
      client({ refresh }).setTokens({ accessToken: jwt({ exp: 253402300799 }), refreshToken: 'rt' })
      await vi.advanceTimersByTimeAsync(86_400_000)
      const max = Math.max(0, ...spy.mock.calls.map((c) => c[1] ?? 0))
      return refresh.mock.calls.length === 0 && max <= 2 ** 31 - 1
        ? 'no refresh within a day, no delay above 2^31−1 ms'
        : `${refresh.mock.calls.length} refreshes, max delay ${max}`
    },
  },
)

// ---- options ----------------------------------------------------------------------------------

/** When the first proactive refresh of a 300-second token happens, in seconds after issue. */
const firstRefresh =
  (options: AuthClientOptions, accessToken = () => token(300)) =>
  async () => {
    vi.useFakeTimers({ now: T0 })
    const refresh = vi.fn(async () => ({ accessToken: token(300) }))
    client({ refresh, ...options }).setTokens({ accessToken: accessToken(), refreshToken: 'rt' })
    for (let s = 1; s <= 400; s++) {
      await vi.advanceTimersByTimeAsync(1000)
      if (refresh.mock.calls.length) return `first refresh at ${s} s`
    }
    return 'never refreshed'
  }

/** The outcome of `refresh()` with a refresh function that takes `ms` (real timers). */
const timedRefresh =
  (refreshTimeout: number, ms = 10) =>
  async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const auth = client({
      refreshTimeout,
      refresh: async () => {
        await sleep(ms)
        return { accessToken: token() }
      },
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    return outcome(() => auth.refresh())
  }

/** How a refresh function that always fails with 500 is retried over 60 s of fake time. */
const retried = (retry: AuthClientOptions['retry']) => async () => {
  vi.useFakeTimers({ now: T0 })
  vi.spyOn(Math, 'random').mockReturnValue(0.5)
  const refresh = vi.fn(async () => {
    throw httpError(500)
  })
  const auth = client({ refresh, retry: retry! })
  const events: boolean[] = []
  auth.on('refreshError', (e) => events.push(e.willRetry))
  auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
  auth.refresh().catch(() => {})
  await vi.advanceTimersByTimeAsync(1_000)
  const inOneSecond = refresh.mock.calls.length
  await vi.advanceTimersByTimeAsync(59_000)
  const n = refresh.mock.calls.length
  if (n === 1 && events[0] === false) return 'one try, then waits for online'
  if (n === 1 && events[0] === true) return 'one try, the retry not due within 60 s'
  if (events.at(-1) === true && n >= 5) return 'keeps retrying'
  if (n === 4 && inOneSecond === 4 && events.at(-1) === false) return '4 tries at once, then waits for online'
  // random() is 0.5: full jitter halves the default delays of 1, 2 and 4 s.
  if (n === 4 && inOneSecond === 2 && events.at(-1) === false)
    return 'the defaults: 4 tries, then waits for online'
  return `${n} tries (${inOneSecond} in the first second), last willRetry ${events.at(-1)}`
}

/** The code and status a cookie client ends with after setTokens, and what reached document.cookie. */
const cookieWith =
  (cookie: AuthClientOptions['cookie'], storageKey = 'ck') =>
  () => {
    const writes = recordCookieWrites()
    const auth = client({ storage: 'cookie', storageKey, cookie: cookie! })
    const s = auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    if (writes.some((w) => /;\s*(Domain|SameSite|Max-Age)=[^;]*evil|SameSite=None/i.test(w)))
      return 'attribute injected into the cookie'
    return `${s.error?.code ?? 'stored'}, ${s.status}`
  }

/** The BroadcastChannels a client opens for a `syncTabs` value. */
const channelsFor =
  (syncTabs: unknown, storage: AuthClientOptions['storage'] = 'localStorage') =>
  () => {
    const counts = countChannels()
    createAuthClient({ storage: storage!, storageKey: 'sync', syncTabs: syncTabs as boolean }).destroy()
    return `${counts.opened} channel(s), ${counts.open} left open`
  }

/** Whether a session stored under `storageKey` is restored by a second client. */
const roundTrip = (storageKey: string) => () => {
  client({ storage: 'localStorage', storageKey }).setTokens({ accessToken: token(), refreshToken: 'rt' })
  const again = client({ storage: 'localStorage', storageKey })
  return again.getState().error?.code ?? `restored: ${again.getState().status}`
}

const options: Row[] = [
  {
    input: 'refreshLeeway: -60',
    target: 'createAuthClient options',
    expected: 'first refresh at 300 s',
    run: firstRefresh({ refreshLeeway: -60 }),
  },
  {
    input: "refreshLeeway: '60' (a string)",
    target: 'createAuthClient options',
    expected: 'first refresh at 240 s',
    run: firstRefresh({ refreshLeeway: '60' as never }),
  },
  {
    input: 'refreshLeeway: Infinity (capped at half the lifetime)',
    target: 'createAuthClient options',
    expected: 'first refresh at 150 s',
    run: firstRefresh({ refreshLeeway: Number.POSITIVE_INFINITY }),
  },
  {
    input: 'refreshLeeway: NaN',
    target: 'createAuthClient options',
    expected: 'first refresh at 240 s',
    run: firstRefresh({ refreshLeeway: Number.NaN }),
  },
  {
    input: 'a JWT without iat that lives 30 s, default leeway 60 s',
    target: 'createAuthClient refreshLeeway (uncapped without iat)',
    expected: 'one refresh',
    run: async () => {
      let calls = 0
      const short = () => jwt({ exp: sec() + 30 })
      const refresh = async () => ({ accessToken: ++calls < 50 ? short() : token(3600) })
      client({ refresh }).setTokens({ accessToken: short(), refreshToken: 'rt' })
      await sleep(50)
      return calls <= 1 ? 'one refresh' : `${calls} refreshes in 50 ms`
    },
  },
  {
    input: 'refreshTimeout: 0',
    target: 'createAuthClient options',
    expected: 'refresh_timeout',
    run: timedRefresh(0),
  },
  {
    input: 'refreshTimeout: -1',
    target: 'createAuthClient options',
    expected: 'refresh_timeout',
    run: timedRefresh(-1),
  },
  {
    input: 'refreshTimeout: NaN (the default applies)',
    target: 'createAuthClient options',
    expected: 'ok',
    run: timedRefresh(Number.NaN),
  },
  {
    input: 'refreshTimeout: Infinity (never time out)',
    target: 'createAuthClient options',
    expected: 'ok',
    run: timedRefresh(Number.POSITIVE_INFINITY),
  },
  {
    input: 'refreshTimeout: 2^31 ms (24.9 days)',
    target: 'createAuthClient options',
    expected: 'ok',
    run: timedRefresh(2 ** 31),
  },
  {
    input: 'retry.attempts: 0',
    target: 'createAuthClient options',
    expected: 'one try, then waits for online',
    run: retried({ attempts: 0 }),
  },
  {
    input: 'retry.attempts: -1',
    target: 'createAuthClient options',
    expected: 'one try, then waits for online',
    run: retried({ attempts: -1 }),
  },
  {
    input: 'retry.attempts: NaN',
    target: 'createAuthClient options',
    expected: 'the defaults: 4 tries, then waits for online',
    run: retried({ attempts: Number.NaN }),
  },
  {
    input: 'retry.attempts: 1e9',
    target: 'createAuthClient options',
    expected: 'keeps retrying',
    run: retried({ attempts: 1e9 }),
  },
  {
    input: 'retry.baseDelay: NaN',
    target: 'createAuthClient options',
    expected: 'the defaults: 4 tries, then waits for online',
    run: retried({ baseDelay: Number.NaN }),
  },
  {
    input: 'retry.baseDelay: -1000',
    target: 'createAuthClient options',
    expected: '4 tries at once, then waits for online',
    run: retried({ baseDelay: -1000 }),
  },
  {
    input: 'retry.baseDelay 2^35 ms, maxDelay 2^40 ms (beyond setTimeout)',
    target: 'createAuthClient options',
    expected: 'one try, the retry not due within 60 s',
    run: retried({ baseDelay: 2 ** 35, maxDelay: 2 ** 40 }),
  },
  {
    input: "refresh: 'yes' (not a function)",
    target: 'createAuthClient options',
    expected: 'no_refresh',
    run: async () => {
      const auth = client({ refresh: 'yes' as never })
      auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
      return outcome(() => auth.refresh())
    },
  },
  {
    input: 'refresh: null',
    target: 'createAuthClient options',
    expected: 'no_refresh',
    run: async () => {
      const auth = client({ refresh: null as never })
      auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
      return outcome(() => auth.refresh())
    },
  },
  {
    input: 'options: null',
    target: 'createAuthClient(options)',
    expected: 'TypeError',
    run: () => outcome(() => createAuthClient(null as never)),
  },
  {
    input: "storage: 'indexedDB' (an unknown name)",
    target: 'createAuthClient storage',
    expected: 'storage_unavailable',
    run: () => client({ storage: 'indexedDB' as never }).getState().error?.code ?? 'no error',
  },
  {
    input: 'storage: {} (no methods)',
    target: 'createAuthClient storage',
    expected: 'storage_unavailable',
    run: () => client({ storage: {} as never }).getState().error?.code ?? 'no error',
  },
  {
    input: "storageKey: ''",
    target: 'storageKey (localStorage)',
    expected: 'restored: authenticated',
    run: roundTrip(''),
  },
  {
    input: 'storageKey with a NUL byte',
    target: 'storageKey (localStorage)',
    expected: 'restored: authenticated',
    run: roundTrip('a\u0000b'),
  },
  {
    input: 'storageKey of 10,000 characters',
    target: 'storageKey (localStorage)',
    expected: 'restored: authenticated',
    run: roundTrip('k'.repeat(10_000)),
  },
  {
    input: "storageKey: 'constructor'",
    target: 'storageKey (localStorage)',
    expected: 'restored: authenticated',
    run: roundTrip('constructor'),
  },
  {
    input: "storageKey: 'k; Domain=evil.example' with cookie storage",
    target: 'storageKey (cookie name)',
    // The mangled write ("k; Domain=evil.example=<entry>; …") stores no session: latchkey reads it
    // back, finds nothing and keeps the session in memory. The name itself is not validated.
    expected: 'storage_unavailable, authenticated, no session cookie',
    run: () => {
      const s = client({ storage: 'cookie', storageKey: 'k; Domain=evil.example' }).setTokens({
        accessToken: token(),
        refreshToken: 'rt',
      })
      const stored = document.cookie.includes('%22at%22') ? 'a session cookie' : 'no session cookie'
      return `${s.error?.code}, ${s.status}, ${stored}`
    },
  },
  {
    input: "syncTabs: 'yes' with localStorage",
    target: 'createAuthClient syncTabs',
    expected: '1 channel(s), 0 left open',
    run: channelsFor('yes'),
  },
  {
    input: 'syncTabs: 0 with localStorage',
    target: 'createAuthClient syncTabs',
    expected: '0 channel(s), 0 left open',
    run: channelsFor(0),
  },
  {
    input: "syncTabs: 'memory' with memory storage",
    target: 'createAuthClient syncTabs',
    expected: '1 channel(s), 0 left open',
    run: channelsFor('memory', 'memory'),
  },
  {
    input: "cookie.path: '/; Domain=evil.example'",
    target: 'cookie options',
    expected: 'storage_unavailable, authenticated',
    run: cookieWith({ path: '/; Domain=evil.example' }, 'inject1'),
  },
  {
    input: "cookie.domain: 'example.com; SameSite=None'",
    target: 'cookie options',
    expected: 'storage_unavailable, authenticated',
    run: cookieWith({ domain: 'example.com; SameSite=None' }, 'inject2'),
  },
  {
    input: "cookie.maxAge: '60; Domain=evil.example'",
    target: 'cookie options',
    expected: 'storage_unavailable, authenticated',
    run: cookieWith({ maxAge: '60; Domain=evil.example' as never }, 'inject3'),
  },
  {
    input: 'cookie.maxAge: -1',
    target: 'cookie options',
    expected: 'storage_unavailable, authenticated',
    run: cookieWith({ maxAge: -1 }),
  },
  {
    input: "cookie.sameSite: ''",
    target: 'cookie options',
    expected: 'storage_unavailable, authenticated',
    run: cookieWith({ sameSite: '' as never }),
  },
  {
    input: 'cookie.path with CRLF',
    target: 'cookie options',
    expected: 'storage_unavailable, authenticated',
    run: cookieWith({ path: '/app\r\nSet-Cookie: x=1' }),
  },
  // The edges of the control characters refused (Unicode's Cc: U+0000–U+001F, U+007F–U+009F).
  ...['\u001f', '\u007f', '\u0085', '\u009f'].map((c) => ({
    input: `cookie.domain with U+${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`,
    target: 'cookie options',
    expected: 'storage_unavailable, authenticated',
    run: cookieWith({ domain: `example.com${c}` }),
  })),
]

// ---- URLs -------------------------------------------------------------------------------------

/** Whether createAuthFetch attached the token to a request for `url`. */
const sendsTo =
  (url: string | (() => RequestInfo | URL), origins: OriginRule = [API], init?: RequestInit) =>
  async () => {
    const auth = client()
    const { accessToken } = auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    let header: string | null = null
    const send = async (input: RequestInfo | URL, sent?: RequestInit) => {
      header = new Headers(sent?.headers ?? (input instanceof Request ? input.headers : undefined)).get(
        'authorization',
      )
      return new Response('ok')
    }
    const result = await outcome(() =>
      createAuthFetch(auth, { origins, fetch: send })(typeof url === 'string' ? url : url(), init),
    )
    if (result !== 'ok') return result
    if (header === `Bearer ${accessToken}`) return 'attached'
    if (header === null) return 'not attached'
    return (header as string).includes(accessToken!)
      ? 'token added to the caller’s header'
      : `kept: ${header}`
  }

const urls: Row[] = [
  ['javascript:alert(1)', 'not attached'],
  ['data:,https://api.example.com', 'not attached'],
  ['file:///etc/passwd', 'not attached'],
  ['blob:https://api.example.com/0d1e (same origin; never leaves the page)', 'attached'],
  ['blob:https://evil.example/0d1e', 'not attached'],
  ['https://аpi.example.com/x (Cyrillic а, an IDN homograph)', 'not attached'],
  ['https://api。example。com/x (ideographic full stops map to dots)', 'attached'],
  ['https://user:pass@api.example.com/x (userinfo)', 'attached'],
  ['https://api.example.com@evil.example/x (userinfo look-alike)', 'not attached'],
  ['https://api.example.com:0443/x (default port, zero-padded)', 'attached'],
  ['https://api.example.com:444/x', 'not attached'],
  ['HTTPS://API.EXAMPLE.COM./x (uppercase, trailing dot)', 'not attached'],
  ['https://api.example.com%00.evil.example/ (NUL in host)', 'not attached'],
  ['https://api.example.com\t.evil.example/ (tab in host)', 'not attached'],
  ['users (relative: resolves against the page, not API)', 'not attached'],
].map(([label, expected]) => ({
  input: label!,
  target: "createAuthFetch(url), origins: ['https://api.example.com']",
  expected: expected!,
  run: sendsTo(label!.split(' ')[0]!),
}))

urls.push(
  {
    input: 'https://[::1]:8443/x with origins [https://[0:0:0:0:0:0:0:1]:8443]',
    target: 'createAuthFetch origins (IPv6)',
    expected: 'attached',
    run: sendsTo('https://[::1]:8443/x', ['https://[0:0:0:0:0:0:0:1]:8443']),
  },
  {
    input: 'https://[::ffff:7f00:1]/x with origins [https://127.0.0.1]',
    target: 'createAuthFetch origins (IPv4-mapped IPv6)',
    expected: 'not attached',
    run: sendsTo('https://[::ffff:7f00:1]/x', ['https://127.0.0.1']),
  },
  {
    input: 'https://0x7f000001/x with origins [https://127.0.0.1] (hex IPv4 is the same host)',
    target: 'createAuthFetch origins (IPv4 forms)',
    expected: 'attached',
    run: sendsTo('https://0x7f000001/x', ['https://127.0.0.1']),
  },
  {
    input: 'https://xn--bcher-kva.example/x with origins [https://bücher.example]',
    target: 'createAuthFetch origins (IDN)',
    expected: 'attached',
    run: sendsTo('https://xn--bcher-kva.example/x', ['https://bücher.example']),
  },
  {
    input: 'https://sub.example.com with origins [https://*.example.com] (no wildcards: a RegExp is)',
    target: 'createAuthFetch origins',
    expected: 'TypeError',
    run: sendsTo('https://sub.example.com/x', ['https://*.example.com']),
  },
  {
    input: "origins: ['javascript:alert(1)']",
    target: 'createAuthFetch origins',
    expected: 'TypeError',
    run: sendsTo(API, ['javascript:alert(1)']),
  },
  {
    input: "origins: ['*']",
    target: 'createAuthFetch origins',
    expected: 'TypeError',
    run: sendsTo(API, ['*']),
  },
  {
    input: 'origins: a predicate that throws',
    target: 'createAuthFetch origins',
    expected: 'not attached',
    run: sendsTo(`${API}/x`, () => {
      throw new Error('predicate bug')
    }),
  },
  {
    input: "origins: 'https://api.example.com' (a string, not an array: refused, not the page's default)",
    target: 'createAuthFetch origins',
    expected: 'TypeError',
    run: sendsTo(`${API}/x`, API as never),
  },
  {
    input: 'origins: [/^https:\\/\\/api\\.example\\.com$/g] used 3 times (a stateful RegExp)',
    target: 'createAuthFetch origins',
    expected: 'attached',
    run: async () => {
      const rule = [/^https:\/\/api\.example\.com$/g]
      const results = [
        await sendsTo(`${API}/1`, rule)(),
        await sendsTo(`${API}/2`, rule)(),
        await sendsTo(`${API}/3`, rule)(),
      ]
      return new Set(results).size === 1 ? results[0]! : results.join(', ')
    },
  },
  {
    input: 'an already-aborted signal',
    target: 'createAuthFetch(url, { signal })',
    expected: 'AbortError',
    run: sendsTo(`${API}/x`, [API], { signal: AbortSignal.abort() }),
  },
)

// ---- headers ----------------------------------------------------------------------------------

const headers: Row[] = [
  ['{ AUTHORIZATION: "Basic x" }', { AUTHORIZATION: 'Basic x' }, 'kept: Basic x'],
  ['{ aUtHoRiZaTiOn: "Basic x" }', { aUtHoRiZaTiOn: 'Basic x' }, 'kept: Basic x'],
  ['[["AUTHORIZATION", "Basic x"]]', [['AUTHORIZATION', 'Basic x']], 'kept: Basic x'],
  ['new Headers({ authorization: "Basic x" })', new Headers({ authorization: 'Basic x' }), 'kept: Basic x'],
  ['{ Authorization: "" }', { Authorization: '' }, 'kept: '],

  ['{ "Proxy-Authorization": "Basic x" }', { 'Proxy-Authorization': 'Basic x' }, 'attached'],
].map(([input, value, expected]) => ({
  input: input as string,
  target: 'createAuthFetch(url, { headers })',
  expected: expected as string,
  run: sendsTo(`${API}/x`, [API], { headers: value as HeadersInit }),
}))

headers.push({
  input: '{ Authorization: undefined } (a spread that left the key behind)',
  target: 'createAuthFetch(url, { headers })',
  expected: 'not attached by latchkey',
  run: async () => {
    const r = await sendsTo(`${API}/x`, [API], { headers: { Authorization: undefined } as never })()
    // What fetch makes of `undefined` differs (Node: "undefined", happy-dom: ""): only latchkey's part counts.
    return r.startsWith('kept:') ? 'not attached by latchkey' : r
  },
})
headers.push({
  input: 'a Request carrying Authorization, no init',
  target: 'createAuthFetch(request)',
  expected: 'kept: Basic x',
  run: sendsTo(() => new Request(`${API}/x`, { headers: { Authorization: 'Basic x' } })),
})

// ---- storage contents -------------------------------------------------------------------------

/** A valid stored entry, as JSON text, with fields overridden. */
function entry(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ v: 1, at: token(), rt: 'rt', sk: 0, g: 1, ...fields })
}

/** The status (or error code) of a localStorage client that starts on `raw`. */
const startsOn = (raw: string) => () => {
  localStorage.setItem('seed', raw)
  const s = client({ storage: 'localStorage', storageKey: 'seed' }).getState()
  if ((Object.prototype as Record<string, unknown>).polluted !== undefined) return 'prototype polluted'
  return s.error?.code ?? s.status
}

/** The status (or error code) of a client on a custom storage. */
const customStorage =
  (storage: Partial<TokenStorage>, syncTabs = false) =>
  async () => {
    const auth = client({ storage: storage as TokenStorage, syncTabs })
    await auth.ready
    const s = auth.getState()
    return s.error?.code ?? s.status
  }

const storage: Row[] = [
  [
    '{"__proto__":{"polluted":true}, …valid}',
    entry().replace('{', '{"__proto__":{"polluted":true},'),
    'authenticated',
  ],
  ['v: "1" (a string)', entry({ v: '1' }), 'storage_corrupt'],
  ['v: 2', entry({ v: 2 }), 'storage_corrupt'],
  ['sk: "0"', entry({ sk: '0' }), 'storage_corrupt'],
  ['sk: 1e999 (parses to Infinity)', entry().replace('"sk":0', '"sk":1e999'), 'storage_corrupt'],
  ['sk: -1e300 (pushes expiry into the past)', entry({ sk: -1e300 }), 'unauthenticated'],
  ['g: "1"', entry({ g: '1' }), 'storage_corrupt'],
  ['x: null', entry({ x: null }), 'storage_corrupt'],
  ['x: "ab"', entry({ x: 'ab' }), 'storage_corrupt'],
  ['x: [1e20, 1] (beyond Date)', entry({ x: [1e20, 1] }), 'storage_corrupt'],
  ['at: 42', entry({ at: 42 }), 'storage_corrupt'],
  ['at: a malformed JWT', entry({ at: 'a.b.c' }), 'storage_corrupt'],
  ['rt: ""', entry({ rt: '' }), 'storage_corrupt'],
  ['rt: {}', entry({ rt: {} }), 'storage_corrupt'],
  ['a JSON array', '[1,2,3]', 'storage_corrupt'],
  ['a JSON string', '"hello"', 'storage_corrupt'],
  ['100,000 levels of nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'storage_corrupt'],
  ['a 1 MB extra field next to a valid session', entry({ pad: 'x'.repeat(1_000_000) }), 'authenticated'],
  ['a raw JWT (a legacy app stored the bare token)', token(), 'storage_corrupt'],
].map(([input, raw, expected]) => ({
  input: input!,
  target: 'stored entry (localStorage, read at start-up)',
  expected: expected!,
  run: startsOn(raw!),
}))

storage.push(
  {
    input: 'a cookie value with broken percent-encoding',
    target: 'stored entry (cookie)',
    expected: 'storage_corrupt',
    run: () => {
      document.cookie = 'pct=%7B%22v%22%3A1%E0%A4%A; Path=/'
      return client({ storage: 'cookie', storageKey: 'pct' }).getState().error?.code ?? 'no error'
    },
  },
  {
    input: 'an older entry (lower g) written back by another script',
    target: 'stored entry (storage event)',
    expected: 'kept the newer session',
    run: () => {
      const auth = client({ storage: 'localStorage', storageKey: 'old', syncTabs: true })
      auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
      const old = localStorage.getItem('old')!
      const current = auth.setTokens({ accessToken: token(600), refreshToken: 'rt2' }).accessToken
      localStorage.setItem('old', old)
      window.dispatchEvent(
        new StorageEvent('storage', { key: 'old', newValue: old, storageArea: localStorage }),
      )
      return auth.getState().accessToken === current ? 'kept the newer session' : 'replaced by the old one'
    },
  },
  {
    input: 'get() returns 42',
    target: 'custom TokenStorage',
    expected: 'storage_corrupt',
    run: customStorage({ get: () => 42 as never, set() {}, remove() {} }),
  },
  {
    input: 'get() returns an object',
    target: 'custom TokenStorage',
    expected: 'storage_corrupt',
    run: customStorage({ get: () => ({ v: 1 }) as never, set() {}, remove() {} }),
  },
  {
    input: 'get() rejects with a string',
    target: 'custom TokenStorage',
    expected: 'storage_unavailable',
    run: customStorage({ get: () => Promise.reject('nope'), set() {}, remove() {} }),
  },
  {
    input: 'get() throws null',
    target: 'custom TokenStorage',
    expected: 'storage_unavailable',
    run: customStorage({
      get: () => {
        throw null
      },
      set() {},
      remove() {},
    }),
  },
  {
    input: 'subscribe() throws',
    target: 'custom TokenStorage',
    expected: 'storage_unavailable',
    run: async () => {
      const counts = countChannels()
      const storage = {
        get: () => null,
        set() {},
        remove() {},
        subscribe(): () => void {
          throw new Error('no events here')
        },
      }
      let result: string
      try {
        result = await customStorage(storage, true)()
      } catch (error) {
        result = `createAuthClient threw ${codeOf(error)}`
      }
      const open = counts.open
      counts.closeAll()
      return open === 0 ? result : `${result}, ${open} channel left open`
    },
  },
  {
    input: 'subscribe() returns a string instead of a function',
    target: 'custom TokenStorage',
    expected: 'destroy() ok',
    run: () => {
      const auth = createAuthClient({
        storage: { get: () => null, set() {}, remove() {}, subscribe: () => 'nope' as never },
      })
      return outcome(() => auth.destroy()).then((r) => (r === 'ok' ? 'destroy() ok' : r))
    },
  },
)

// ---- refresh results --------------------------------------------------------------------------

type RefreshFn = (context: RefreshContext) => unknown

/** The outcome of `refresh()` when the refresh function is `fn`: 'ok' or the code it rejects with. */
const refreshWith =
  (fn: RefreshFn, options: AuthClientOptions = {}) =>
  async () => {
    const auth = client({ refresh: fn as never, retry: { attempts: 1 }, ...options })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt-1' })
    return outcome(() => auth.refresh())
  }
const returns = (value: () => unknown) => refreshWith(async () => value())
const throws = (value: () => unknown) =>
  refreshWith(async () => {
    throw value()
  })

/** oauth2Refresh against a token endpoint answering `body` with `status`. */
const endpoint = (status: number, body: string, type = 'text/html') =>
  refreshWith(
    oauth2Refresh({
      tokenEndpoint: 'https://id.example.com/token',
      clientId: 'spa',
      fetch: async () => new Response(body, { status, headers: { 'content-type': type } }),
    }),
  )

const refreshResults: Row[] = [
  ['a string', returns(() => 'not a token set'), 'refresh_rejected'],
  ['null', returns(() => null), 'refresh_rejected'],
  ['undefined', returns(() => undefined), 'refresh_rejected'],
  ['an array', returns(() => [token()]), 'refresh_rejected'],
  ['{ accessToken: 42 }', returns(() => ({ accessToken: 42 })), 'refresh_rejected'],
  ["refreshToken: ''", returns(() => ({ accessToken: token(), refreshToken: '' })), 'refresh_rejected'],
  ['refreshToken: 42', returns(() => ({ accessToken: token(), refreshToken: 42 })), 'refresh_rejected'],
  [
    'opaque token, expiresIn: -1',
    returns(() => ({ accessToken: 'opaque', expiresIn: -1 })),
    'refresh_rejected',
  ],
  [
    'opaque token, expiresIn: NaN',
    returns(() => ({ accessToken: 'opaque', expiresIn: Number.NaN })),
    'refresh_rejected',
  ],
  [
    "opaque token, expiresIn: '60'",
    returns(() => ({ accessToken: 'opaque', expiresIn: '60' })),
    'refresh_rejected',
  ],
  [
    'opaque token, expiresIn: 0 (already expired)',
    returns(() => ({ accessToken: 'opaque', expiresIn: 0 })),
    'refresh_rejected',
  ],
  [
    'a token with alg RS512 (decoding verifies nothing)',
    returns(() => ({ accessToken: rawJwt({ alg: 'RS512' }, { exp: sec() + 60 }) })),
    'ok',
  ],
  ['exp < iat', returns(() => ({ accessToken: jwt({ iat: sec(), exp: sec() - 10 }) })), 'refresh_rejected'],
  ['exp = iat', returns(() => ({ accessToken: jwt({ iat: sec(), exp: sec() }) })), 'refresh_rejected'],
  ['no iat, exp in the past', returns(() => ({ accessToken: jwt({ exp: sec() - 1 }) })), 'refresh_rejected'],
  [
    'issued an hour ago, expired by the local clock, exp > iat (read as skew)',
    returns(() => ({ accessToken: createTestToken({}, { issuedAt: sec() - 3600, expiresIn: 300 }) })),
    'ok',
  ],
  ['an HTML page (as a string)', returns(() => '<!doctype html><title>Login</title>'), 'refresh_rejected'],
  [
    'a token set whose accessToken getter throws',
    returns(() => ({
      get accessToken() {
        throw new Error('getter')
      },
    })),
    'refresh_rejected',
  ],
  ['a synchronous token set (no promise)', refreshWith(() => ({ accessToken: token() })), 'ok'],
  [
    'a synchronous throw',
    refreshWith(() => {
      throw new Error('sync')
    }),
    'refresh_failed',
  ],
  [
    'a promise that never settles',
    refreshWith(() => new Promise(() => {}), { refreshTimeout: 20 }),
    'refresh_timeout',
  ],
  ['throws a string', throws(() => 'boom'), 'refresh_failed'],
  ['throws null', throws(() => null), 'refresh_failed'],
  ['throws undefined', throws(() => undefined), 'refresh_failed'],
  ['throws a Symbol', throws(() => Symbol('boom')), 'refresh_failed'],
  ["throws { status: '401' } (a string status)", throws(() => ({ status: '401' })), 'refresh_failed'],
  [
    'throws { status: NaN, response: { status: 401 } }',
    throws(() => ({ status: Number.NaN, response: { status: 401 } })),
    'refresh_rejected',
  ],
  [
    "throws { response: { data: { error: 'invalid_grant' } } }",
    throws(() => ({ response: { data: { error: 'invalid_grant' } } })),
    'refresh_rejected',
  ],
  ['throws a TypeError (network)', throws(() => new TypeError('fetch failed')), 'refresh_failed'],
  [
    'throws an AbortError of its own',
    throws(() => new DOMException('aborted', 'AbortError')),
    'refresh_failed',
  ],
  ['oauth2Refresh: 200 with an HTML body', endpoint(200, '<html>Sign in</html>'), 'refresh_failed'],
  ['oauth2Refresh: 502 with an HTML body', endpoint(502, '<html>Bad gateway</html>'), 'refresh_failed'],
  ['oauth2Refresh: 401 with an HTML body', endpoint(401, '<html>Unauthorized</html>'), 'refresh_rejected'],
  [
    'oauth2Refresh: 200 with access_token: 42',
    endpoint(200, '{"access_token":42}', 'application/json'),
    'refresh_rejected',
  ],
  ['oauth2Refresh: 200 with JSON null', endpoint(200, 'null', 'application/json'), 'refresh_failed'],
  [
    "oauth2Refresh: 200 with { error: 'invalid_grant' }",
    endpoint(200, '{"error":"invalid_grant"}', 'application/json'),
    'refresh_rejected',
  ],
].map(([input, run, expected]) => ({
  input: input as string,
  target: 'refresh() result',
  expected: expected as string,
  run: run as () => Promise<string>,
}))

refreshResults.push(
  {
    input: 'throws an object whose status getter throws',
    target: 'refresh() failure',
    expected: 'refresh_failed',
    run: throws(() => ({
      get status() {
        throw new Error('getter')
      },
    })),
  },
  {
    input: 'throws a Proxy that throws on every property read',
    target: 'refresh() failure',
    expected: 'refresh_failed',
    run: throws(
      () =>
        new Proxy(
          {},
          {
            get() {
              throw new Error('trap')
            },
          },
        ),
    ),
  },
  {
    input: 'after the getter throw: a second refresh() with a working refresh function',
    target: 'refresh() failure',
    expected: 'ok',
    run: async () => {
      let hostile = true
      const auth = client({
        retry: { attempts: 1 },
        refresh: async () => {
          if (hostile)
            throw {
              get status() {
                throw new Error('getter')
              },
            }
          return { accessToken: token(600) }
        },
      })
      auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
      await auth.refresh().catch(() => {})
      hostile = false
      const second = await outcome(() => auth.refresh())
      return auth.getState().isRefreshing ? `${second}, isRefreshing stuck` : second
    },
  },
  {
    input: 'throws a RefreshError from another copy of latchkey (permanent, 401)',
    target: 'refresh() failure (cross-realm)',
    expected: 'refresh_rejected',
    run: throws(() =>
      Object.assign(new Error('revoked'), {
        name: 'RefreshError',
        code: 'refresh_rejected',
        permanent: true,
        status: 401,
      }),
    ),
  },
  {
    input: 'throws a real RefreshError from a second instance of the errors module',
    target: 'refresh() failure (cross-realm)',
    expected: 'refresh_rejected',
    run: async () => {
      // The query string makes Vite load errors.ts again: a second RefreshError class, as a duplicate
      // install (or an ESM and a CJS copy side by side) gives an app.
      const path = '../src/errors.ts?copy'
      const copy: typeof import('../src/errors') = await import(/* @vite-ignore */ path)
      expect(copy.RefreshError).not.toBe((await import('../src')).RefreshError)
      return throws(() => new copy.RefreshError('revoked', { permanent: true, status: 401 }))()
    },
  },
  {
    input: 'throws a transient RefreshError from another copy of latchkey',
    target: 'refresh() failure (cross-realm)',
    expected: 'refresh_failed',
    run: throws(() =>
      Object.assign(new Error('down'), { name: 'RefreshError', code: 'refresh_failed', permanent: false }),
    ),
  },
)

// ---- getAccessToken ---------------------------------------------------------------------------

const accessTokens: Row[] = [
  {
    input: 'minValidity: -3600 with a token that expired a minute ago (timers asleep)',
    target: 'getAccessToken({ minValidity })',
    expected: 'null',
    run: async () => {
      vi.useFakeTimers({ now: T0 })
      const auth = client()
      auth.setTokens({ accessToken: token(60), refreshToken: 'rt' })
      await auth.ready
      vi.setSystemTime(T0 + 120_000)
      const t = await auth.getAccessToken({ minValidity: -3600 })
      return t === null ? 'null' : 'an expired token'
    },
  },
  {
    input: 'minValidity: NaN, five calls',
    target: 'getAccessToken({ minValidity })',
    expected: 'at most one refresh',
    run: async () => {
      const refresh = vi.fn(async () => ({ accessToken: token() }))
      const auth = client({ refresh })
      auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
      for (let i = 0; i < 5; i++) await auth.getAccessToken({ minValidity: Number.NaN })
      return refresh.mock.calls.length <= 1 ? 'at most one refresh' : `${refresh.mock.calls.length} refreshes`
    },
  },
  {
    input: 'minValidity: 1e9 without a refresh function',
    target: 'getAccessToken({ minValidity })',
    expected: 'the current token',
    run: async () => {
      const auth = client()
      const { accessToken } = auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
      return (await auth.getAccessToken({ minValidity: 1e9 })) === accessToken ? 'the current token' : 'other'
    },
  },
]

// ---- login results and the lifecycle -----------------------------------------------------------

/** The outcome of `login()` with a login function that is `fn`. */
const loginWith =
  (fn: unknown, options: AuthClientOptions = {}) =>
  () =>
    outcome(async () => (await client({ login: fn as never, ...options }).login({ user: 'a' })).status)

const lifecycle: Row[] = [
  ['login returns a malformed token', loginWith(async () => ({ accessToken: 'a.b' })), 'invalid_token'],
  ['login returns null', loginWith(async () => null), 'invalid_token'],
  [
    "login returns refreshToken: ''",
    loginWith(async () => ({ accessToken: token(), refreshToken: '' })),
    'invalid_token',
  ],
  [
    'login returns an expired token, no refresh function',
    loginWith(async () => ({ accessToken: jwt({ exp: sec() - 1 }) })),
    'unauthenticated',
  ],
  ['login throws a string', loginWith(async () => Promise.reject('denied')), 'login_failed'],
  ['login throws null', loginWith(async () => Promise.reject(null)), 'login_failed'],
  [
    'login throws an object with a throwing getter',
    loginWith(async () =>
      Promise.reject({
        get message() {
          throw new Error('getter')
        },
      }),
    ),
    'login_failed',
  ],
  ['no login function', loginWith(undefined), 'login_failed'],
  ['login: 42 (not a function)', loginWith(42), 'login_failed'],
  [
    'login resolves after destroy()',
    async () => {
      const auth = client({ login: async () => ({ accessToken: token() }) })
      const p = outcome(() => auth.login({}))
      auth.destroy()
      return p
    },
    'destroyed',
  ],
  [
    'setTokens after destroy()',
    () => {
      const a = client()
      a.destroy()
      return outcome(() => a.setTokens({ accessToken: token() }))
    },
    'destroyed',
  ],
  [
    'refresh() after destroy()',
    () => {
      const a = client({ refresh: async () => ({ accessToken: token() }) })
      a.destroy()
      return outcome(() => a.refresh())
    },
    'destroyed',
  ],
  [
    'getAccessToken() after destroy()',
    () => {
      const a = client()
      a.destroy()
      return outcome(() => a.getAccessToken())
    },
    'destroyed',
  ],
  [
    'logout() after destroy()',
    () => {
      const a = client()
      a.destroy()
      return outcome(() => a.logout())
    },
    'ok',
  ],
  [
    'destroy() twice',
    () => {
      const a = client()
      a.destroy()
      return outcome(() => a.destroy())
    },
    'ok',
  ],
  [
    'logout throws a Symbol',
    async () => {
      const a = client({ logout: () => Promise.reject(Symbol('x')) })
      a.setTokens({ accessToken: token() })
      await a.logout()
      return a.getState().error?.code ?? 'no error'
    },
    'logout_failed',
  ],
].map(([input, run, expected]) => ({
  input: input as string,
  target: 'login() / lifecycle',
  expected: expected as string,
  run: run as () => Promise<string>,
}))

// ---- the catalogue ----------------------------------------------------------------------------

const catalogue = {
  tokens,
  options,
  urls,
  headers,
  'storage contents': storage,
  'refresh results': refreshResults,
  getAccessToken: accessTokens,
  'login results and lifecycle': lifecycle,
}
const rows = Object.values(catalogue).flat()

describe('hostile inputs', () => {
  for (const [table, list] of Object.entries(catalogue)) {
    describe(table, () => {
      for (const row of list) {
        const name = `[${row.target}] ${row.input} → ${row.expected}`
        it(name, async () => {
          expect(await row.run()).toBe(row.expected)
        })
      }
    })
  }

  it(`has a catalogue of at least 60 rows (${rows.length})`, () => {
    expect(rows.length).toBeGreaterThanOrEqual(60)
    expect(new Set(rows.map((r) => `${r.target} ${r.input}`)).size).toBe(rows.length)
  })
})
