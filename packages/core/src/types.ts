import type { AuthError, RefreshError } from './errors'

/** The tokens an app hands to the client, or a `refresh`/`login` function returns. */
export interface TokenSet {
  /** A JWT, or an opaque string (no `.`) when `expiresIn` is given. */
  accessToken: string
  /** Omitted in a refresh result: keep the current one. `null`: remove it. */
  refreshToken?: string | null | undefined
  /** Lifetime in seconds; used only when the access token has no `exp`. */
  expiresIn?: number | undefined
}

/** The claims every JWT may carry; apps extend it with their own. */
export interface JwtClaims {
  exp?: number
  iat?: number
  nbf?: number
  sub?: string
  [claim: string]: unknown
}

/**
 * Declares an app's claims and login credentials once, for every generic that would otherwise default
 * to `JwtClaims` and `unknown`: `createAuthClient()`, `AuthClient`, `AuthState`, and the hooks and
 * composables that read the client from context (`useAuth()`, `useAuthSelector()`, `useAuthClient()`).
 * @example
 * // In a module (a file with an import or an export): elsewhere it would replace core's types.
 * export {}
 * declare module '@latchkey/core' {
 *   interface Register {
 *     claims: { sub: string; roles: string[] }
 *     credentials: { username: string; password: string }
 *   }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: apps fill it in through declaration merging.
export interface Register {}

/** The claims declared in {@link Register}, else `JwtClaims`. */
export type RegisteredClaims = Register extends { claims: infer C } ? C : JwtClaims
/** The login credentials declared in {@link Register}, else `unknown`. */
export type RegisteredCredentials = Register extends { credentials: infer L } ? L : unknown

/** `loading` while an async storage is read; `expired` while a refreshable session waits for a new token. */
export type AuthStatus = 'loading' | 'authenticated' | 'expired' | 'unauthenticated'

/** An immutable snapshot of the client. The same object is returned until something changes. */
export interface AuthState<C = RegisteredClaims> {
  readonly status: AuthStatus
  readonly isAuthenticated: boolean
  readonly isRefreshing: boolean
  readonly accessToken: string | null
  readonly canRefresh: boolean
  readonly claims: C | null
  /** Expiry in ms on the local clock, corrected for measured skew. */
  readonly expiresAt: number | null
  readonly error: AuthError | null
}

/**
 * Where the session is kept. Methods may be sync or async. A storage with `subscribe` is shared
 * (like `localStorage`): the client follows changes made elsewhere and shares one refresh.
 */
export interface TokenStorage {
  get(key: string): string | null | Promise<string | null>
  set(key: string, value: string): void | Promise<void>
  remove(key: string): void | Promise<void>
  /**
   * Calls `onChange` when another context changes the entry, with the value it replaced when known (a
   * removal of another entry than the one held is then old news). Returns an unsubscribe function.
   */
  subscribe?(key: string, onChange: (value: string | null, old?: string | null) => void): () => void
}

/** Attributes of the cookie the `'cookie'` storage writes. */
export interface CookieOptions {
  path?: string | undefined
  sameSite?: 'strict' | 'lax' | 'none' | undefined
  /** Seconds. Default 30 days. */
  maxAge?: number | undefined
  domain?: string | undefined
  /** Default: true on https pages. */
  secure?: boolean | undefined
}

/** What the `refresh` option is called with. */
export interface RefreshContext {
  refreshToken: string | null
  accessToken: string | null
  /**
   * Aborted when the refresh times out, the session is replaced (logout, login, setTokens, another
   * tab) or the client is destroyed.
   */
  signal: AbortSignal
}

/** Retries of transient refresh failures: exponential backoff with full jitter. */
export interface RetryOptions {
  /**
   * Total tries including the first. Default 4. With tabs, a failure another tab of the session
   * reported while this tab's automatic try waited, or before that tab's next try, counts as a try here.
   */
  attempts?: number | undefined
  /** ms. Default 1000. */
  baseDelay?: number | undefined
  /** ms. Default 30000. */
  maxDelay?: number | undefined
}

/** Where the session is kept: a built-in storage by name, or your own `TokenStorage`. */
export type StorageOption = 'memory' | 'localStorage' | 'sessionStorage' | 'cookie' | TokenStorage

