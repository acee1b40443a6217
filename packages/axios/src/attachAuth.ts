import {
  type AuthClient,
  createOriginMatcher,
  createTokenRenewer,
  crossedOrigin,
  guardConfig,
  isOneShot,
  type OriginRule,
  type SentToken,
} from '@latchkey/core'
import {
  Axios,
  type AxiosError,
  AxiosHeaders,
  type AxiosInstance,
  type AxiosRequestConfig,
  type AxiosResponse,
  CanceledError,
  type InternalAxiosRequestConfig,
} from 'axios'
import { fullPath } from './fullPath'

export interface AttachAuthOptions {
  /**
   * Origins that receive the token, as in `createAuthFetch`: origin strings, RegExps tested against the
   * origin, or a predicate on the parsed URL. The URL is `baseURL` + `url` (an absolute `url` wins, as
   * axios decides). Default: the page's origin; outside a browser nothing is attached until this is set.
   * @example attachAuth(api, auth, { origins: ['https://api.example.com'] })
   */
  origins?: OriginRule | undefined
  /**
   * Refresh once and replay a request that got a 401. Default `true`.
   * @example attachAuth(api, auth, { origins: ['https://api.example.com'], retryOn401: false })
   */
  retryOn401?: boolean | undefined
}

type Handlers = { handlers: unknown[] }

/** The replay's mark: the `allowed` of the `attachAuth` that replays it. */
type Config = InternalAxiosRequestConfig & { _latchkeyRetry?: unknown }

/**
 * Adds interceptors to an axios instance so requests to allowed origins carry
 * `Authorization: Bearer <token>` from `client.getAccessToken()`. A 401 to a request that carried the
 * token is answered by one refresh shared by every waiting request (the rules of `createAuthFetch`),
 * then one replay of the same config; a second 401 is rethrown as the `AxiosError`.
 * It never overwrites an `Authorization` header (or `auth` option) the caller set, never sends the
 * token to other origins, and does not replay a stream body. A 401 to a request that went out with
 * another `Authorization` or an `auth` option (set by an interceptor that runs after this one) spends
 * no refresh and is not replayed. Returns `detach()`.
 * @example
 * const api = axios.create({ baseURL: 'https://api.example.com' })
 * const detach = attachAuth(api, auth, { origins: ['https://api.example.com'] })
 * const { data } = await api.get('/me')
 */
