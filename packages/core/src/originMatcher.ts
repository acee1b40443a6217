import { copyBody } from './tokenRenewer'

/** Which origins get the token: origin strings, RegExps tested against the origin, or a predicate. */
export type OriginRule = Array<string | RegExp> | ((url: URL) => boolean)

// A clean absolute URL up to the end of a non-empty authority. Without backslashes, whitespace or
// control characters (which the URL parser turns into `/` or strips) the origin depends on this alone.
const AUTHORITY = /^[a-z][a-z\d+.-]*:\/\/[\w.~%!$&'()*+,;=:@[\]-]+(?=[/?#]|$)/i
// A path-relative URL (`/x`, not `//x`, `/\x` or `/<tab>/x`): its origin is the base URL's.
const PATH = /^\/(?:[\w.~%!$&'()*+,;=:@-]|$)/
const page = globalThis as { location?: Location; document?: Document; origin?: string }
// fetch resolves relative URLs against the document's base URL (a <base> element), else the location.
const base = () => page.document?.baseURI || page.location?.href

/** The parsed origin, or undefined for an unparsable URL or an opaque origin (`data:`, `about:`). */
const originOf = (url: string, from?: string) => {
  try {
    const { origin } = new URL(url, from)
    return origin === 'null' ? undefined : origin
  } catch {}
}

// Callers (createAuthFetch, attachAuth) that have said so: each one once, as each attaches nothing.
const warned: Record<string, boolean> = {}

/**
 * For adapters: whether a response came from another origin than its request was sent to. `fetch` and
 * axios drop `Authorization` on a redirect across origins, so such a 401 says nothing about the token.
 * False when either URL does not parse (a relative URL outside a browser, a Unix socket's `http:`).
 */
export function crossedOrigin(finalUrl: string | false | undefined, sentUrl: string): boolean {
  const sent = originOf(sentUrl, base())
  const final = finalUrl && originOf(finalUrl)
  return !!sent && !!final && final !== sent
}

/**
 * Whether the redirects that led to `response` left the origin its request was sent to: `fetch` drops
 * Authorization on the first hop to another origin and never puts it back, so its 401 says nothing
 * about the token. The final URL tells a chain that ended elsewhere. One that came back (API → another
 * origin → API) shows in the response's type: fetch makes it `cors` for good once a hop leaves the
 * origin the fetch started from (the page's; in Node's undici the request's own URL's, as there is no
 * page), and for a request to that origin, the hop that left it dropped the header. A request to
 * another origin than the page's is `cors` from the start: there only the final URL tells. So is every
 * request from an opaque origin (a sandboxed iframe: `self.origin` is `'null'`, though `location.origin`
 * names its URL's). Fetches that do not follow the standard here (Deno and Bun report `basic` or
 * `default`) tell only by the final URL.
 */
export function leftOrigin(response: Response, sentUrl: string): boolean {
  const home = page.location?.origin
  // `self.origin` tells an opaque origin, where location.origin does not; it only turns the type rule
  // off, as a page script may have replaced it (a global `var origin`).
  return (
    crossedOrigin(response.url, sentUrl) ||
    (response.type === 'cors' && (!home || (page.origin !== 'null' && home === originOf(sentUrl, base()))))
  )
}

type Redirect = (options: { href?: string; headers?: Record<string, unknown> }, ...rest: any[]) => void
type Transform = (
  this: Guarded,
  data: unknown,
  headers: { Authorization?: unknown; delete(name: string): unknown },
) => unknown
type Guarded = {
  redact?: unknown
  beforeRedirect?: Redirect | undefined
  transformRequest?: unknown
  headers?: { Authorization?: unknown } | undefined
  data?: unknown
}

type Interceptor = { fulfilled?: (config: any) => unknown } | null | undefined
/** axios's `interceptors.request`, as much of it as `use` needs. */
type Interceptors = {
  handlers?: Interceptor[]
  use(...args: unknown[]): number
  eject(id: number): void
}
/** What runs after each of an axios instance's request interceptors: given the config, and its list before. */
type Follow = (config: any, before: unknown) => void
/** axios's request interceptor lists followed (see `use`), with what follows each interceptor there. */
const following = new WeakMap<object, Set<Follow>>()
/** The adapters' own request interceptors, which need no following. */
const adapters = new WeakSet<object>()

/**
 * What `guardConfig` returns: `(config, header?, record?)` readies a config; `sentWith` reads the
 * record; `use(interceptors, onRequest)` adds the adapter's request interceptor to axios's
 * `interceptors.request`, follows the others there, and returns what ejects it.
 */
export type ConfigGuard<S> = ((config: Guarded, header?: string, record?: [S, unknown?]) => void) & {
  sentWith(config: Guarded): [S, unknown?] | undefined
  use(interceptors: object, onRequest: (config: any) => any): () => void
}

/**
 * For adapters (`@latchkey/axios`): returns what readies an axios config that carries the token.
 * axios (1.x) leaves what `redact` names out of a failed request's `error.toJSON()` (it ignores a
 * `redact` that is not an array: then Authorization alone). In Node, a redirect to an origin `allowed`
 * refuses loses the header before the app's own `beforeRedirect` runs: axios before 1.8 keeps it on a
 * hop to a subdomain (`api.example.com` to `x.api.example.com`) and from http to https. Whether the
 * last hop still carried it, the adapter reads from the request (`getHeader`).
 *
 * Given `sentTo` (the URL a config will be sent to) and the `header` put on a config, the header is
 * checked once more when axios transforms the request, after every request interceptor: one added
 * before the adapter's runs after it, and may point the request elsewhere (a `baseURL` per tenant).
 * The adapter adds its own through `use`: an interceptor there that replaces the config's
 * `transformRequest` (and so the check) gets the check put back on the list it leaves.
 * The header is removed there if `allowed` refuses the URL and the header is one put on (one of the
 * last eight); one the app's own interceptor set since is left alone.
 *
 * A `record` (what the request was sent with) is kept for a replay on the config's own `transformRequest`
 * list, with the body as it was sent: as the last request interceptor left it, read by the check (axios's
 * own transforms come next). Not on the config: axios's config is a dictionary that axios adds a key to
 * and deletes again for every response, and a default config with one key more than `redact` and
 * `beforeRedirect` outgrew its table there, which V8 then doubled and rehashed on every request: 3 to
 * 4% of a request (bench/overhead.mjs). `sentWith(config)` reads it back; for a config sent again
 * (axios-retry sends a failed request's config through the instance, and axios copies the list without
 * it), it gives what the first request with the config's header was sent with, and the config's body.
 */
export function guardConfig<S>(
  allowed: (url: string) => boolean,
  sentTo?: (config: any) => string,
): ConfigGuard<S> {
  // One function for every request: a closure made per request cost attachAuth about 1 µs a request,
  // a tenth of the whole (bench/overhead.mjs). An app's own `beforeRedirect` is wrapped.
  const strip: Redirect = (options) => {
    for (const name in options.headers)
      if (name.toLowerCase() === 'authorization' && !allowed(String(options.href)))
        delete options.headers[name]
  }
  // The last eight headers put on (a request held back by a slow interceptor may carry an older token
  // than the last), with the first record sent with each: a header that the app's own interceptor set
  // after the adapter's is left alone. Kept here, not on each config: a key added to an axios config
  // costs every request.
  const put = new Map<unknown, S | undefined>()
  // The last header put on, and whether with a record: the map is left alone while they stay the same.
  let last: unknown
  let recorded = false
  const recheck: Transform = function (data, headers) {
    if (!allowed(sentTo!(this)) && put.has(headers?.Authorization)) headers.delete('Authorization')
    // A copy: the app may reuse its URLSearchParams, FormData or buffer meanwhile.
    const record = (this.transformRequest as List)[RECORD]
    if (record && record.length < 2) record[1] = copyBody(data, true)
    return data
  }
  // One symbol per guard: with two clients on one axios instance, each reads only its own records.
  const RECORD = Symbol()
  type List = unknown[] & { [RECORD]?: [S, unknown?] }
  // recheck takes the place of the first transform, calling it: axios normalizes the headers before
  // each transform it calls, which made one more in the list cost attachAuth 5% of a request. axios
  // gives each request a copy of its defaults' list, so the wrapper is made once per first transform,
  // not per list (a closure made per request cost about 1 µs), and each request gets a list of its own.
  // Not a transform: the first config, whatever its list, makes the wrapper.
  let from: unknown = put
  let outer: Transform | undefined
  // Every wrapper made: a list readied before may start with an older one (its first transform was another).
  const made = new WeakSet<object>()
  /** A list this guard made, or axios's copy of one (a config readied before, sent again). */
  const readied = (list: unknown): list is List =>
    Array.isArray(list) && !!list[0] && (list[0] === outer || (list[0] !== from && made.has(list[0])))
  const guard = (config: Guarded, header?: string, record?: [S, unknown?]) => {
    const next = config.beforeRedirect
    const redact = Array.isArray(config.redact) ? config.redact : []
    if (!redact.includes('Authorization')) config.redact = [...redact, 'Authorization']
    config.beforeRedirect =
      next && next !== strip
        ? (options, ...rest) => {
            strip(options)
            next(options, ...rest)
          }
        : strip
    if (!sentTo || !header) return
    if (header !== last || (record && !recorded)) {
      last = header
      recorded = !!record
      const firstSent = put.get(header) ?? record?.[0]
      put.delete(header)
      put.set(header, firstSent)
      if (put.size > 8) put.delete(put.keys().next().value)
    }
    ready(config, record)
  }
  /** Puts the check first on the config's `transformRequest` list, and `record` on it. */
  const ready = (config: Guarded, record?: [S, unknown?]) => {
    let list = config.transformRequest
    // A config readied before (a replay, sent again) keeps its wrapper, in axios's copy of its list.
    if (!readied(list)) {
      const first = Array.isArray(list) ? list[0] : list
      if (first !== from) {
        from = first
        outer =
          typeof first === 'function'
            ? function (data, headers) {
                return first.call(this, recheck.call(this, data, headers), headers)
              }
            : recheck
        made.add(outer)
      }
      list = config.transformRequest = [outer, ...(Array.isArray(list) ? list.slice(1) : [])]
    }
    if (record) (list as List)[RECORD] = record
  }
  // An interceptor that runs after the adapter's and replaces the config's `transformRequest` takes the
  // check with it: the list it leaves gets the check back, and the record the list before held. Judged
  // where axios transforms the request, on the URL the last interceptor left, as before.
  const follow: Follow = (config, before) => {
    if (put.has(config?.headers?.Authorization)) ready(config, readied(before) ? before[RECORD] : undefined)
  }
  guard.use = (interceptors: object, onRequest: (config: any) => any) => {
    const m = interceptors as Interceptors
    let follows = following.get(m)
    if (!follows) {
      // Each interceptor is wrapped once, for every guard on the list, so attaching and detaching in any
      // order never wraps one twice. What one answers with a promise is followed once that settles.
      const all = (follows = new Set())
      following.set(m, all)
      const wrap = (h: Interceptor) => {
        const f = h?.fulfilled
        if (!f || adapters.has(f)) return
        h!.fulfilled = (config) => {
          const before = config?.transformRequest
          const after = (c: unknown) => {
            for (const follow of all) follow(c, before)
            return c
          }
          const next = f(config) as any
          return typeof next?.then === 'function' ? next.then(after) : after(next)
        }
      }
      m.handlers?.forEach(wrap)
      // Those added later too: axios 1.21 with `transitional.legacyInterceptorReqResOrdering: false` runs
      // them after the adapter's.
      const { use } = m
      m.use = function (this: Interceptors, ...args) {
        const id = use.apply(this, args)
        wrap(this.handlers?.[this.handlers.length - 1])
        return id
      }
    }
    follows.add(follow)
    adapters.add(onRequest)
    const id = m.use(onRequest)
    return () => {
      follows.delete(follow)
      m.eject(id)
    }
  }
  guard.sentWith = ({ transformRequest: list, headers, data }: Guarded): [S, unknown?] | undefined => {
    if (!readied(list)) return
    const record = list[RECORD]
    const sent = put.get(headers?.Authorization)
    // A record without its body: the request never reached axios's transforms (an interceptor after the
    // adapter's failed it), so nothing went out, and there is nothing to send again.
    if (record) return record.length > 1 ? record : undefined
    return sent === undefined ? undefined : [sent, data]
  }
  return guard
}

/**
 * For adapters (`@latchkey/axios`): the origin check `createAuthFetch` uses. The returned function
 * takes a URL as the request will be sent (relative URLs resolve against the page) and says whether
 * it may carry the token. It compares parsed origins, never string prefixes; verdicts for array rules
 * are cached per authority, so the hot path parses no URL. Default: the page's own origin, read at call
 * time; outside a browser, nothing (with a one-time warning naming `origins`).
 */
export function createOriginMatcher(
  origins?: OriginRule,
  caller = 'createAuthFetch',
): (url: string) => boolean {
  const list = Array.isArray(origins)
    ? origins.map((o) => {
        // A RegExp without `g`/`y`, whose `test` is stateless (also one of another realm: an iframe's).
        if (typeof (o as RegExp)?.source === 'string')
          return new RegExp((o as RegExp).source, `${(o as RegExp).flags}`.replace(/[gy]/g, ''))
        // A string, or a URL object. A `*` in the host is no wildcard there, and would match nothing.
        const origin = originOf(String(o))
        return origin && !origin.includes('*')
          ? origin
          : bad(caller, `origins entry "${String(o)}" is not an origin (write a pattern as a RegExp)`)
      })
    : origins && typeof origins !== 'function'
      ? bad(caller, 'origins is an array or a function')
      : undefined
  const verdicts = new Map<string, boolean>()
  // The last authority and its verdict: a prefix check is cheaper than a RegExp and a Map lookup.
  let last: string | undefined
  let lastVerdict = false
  let current: string | undefined
  return (url) => {
    if (typeof origins === 'function') {
      // The predicate may look past the origin (at the path), so its answers are not cached.
      try {
        const parsed = new URL(url, base())
        return parsed.origin !== 'null' && origins(parsed)
      } catch {
        return false
      }
    }
    if (!list) {
      const origin = page.location?.origin
      if (!origin) {
        if (!warned[caller])
          console.warn(`[latchkey] ${caller}: no page origin, so no token is sent; set \`origins\``)
        warned[caller] = true
        return false
      }
      // The default rule depends on the page: a new page starts with no verdicts.
      if (origin !== current) {
        verdicts.clear()
        last = undefined
      }
      current = origin
    }
    // The authority of the last URL, then the end of it (end, `/`, `?` or `#`): the same origin.
    // `indexOf(…) === 0`, not `startsWith`: V8's startsWith is several times slower on URLs built
    // with a template literal, which is how most requests are made (bench/overhead.mjs).
    if (last && url.indexOf(last) === 0 && (url.length === last.length || '/?#'.includes(url[last.length]!)))
      return lastVerdict
    // A path shares the base's verdict.
    const key = AUTHORITY.exec(url)?.[0] ?? (PATH.test(url) ? AUTHORITY.exec(base() ?? '')?.[0] : undefined)
    let verdict = key ? verdicts.get(key) : undefined
    if (verdict === undefined) {
      const origin = originOf(url, base())
      verdict =
        !!origin &&
        (list ? list.some((o) => o === origin || (o as RegExp).test?.(origin)) : origin === current)
      if (verdicts.size > 99) verdicts.clear()
      if (key) verdicts.set(key, verdict)
    }
    last = key
    lastVerdict = verdict
    return verdict
  }
}

const bad = (caller: string, what: string): never => {
  throw new TypeError(`[latchkey] ${caller}: ${what}`)
}
