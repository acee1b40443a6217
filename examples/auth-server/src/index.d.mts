// Hand-written types for TypeScript consumers (e2e tests, demos); the source is plain ESM JavaScript.

/** A demo account. */
export interface DemoUser {
  username: string
  password: string
  name: string
  email: string
  roles: string[]
}

/** The demo accounts: alice/wonderland (roles user, admin) and bob/builder (role user). */
export declare const DEMO_USERS: readonly DemoUser[]

/** Options of {@link createAuthServer}. Every one is optional. */
export interface AuthServerOptions {
  /** Access token lifetime in seconds. @defaultValue 30 */
  accessTtl?: number
  /** Refresh token lifetime in seconds. @defaultValue 604800 (7 days) */
  refreshTtl?: number
  /** Signing algorithm; RS256 makes a key pair at start-up. @defaultValue 'RS256' */
  alg?: 'RS256' | 'HS256'
  /** The HS256 secret. @defaultValue 32 random bytes */
  secret?: string | Uint8Array | undefined
  /** The one app origin CORS allows. @defaultValue 'http://127.0.0.1:5173' */
  corsOrigin?: string
  /** Seconds during which a just-rotated refresh token replays the set it produced. @defaultValue 5 */
  grace?: number
  /** Always keep the refresh token in the HttpOnly cookie `lk_refresh`. @defaultValue false */
  cookieMode?: boolean
  /**
   * Test-only: milliseconds a successful refresh (or grace replay) waits after spending the refresh
   * token and before answering, so a test can lose the answer (the "orphaned refresh"). @defaultValue 0
   */
  refreshDelay?: number
  /** The `iss` claim. @defaultValue 'latchkey-example-auth-server' */
  issuer?: string
  /** The `aud` claim. @defaultValue 'latchkey-example-app' */
  audience?: string
  /** The accounts. @defaultValue {@link DEMO_USERS} */
  users?: readonly DemoUser[]
  /** The clock in ms, for tests (signing, verification, grace window). @defaultValue Date.now */
  now?: () => number
  /** Turns the request log off. @defaultValue false */
  quiet?: boolean
  /** Where request log lines go. @defaultValue console.log */
  log?: (line: string) => void
}

/** Request counters. Test-only, like `GET /__stats` and `POST /__reset`. */
export interface AuthServerStats {
  logins: number
  refreshes: number
  refreshReuseDetected: number
  graceReplays: number
  apiCalls: number
  api401: number
}

/** The settings the test-only `POST /__config` changes at run time, and answers. */
export interface AuthServerSettings {
  /** Seconds; used by the next token signed. */
  accessTtl: number
  /** Seconds; `0` makes any second use of a refresh token a detected reuse. */
  grace: number
  /** Milliseconds; see {@link AuthServerOptions.refreshDelay}. */
  refreshDelay: number
}

/** What {@link createAuthServer} returns. */
export interface AuthServer {
  /** Live counters; `POST /__reset` zeroes them. */
  readonly stats: AuthServerStats
  /** The base URL once listening, else null. */
  readonly url: string | null
  /** Starts listening (port 0 picks a free one); rejects with the `listen` error, e.g. `EADDRINUSE`. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>
  /** Stops listening and drops open connections. */
  close(): Promise<void>
}

/**
 * Creates the demo auth server (not listening yet). Demo only: in-memory state, plain-text passwords.
 * @example
 * ```ts
 * const server = createAuthServer({ accessTtl: 5, quiet: true })
 * const { url } = await server.listen(0, '127.0.0.1')
 * ```
 */
export declare function createAuthServer(options?: AuthServerOptions): AuthServer