export function attachAuth(
  instance: AxiosInstance,
  client: AuthClient<any, any>,
  options: AttachAuthOptions = {},
): () => void {
  const { retryOn401 = true } = options
  const allowed = createOriginMatcher(options.origins, 'attachAuth')
  const tokens = createTokenRenewer(client)
  // A predicate may look at the path; origin lists need only the origin.
  const originOnly = typeof options.origins !== 'function'
  // Checks the URL again after the request interceptors added before this one, which run after it, and
  // keeps what a request was sent with for its 401: the token, and the body as the last request
  // interceptor left it (before axios's `transformRequest` rewrote it).
  const guard = guardConfig<SentToken>(allowed, (config: Config) => fullPath(config, originOnly))

  /** Puts the token on the request and remembers which one it was, for a 401. */
  const attach = (config: Config, sent: SentToken | null): Config => {
    if (sent) {
      // onRequest found no Authorization under any spelling, so this is the key set() would write.
      const header = (config.headers.Authorization = `Bearer ${sent.token}`)
      // Authorization stays out of a failed request's `error.toJSON()`, in Node off a redirect to an
      // origin that may not have it, and off a URL that a later interceptor changed to such an origin.
      // For the replay (none without retryOn401), the token sent, and a copy of the body as sent.
      guard(config, header, retryOn401 ? [sent] : undefined)
    }
    return config
  }

  const onRequest = (config: Config): Config | Promise<Config> => {
    // Another interceptor may have left plain headers behind; `from` returns an AxiosHeaders as it is.
    const headers = (config.headers = AxiosHeaders.from(config.headers))
    // Left as it is: a request with the caller's credentials (`auth`, or an Authorization header under
    // any spelling axios would send, padded with spaces as axios trims, also one set to `null`/`false`
    // to remove it, or to `undefined`), or to an origin that may not have the token. A config
    // sent again (by axios-retry) with the token carries it: the check where axios transforms it looks
    // at its URL.
    if (
      config.auth ||
      Object.keys(headers).some((name) => /^\s*authorization\s*$/i.test(name)) ||
      !allowed(fullPath(config, originOnly))
    )
      return config
    // The hot path: a valid token is read without waiting. (A request aborted already is canceled by
    // axios before it is sent.)
    const token = client.peekAccessToken()
    if (token) return attach(config, tokens.sent(token))
    // axios also takes signal-likes without `addEventListener`: the renewer does not wait on those, and
    // they cancel only the request itself.
    return tokens.acquire(config.signal as AbortSignal).then(
      // After the wait the URL is checked again (a URL object may have changed meanwhile).
      (sent) => attach(config, allowed(fullPath(config, originOnly)) ? sent : null),
      // Aborted while waiting: axios itself cancels a request whose signal has aborted.
      (error) => {
        if (!config.signal?.aborted) throw error
        return config
      },
    )
  }

  /**
   * A 401 to a request that carried our token: one shared refresh, then the replay's answer. Otherwise
   * (nothing to replay: the 401 stands as it came, or another answer) what `otherwise` gives.
   */
  const replay = async (
    config: Config = {} as Config,
    response: AxiosResponse | undefined,
    otherwise: () => AxiosResponse,
  ): Promise<AxiosResponse> => {
    // A replay is never replayed (its 401 is rethrown), nor sent again by axios-retry and replayed.
    const [sent, data] = (config._latchkeyRetry !== allowed && guard.sentWith(config)) || []
    // Whether the token reached whoever answered: after a redirect axios may have dropped it on the way,
    // and such a 401 is worth no refresh. In Node the last hop's request tells (`getHeader`), also of a
    // chain that left the API and came back; an XHR tells only its final URL (`responseURL`).
    const request = response?.request as
      | { responseURL?: string; getHeader?: (name: string) => unknown }
      | undefined
    // Only a request that carried our token and can be sent again. Its header tells: an interceptor
    // that ran after ours may have put the app's own credentials there (Basic for one endpoint), whose
    // 401 is worth no refresh; and a replay carries the next token, so it is never replayed. Such an
    // interceptor may set `auth` instead: axios's browser adapters (xhr, fetch) then send Basic in
    // place of the header, which stays in the config as it was. A response interceptor added before this
    // one may have left plain headers behind, as a request interceptor may (see onRequest).
    const header = sent && `Bearer ${sent.token}`
    if (
      header &&
      !config.auth &&
      response?.status === 401 &&
      (config.headers = AxiosHeaders.from(config.headers)).get('Authorization') === header &&
      !isOneShot(data) &&
      (request?.getHeader
        ? request.getHeader('Authorization') === header
        : !crossedOrigin(request?.responseURL, fullPath(config)))
    ) {
      const next = await tokens.renew(sent, config.signal as AbortSignal).catch(() => {
        if (config.signal?.aborted) throw new CanceledError(undefined, config)
      })
      if (next) {
        // Nobody reads the 401 (a Node stream, with `responseType: 'stream'`, holds its socket till then).
        ;(response.data as { destroy?: () => void })?.destroy?.()
        // Marked with a string key: axios's config merge keeps it (a function as it is), so the replay
        // is never replayed, and this attachAuth knows it as its own.
        config._latchkeyRetry = allowed
        // axios transforms the body again on the replay: start from the body as it was first sent.
        config.data = data
        // The length Node's adapter wrote for the first body: a transform may make the next one longer.
        config.headers.delete('Content-Length')
        // axios made the headers an AxiosHeaders; the token's key is the one attach() wrote.
        guard(config, (config.headers.Authorization = `Bearer ${next}`))
        // The same request, with the next token: the config carries what the request interceptors did
        // (run again, they would prefix a URL twice, or encode a body they encoded already), and the
        // check where axios transforms it looks at the URL again. Not instance.request: its response
        // interceptors would run twice on the replay (once inside, once in the chain this handler
        // belongs to).
        const axios = new Axios(instance.defaults as AxiosRequestConfig)
        // Those added before this one: on the replay's answer they run here, as they did on the first.
        ;(axios.interceptors.response as unknown as Handlers).handlers = (
          instance.interceptors.response as unknown as Handlers
        ).handlers.slice(0, before)
        return axios.request(config)
      }
    }
    return otherwise()
  }

  // Where this one sits among the response interceptors. Not its id: newer axios (1.21) drops trailing
  // ejected ones and numbers ids on, so after ejects (an app that attaches on mount and detaches on
  // unmount) an id can pass the index of interceptors added after this one: they would run twice on a
  // replay's answer. use() pushes it at the end.
  const before = (instance.interceptors.response as unknown as Handlers).handlers.length
  // Those added before this one run after it: the URL is checked again after each (guardConfig).
  const unrequest = guard.use(instance.interceptors.request, onRequest)
  // A 401 that `validateStatus` lets through (apps that handle 4xx themselves) is replayed too, as
  // createAuthFetch replays one though fetch resolves it.
  const response = instance.interceptors.response.use(
    (res) => (res.status === 401 ? replay(res.config, res, () => res) : res),
    (error: AxiosError) =>
      replay(error?.config, error?.response, () => {
        throw error
      }),
  )
  return () => {
    unrequest()
    instance.interceptors.response.eject(response)
  }
}