/** Options of `createAuthClient`. Every one is optional. */
export interface AuthClientOptions<Credentials = RegisteredCredentials> {
  /** Where the session lives. Default `'memory'`. */
  storage?: StorageOption | undefined
  /** Names the stored entry, the cookie, the BroadcastChannel and the refresh lock. Default `'latchkey'`. */
  storageKey?: string | undefined
  cookie?: CookieOptions | undefined
  /** Exchanges the refresh token for new tokens. Throw an error with a numeric `status` on HTTP failures. */
  refresh?: ((context: RefreshContext) => Promise<TokenSet>) | undefined
  /** `true` when `refresh` works without a stored refresh token (an HttpOnly cookie). */
  refreshWithoutToken?: boolean | undefined
  /**
   * Exchanges what `login(credentials)` was given for tokens; throw to fail the sign-in. `signal`
   * aborts at `destroy()`; a call superseded by a later `login()` or `logout()` is not aborted, its
   * result is dropped.
   */
  login?:
    | ((credentials: Credentials, context: { signal: AbortSignal }) => Promise<TokenSet> | TokenSet)
    | undefined
  /**
   * Optional server-side revoke; best effort. `logout()` waits for it up to `refreshTimeout`, then
   * aborts `signal` and reports `logout_failed`.
   */
  logout?:
    | ((tokens: {
        accessToken: string | null
        refreshToken: string | null
        signal: AbortSignal
      }) => Promise<void> | void)
    | undefined
  /** Seconds before `exp` to refresh; capped at half the token's lifetime. Default 60. */
  refreshLeeway?: number | undefined
  /** ms before a hung refresh is aborted. Default 10000. */
  refreshTimeout?: number | undefined
  retry?: RetryOptions | undefined
  /**
   * `true` (default): shared storages follow other tabs and share one refresh. `sessionStorage` tabs
   * holding copies of one sign-in (a duplicated tab) share its refresh and sign-out, and no more.
   * `'memory'`: also share a memory session between tabs over BroadcastChannel.
   */
  syncTabs?: boolean | 'memory' | undefined
  /**
   * Injectable clock, ms. The default (`Date.now()`) is watched against `performance.now()`: when it
   * is set back by more than a second (an NTP step, the user, a VM restored), the session's times move
   * back with it, so the refresh is not postponed. A `Date.now()` that stands still (a test's frozen
   * Date) or either clock replaced (fake timers installed or removed) sets nothing back. An injected
   * clock is taken as it is.
   */
  now?: (() => number) | undefined
}

/** The events `on()` delivers, by name, with their payloads. */
export type AuthEvents<C = RegisteredClaims> = {
  login: AuthState<C>
  refresh: AuthState<C>
  refreshError: { error: RefreshError; attempt: number; willRetry: boolean }
  expired: AuthState<C>
  logout: { reason: 'user' | 'refresh_rejected' | 'other_tab' }
  change: AuthState<C>
  error: AuthError
}

/**
 * The client `createAuthClient` returns. Methods do not use `this`; they may be destructured.
 * Code that takes any client, whatever its claims, types it `AuthClient<unknown>`: plain `AuthClient`
 * means `AuthClient<JwtClaims>` (or the claims declared in {@link Register}), which a claims interface
 * that does not extend `JwtClaims` is not (an interface has no index signature).
 */
export interface AuthClient<C = RegisteredClaims, Credentials = RegisteredCredentials> {
  /** The current snapshot; the same object until something changes (fit for `useSyncExternalStore`). */
  getState(): AuthState<C>
  /** Calls `listener` with every new snapshot. Returns an unsubscribe function. */
  subscribe(listener: (state: AuthState<C>) => void): () => void
  /** Listens to one event type. Returns an unsubscribe function. */
  on<K extends keyof AuthEvents<C>>(type: K, handler: (payload: AuthEvents<C>[K]) => void): () => void
  /** Validates and stores tokens. A malformed token throws `InvalidTokenError` and changes nothing. */
  setTokens(tokens: TokenSet): AuthState<C>
  /** Calls `options.login`, stores the result and emits `login`; throws `login_failed` if it throws. */
  login(credentials: Credentials): Promise<AuthState<C>>
  /** Clears the session at once (in every tab), then calls `options.logout`. Never rejects. */
  logout(): Promise<void>
  /**
   * A token valid for at least `minValidity` seconds (default: the leeway), refreshed first when
   * needed; `null` without a session, or when a refresh failed and the token has expired. Concurrent
   * callers share one refresh. Rejects only with `destroyed`.
   */
  getAccessToken(options?: { minValidity?: number | undefined }): Promise<string | null>
  /**
   * The access token, synchronously, when it is valid for at least the leeway; else `null` (then
   * `getAccessToken()` refreshes). Never refreshes or waits. For code that cannot await (a WebSocket's
   * first message, sent from `onopen`) and interceptors' fast path.
   * @example
   * // Sent in the first message, not in the URL (URLs end up in server and proxy logs).
   * socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token: auth.peekAccessToken() }))
   */
  peekAccessToken(): string | null
  /** Refreshes now, joining a refresh in flight. Rejects with that attempt's `RefreshError`. */
  refresh(): Promise<string>
  /**
   * `fetch` with the Bearer token for the page's origin: `createAuthFetch(client)`. After `destroy()` it
   * rejects with `destroyed` for every URL (a `createAuthFetch(client)` wrapper still sends requests
   * that get no token).
   */
  fetch: typeof fetch
  /** Resolves once the storage has been read, or at `destroy()`, whichever comes first. */
  ready: Promise<void>
  /**
   * Stops timers, listeners and channels. Afterwards `setTokens` throws and the async methods reject
   * with `destroyed`; `logout()` resolves doing nothing, `getState()` keeps the last snapshot.
   */
  destroy(): void
}
