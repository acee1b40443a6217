import { createOriginMatcher, leftOrigin, type OriginRule } from './originMatcher'
import { abortable, copyBody, createTokenRenewer, isOneShot } from './tokenRenewer'
import type { AuthClient } from './types'

export interface AuthFetchOptions {
  /**
   * The underlying fetch. Default: `globalThis.fetch`, looked up at call time (so test mocks apply).
   * @example createAuthFetch(auth, { fetch: undiciFetch, origins: ['https://api.example.com'] })
   */
  fetch?: typeof fetch | undefined
  /**
   * Origins that receive the token. Compared on the parsed URL's origin (scheme, host, port), never on a
   * string prefix. A string's path is ignored; a RegExp is tested against `url.origin`; a predicate gets
   * the parsed URL of every request. URLs with an opaque origin (`data:`, `about:`) never get the token.
   * Default: the page's own origin (`location.origin`, read at call time). Outside a browser nothing
   * is attached until this is set.
   * @example ['https://api.example.com', /^https:\/\/[a-z]+\.example\.com$/]
   */
  origins?: OriginRule | undefined
  /**
   * Refresh once and replay a request that got a 401. Default `true`.
   * @example createAuthFetch(auth, { origins: ['https://api.example.com'], retryOn401: false })
   */
  retryOn401?: boolean | undefined
}

type Input = Parameters<typeof fetch>[0]

const hasOwn = Object.prototype.hasOwnProperty

/** Any spelling of Authorization, in a plain object or in pairs (an array, Headers, a Map). */
const hasAuthorization = (headers?: HeadersInit) =>
  !!headers &&
  (Symbol.iterator in headers
    ? Array.from(headers as Iterable<string[]>, (h) => h[0])
    : Object.keys(headers)
  ).some((k) => k?.length === 13 && k.toLowerCase() === 'authorization')

/**
 * A copy of `from` with `key` set to `value`, made key by key: V8 adds a key to a spread copy several
 * times slower than it builds a new object (the one-line baseline in bench/overhead.mjs pays that), and
 * this runs twice on every request. Enumerable string keys, as fetch reads them: an init's members also
 * from its prototypes (`inherited`), headers' own keys only. (A spread also copies symbols: fetch
 * ignores them in an init and throws on them in headers.)
 */
const copyWith = <T>(from: object | undefined, key: string, value: unknown, inherited?: boolean): T => {
  const to: Record<string, unknown> = {}
  for (const k in from)
    if (k === '__proto__') {
      // Assigned, it would set the copy's prototype. An init has no such member: it is skipped. Headers
      // with one are copied by a spread, which keeps it a key.
      if (!inherited) return { ...from, [key]: value } as T
    } else if (inherited || hasOwn.call(from, k)) to[k] = (from as Record<string, unknown>)[k]
  // An init made by a class: fetch reads each member by name, also a getter the class defines, which is
  // not enumerable. (A plain object, the usual init, has no more to give.) Left out: a name the copy has
  // already (copied, or one every object has: `constructor`), and a getter that throws: fetch reads only
  // its own members, and takes an init whose other getters throw. (One of its own that throws is left
  // out too, where plain fetch would fail: a broken init either way.)
  if (inherited)
    for (
      let p = from && Object.getPrototypeOf(from);
      p && p !== Object.prototype;
      p = Object.getPrototypeOf(p)
    )
      for (const k of Object.getOwnPropertyNames(p))
        if (!(k in to))
          try {
            to[k] = (from as Record<string, unknown>)[k]
          } catch {}
  to[key] = value
  return to as T
}

/**
 * The request's init with its own copy of the headers (the app may change its objects after the call;
 * fetch reads them at the call) and `body` (a copy, where the caller made one), carrying `token` as
 * Authorization when there is one. Given an init it made, it replaces the token there.
 */
function withToken(
  init: RequestInit | undefined,
  headers: HeadersInit | undefined,
  token: string | null,
  body?: BodyInit | null,
): RequestInit {
  const value = `Bearer ${token}`
  let next: HeadersInit
  if (Array.isArray(headers)) {
    // Pairs stay pairs, in a new array (msw's Headers, in an app's tests, writes into the array it is
    // built from). The caller's have no Authorization (see hasAuthorization): one found is the token.
    const pairs = headers.filter((h) => h[0] !== 'Authorization')
    if (token) pairs.push(['Authorization', value])
    next = pairs
  } else if (typeof (headers as Headers)?.has === 'function') {
    // Headers (also a polyfill's, or another realm's), or a Map: recognised by its methods, and copied
    // through forEach, which all of them have (a polyfill's constructor may read only own properties).
    const own = new Headers()
    ;(headers as Headers).forEach((v, k) => {
      own.append(k, v)
    })
    if (token) own.set('Authorization', value)
    next = own
  } else next = token ? copyWith(headers, 'Authorization', value) : { ...headers }
  const copy: RequestInit = copyWith(init, 'headers', next, true)
  if (body != null) copy.body = body
  return copy
}

