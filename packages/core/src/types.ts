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

export type AuthStatus = 'loading' | 'authenticated' | 'expired' | 'unauthenticated'

/** An immutable snapshot of the client. The same object is returned until something changes. */
export interface AuthState<C = JwtClaims> {
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
  /** Calls `onChange` when another context changes the entry. Returns an unsubscribe function. */
  subscribe?(key: string, onChange: (value: string | null) => void): () => void
}

export interface CookieOptions {
  path?: string
  sameSite?: 'strict' | 'lax' | 'none'
  /** Seconds. Default 30 days. */
  maxAge?: number
  domain?: string | undefined
  /** Default: true on https pages. */
  secure?: boolean | undefined
}

export interface RefreshContext {
  refreshToken: string | null
  accessToken: string | null
  /** Aborted when the refresh times out or the client is destroyed. */
  signal: AbortSignal
}

export interface RetryOptions {
  /** Total tries including the first. Default 4. */
  attempts?: number
  /** ms. Default 1000. */
  baseDelay?: number
  /** ms. Default 30000. */
  maxDelay?: number
}

export type StorageOption = 'memory' | 'localStorage' | 'sessionStorage' | 'cookie' | TokenStorage

export interface AuthClientOptions<Credentials = unknown> {
  /** Where the session lives. Default `'memory'`. */
  storage?: StorageOption
  /** Names the stored entry, the cookie, the BroadcastChannel and the refresh lock. Default `'latchkey'`. */
  storageKey?: string
  cookie?: CookieOptions
  /** Exchanges the refresh token for new tokens. Throw an error with a numeric `status` on HTTP failures. */
  refresh?: (context: RefreshContext) => Promise<TokenSet>
  /** `true` when `refresh` works without a stored refresh token (an HttpOnly cookie). */
  refreshWithoutToken?: boolean
  login?: (credentials: Credentials, context: { signal: AbortSignal }) => Promise<TokenSet>
  /** Optional server-side revoke; best effort. */
  logout?: (tokens: { accessToken: string | null; refreshToken: string | null }) => Promise<void> | void
  /** Seconds before `exp` to refresh; capped at half the token's lifetime. Default 60. */
  refreshLeeway?: number
  /** ms before a hung refresh is aborted. Default 10000. */
  refreshTimeout?: number
  retry?: RetryOptions
  /**
   * `true` (default): shared storages follow other tabs and share one refresh.
   * `'memory'`: also share a memory session between tabs over BroadcastChannel.
   */
  syncTabs?: boolean | 'memory'
  /** Injectable clock, ms. */
  now?: () => number
}

export type AuthEvents<C = JwtClaims> = {
  login: AuthState<C>
  refresh: AuthState<C>
  refreshError: { error: RefreshError; attempt: number; willRetry: boolean }
  expired: AuthState<C>
  logout: { reason: 'user' | 'refresh_rejected' | 'other_tab' }
  change: AuthState<C>
  error: AuthError
}

/** The client `createAuthClient` returns. Methods do not use `this`; they may be destructured. */
export interface AuthClient<C = JwtClaims, Credentials = unknown> {
  getState(): AuthState<C>
  subscribe(listener: (state: AuthState<C>) => void): () => void
  on<K extends keyof AuthEvents<C>>(type: K, handler: (payload: AuthEvents<C>[K]) => void): () => void
  setTokens(tokens: TokenSet): AuthState<C>
  login(credentials: Credentials): Promise<AuthState<C>>
  logout(): Promise<void>
  getAccessToken(options?: { minValidity?: number }): Promise<string | null>
  refresh(): Promise<string>
  fetch: typeof fetch
  ready: Promise<void>
  destroy(): void
}
