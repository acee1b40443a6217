import type { AuthClient } from './types'

/** Which origins get the token: origin strings, RegExps tested against the origin, or a predicate. */
export type OriginRule = Array<string | RegExp> | ((url: URL) => boolean)

export interface AuthFetchOptions {
  /**
   * The underlying fetch. Default: `globalThis.fetch`, looked up at call time (so test mocks apply).
   * @example createAuthFetch(auth, { fetch: undiciFetch, origins: ['https://api.example.com'] })
   */
  fetch?: typeof fetch
  /**
   * Origins that receive the token. Compared on the parsed URL's origin (scheme, host, port), never on a
   * string prefix. A string's path is ignored; a RegExp is tested against `url.origin`; a predicate gets
   * the parsed URL of every request. URLs with an opaque origin (`data:`, `about:`) never get the token.
   * Default: the page's own origin (`location.origin`, read at call time). Outside a browser nothing
   * is attached until this is set.
   * @example ['https://api.example.com', /^https:\/\/[a-z]+\.example\.com$/]
   */
  origins?: OriginRule
  /**
   * Refresh once and replay a request that got a 401. Default `true`.
   * @example createAuthFetch(auth, { origins: ['https://api.example.com'], retryOn401: false })
   */
  retryOn401?: boolean
}

// A clean absolute URL up to the end of a non-empty authority. Without backslashes, whitespace or control
// characters (which the URL parser turns into `/` or strips), the origin is a function of this prefix alone.
const AUTHORITY = /^[a-z][a-z\d+.-]*:\/\/[\w.~%!$&'()*+,;=:@[\]-]+(?=[/?#]|$)/i
// A path-relative URL (`/x`, not `//x`, `/\x` or `/<tab>/x`): its origin is the base URL's.
const PATH = /^\/(?:[\w.~%!$&'()*+,;=:@-]|$)/
const MAX_VERDICTS = 100

const pageOrigin = (): string | undefined => (typeof location === 'undefined' ? undefined : location?.origin)
// fetch resolves relative URLs against the document's base URL (a <base> element), else the location.
const baseURL = (): string | undefined =>
  (typeof document === 'undefined' ? undefined : document?.baseURI) ||
  (typeof location === 'undefined' ? undefined : location?.href)

const parse = (url: string, base?: string): URL | undefined => {
  try {
    return new URL(url, base)
  } catch {
    return undefined
  }
}

let warned = false

/**
 * For adapters (`@latchkey/axios`): builds the origin check `createAuthFetch` uses. The returned
 * function takes a URL as the request will really be sent (relative URLs resolve against the page)
 * and says whether it may carry the token. Verdicts for array rules are cached per origin prefix, so
 * the hot path parses no URL. `caller` names the function in the one-time "set `origins`" warning.
 */
export function createOriginMatcher(
  origins?: OriginRule,
  caller = 'createAuthFetch',
): (url: string) => boolean {
  if (typeof origins === 'function') {
    // The predicate may look past the origin (at the path), so its answers are not cached.
    return (url) => {
      const parsed = parse(url, baseURL())
      return !!parsed && parsed.origin !== 'null' && origins(parsed)
    }
  }
  const list = origins?.map((o) => {
    if (typeof o !== 'string') return new RegExp(o.source, o.flags.replace(/[gy]/g, '')) // a stateless `test`
    const parsed = parse(o)
    if (!parsed || parsed.origin === 'null') {
      throw new TypeError(
        `[latchkey] ${caller}: origins entry "${o}" is not an origin like https://api.example.com`,
      )
    }
    return parsed.origin
  })
  const verdicts = new Map<string, boolean>()
  let page: string | undefined

  return (url) => {
    if (!list) {
      const current = pageOrigin()
      if (!current) {
        if (!warned) {
          warned = true
          console.warn(
            `[latchkey] ${caller}: there is no page origin outside a browser, so no token is attached. Set the \`origins\` option.`,
          )
        }
        return false
      }
      // The default rule depends on the page: a new page starts with no verdicts.
      if (current !== page) verdicts.clear()
      page = current
    }
    let key = AUTHORITY.exec(url)?.[0]
    // A path resolves to the base's origin, so it shares the base's verdict.
    if (key === undefined && PATH.test(url)) key = AUTHORITY.exec(baseURL() ?? '')?.[0]
    const cached = key === undefined ? undefined : verdicts.get(key)
    if (cached !== undefined) return cached
    const origin = parse(url, baseURL())?.origin
    const verdict =
      !!origin &&
      origin !== 'null' &&
      (list ? list.some((o) => (typeof o === 'string' ? o === origin : o.test(origin))) : origin === page)
    if (key !== undefined) {
      if (verdicts.size >= MAX_VERDICTS) verdicts.clear()
      verdicts.set(key, verdict)
    }
    return verdict
  }
}

/** The token a request was sent with, as {@link TokenRenewer.acquire} handed it out. */
export interface SentToken {
  readonly token: string
  /** Refresh failures seen before the request left; tells a late 401 from a new one. */
  readonly mark: number
  /** The token's `sub` claim, if any: a 401 is never replayed with another user's token. */
  readonly sub?: unknown
}

/** For adapters: hands out tokens for requests and decides what to replay a 401 with. */
export interface TokenRenewer {
  /** The token to send now (refreshed first when about to expire), or `null` when there is none. */
  acquire(signal?: AbortSignal | null): Promise<SentToken | null>
  /**
   * After a 401 to a request sent with `sent`: the token to replay it with, or `null` to give up and
   * hand the 401 to the caller. Rejects only with the signal's reason (or `destroyed`).
   */
  renew(sent: SentToken, signal?: AbortSignal | null): Promise<string | null>
}

/** Waits for `promise`, or rejects with the signal's reason when it aborts first. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | null | undefined): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason)
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort))
  })
}

/**
 * For adapters (`@latchkey/axios`): the 401 logic `createAuthFetch` uses. A 401 to a request sent with
 * an older token than the client now holds is replayed with the current one, at no refresh (unless the
 * current token has another `sub`: then the 401 stands). Otherwise one refresh is shared by every 401
 * for that token. A 401 to a request that left before a refresh for its token failed starts no new
 * one, so a burst of late 401s costs one refresh either way.
 */
export function createTokenRenewer(client: AuthClient<any, any>): TokenRenewer {
  let failures = 0
  let failedFor: string | null = null
  let pending: { from: string; promise: Promise<string | null> } | null = null

  // Our own single flight on top of the client's: a 401 that arrives while the refresh is settling
  // must not start a second one.
  const refreshFrom = (from: string): Promise<string | null> => {
    if (pending?.from === from) return pending.promise
    const promise = client.refresh().then(
      (token) => token,
      () => {
        failures++
        failedFor = from
        return null
      },
    )
    pending = { from, promise }
    promise.finally(() => {
      if (pending?.promise === promise) pending = null
    })
    return promise
  }

  return {
    async acquire(signal) {
      const token = await abortable(client.getAccessToken(), signal)
      if (!token) return null
      const state = client.getState()
      return { token, mark: failures, sub: state.accessToken === token ? state.claims?.sub : undefined }
    },
    async renew(sent, signal) {
      const current = client.getState().accessToken
      // Logged out, or the refresh was rejected: nothing to replay with.
      if (!current) return null
      // Someone else signed in meanwhile: their token must not carry this request.
      if (sent.sub !== undefined && client.getState().claims?.sub !== sent.sub) return null
      let next: string | null
      if (current !== sent.token) next = await abortable(client.getAccessToken(), signal)
      else if (failedFor === sent.token && failures !== sent.mark && pending?.from !== sent.token) return null
      else next = await abortable(refreshFrom(sent.token), signal)
      return next === sent.token ? null : next
    },
  }
}

type Input = Parameters<typeof fetch>[0]

const isHeaders = (h: HeadersInit): h is Headers => typeof (h as Headers).has === 'function'

function hasAuthorization(headers: HeadersInit | undefined): boolean {
  if (!headers) return false
  if (isHeaders(headers)) return headers.has('authorization')
  const keys = Array.isArray(headers) ? headers.map((h) => h[0]) : Object.keys(headers)
  return keys.some((k) => k?.toLowerCase() === 'authorization')
}

function withToken(
  init: RequestInit | undefined,
  headers: HeadersInit | undefined,
  token: string,
): RequestInit {
  const value = `Bearer ${token}`
  let next: HeadersInit
  if (!headers) next = { Authorization: value }
  else if (Array.isArray(headers)) next = [...headers, ['Authorization', value]]
  else if (isHeaders(headers)) {
    next = new Headers(headers)
    next.set('Authorization', value)
  } else next = { ...headers, Authorization: value }
  return { ...init, headers: next }
}

/** A body that is consumed by sending it (a stream or an async iterable), so it cannot be replayed. */
const isOneShotBody = (body: unknown): boolean =>
  typeof body === 'object' &&
  body !== null &&
  (typeof (body as ReadableStream).getReader === 'function' ||
    typeof (body as { pipe?: unknown }).pipe === 'function' ||
    Symbol.asyncIterator in body)

const noop = () => {}

/**
 * Wraps `fetch` so requests to allowed origins carry `Authorization: Bearer <token>`, refreshed first
 * when it is about to expire. A 401 is answered by one shared refresh and one replay with the same
 * method, headers and body. It never overwrites an `Authorization` header the caller set, never sends
 * the token to other origins, and does not replay a `ReadableStream` body (its 401 is returned).
 * Make the refresh call itself with plain `fetch`: a refresh that waits on this fetch waits on itself.
 * @example
 * const api = createAuthFetch(auth, { origins: ['https://api.example.com'] })
 * const me = await api('https://api.example.com/me').then((r) => r.json())
 */
export function createAuthFetch(client: AuthClient<any, any>, options: AuthFetchOptions = {}): typeof fetch {
  const { retryOn401 = true } = options
  const allowed = createOriginMatcher(options.origins)
  const tokens = createTokenRenewer(client)

  return async function authFetch(input: Input, init?: RequestInit): Promise<Response> {
    const send = options.fetch ?? globalThis.fetch
    const request = typeof input === 'object' && 'method' in input ? (input as Request) : undefined
    const url = typeof input === 'string' ? input : request ? request.url : String(input)
    const headers = init?.headers ?? request?.headers
    if (!allowed(url) || hasAuthorization(headers)) return send(input, init)
    const signal = init?.signal ?? request?.signal
    const sent = await tokens.acquire(signal)
    if (!sent) return send(input, init)
    const body = init?.body ?? null
    // A Request's body is a stream that the first send consumes: keep a copy for the replay. Other
    // bodies (string, Blob, FormData, URLSearchParams, buffers) can simply be sent again.
    const spare = retryOn401 && body === null && request?.body ? request.clone() : request
    const response = await send(input, withToken(init, headers, sent.token))
    const dropSpare = () => spare !== request && spare?.body?.cancel().catch(noop)
    if (response.status !== 401 || !retryOn401 || isOneShotBody(body)) {
      dropSpare()
      return response
    }
    const next = await tokens.renew(sent, signal).catch((error: unknown) => {
      dropSpare()
      throw error
    })
    if (!next) {
      dropSpare()
      return response
    }
    // Free the connection of the 401 we are not returning.
    response.body?.cancel().catch(noop)
    return send(spare ?? input, withToken(init, headers, next))
  }
}