// A body that is not a web stream (a Node stream from a fetch polyfill) has no cancel.
const cancel = (r?: Request | Response | null) => r?.body?.cancel?.().catch(() => {})
/** Frees the copy kept for a replay that will not happen. */
const release = (spare?: Request, request?: Request) => spare !== request && cancel(spare)
/** Where a request goes, read now: a URL object (or a relative URL's base) may change later. */
const urlOf = (input: Input, request?: Request) => (request ? request.url : String(input))

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
  // Looked up at call time, so test mocks of `globalThis.fetch` apply.
  const send: typeof fetch = (input, init) => (options.fetch ?? globalThis.fetch)(input, init)

  /** Sends with `token` (none: as it is); a 401 is answered by one shared refresh and one replay. */
  const attempt = (
    input: Input,
    init: RequestInit | undefined,
    request: Request | undefined,
    headers: HeadersInit | undefined,
    signal: AbortSignal | null | undefined,
    token: string | null,
    owned?: boolean,
  ): Promise<Response> => {
    if (!token) return send(input, init)
    const sent = tokens.sent(token)
    const body = init?.body
    // A Request's body is a stream that the first send consumes: keep a copy for the replay. Other
    // bodies are sent again, as they were now: a URLSearchParams, FormData or buffer the app may reuse
    // meanwhile is copied (unless it is a copy already, `owned`), strings and Blobs are immutable.
    const spare = retryOn401 && body == null && request && request.body !== null ? request.clone() : request
    const kept = retryOn401 && !owned ? copyBody(body) : body
    const first = withToken(init, headers, token)
    return send(input, first).then((response) => {
      // A 401 after redirects that left the origin (to stay elsewhere, or to come back): fetch dropped
      // the token on the way, so that 401 says nothing about it and is worth no refresh.
      if (
        response.status !== 401 ||
        !retryOn401 ||
        isOneShot(body) ||
        (response.redirected && leftOrigin(response, urlOf(input, request)))
      ) {
        release(spare, request)
        return response
      }
      return tokens.renew(sent, signal).then(
        (next) => {
          // Checked again: the replay goes wherever the URL points now.
          if (!next || !allowed(urlOf(input, request))) {
            release(spare, request)
            return response
          }
          // Free the connection of the 401 we are not returning.
          cancel(response)
          return send(spare ?? input, withToken(first, first.headers, next, kept))
        },
        (error: unknown) => {
          // Aborted by the caller (or the client destroyed): nobody reads this 401.
          cancel(response)
          release(spare, request)
          throw error
        },
      )
    })
  }

  return (input: Input, init?: RequestInit): Promise<Response> => {
    try {
      const request = typeof input === 'object' && 'method' in input ? input : undefined
      let headers = init?.headers ?? request?.headers
      // Pairs from an iterable read only once (a generator, `headers.entries()`), read once here: the
      // check below and the copy would each use it up, and fetch would send none of them.
      if (headers && Symbol.iterator in headers && !Array.isArray(headers) && !('forEach' in headers)) {
        headers = Array.from(headers as Iterable<[string, string]>, ([k, v]) => [k, v] as [string, string])
        init = copyWith(init, 'headers', headers, true)
      }
      const url = urlOf(input, request)
      if (!allowed(url) || hasAuthorization(headers)) return send(input, init)
      // `signal: null` detaches a Request from its own signal, as in fetch.
      const signal = init?.signal !== undefined ? init.signal : request?.signal
      // The hot path: a valid token is read without waiting, so a request costs no extra await and no
      // callback; only the wait for a token being refreshed builds one. Sent later (after the wait, or
      // on the replay), a request is what it was at the call, as with fetch: the URL as a string, and
      // copies of the headers and body, which the app may reuse meanwhile.
      if (!request) input = url
      const token = signal?.aborted ? null : client.peekAccessToken()
      if (token) return attempt(input, init, request, headers, signal, token)
      const asCalled = withToken(init, headers, null, copyBody(init?.body))
      return abortable(client.getAccessToken(), signal).then((t) =>
        // After the wait the URL is checked again, as it is what goes out now (a relative URL resolves
        // against the document's base URL at the send).
        attempt(
          input,
          asCalled,
          request,
          asCalled.headers,
          signal,
          allowed(urlOf(input, request)) ? t : null,
          true,
        ),
      )
    } catch (error) {
      // Like fetch: failures are rejections, never synchronous throws.
      return Promise.reject(error)
    }
  }
}
