import {
  type AuthClient,
  AuthError,
  type AuthErrorCode,
  type AuthState,
  createAuthClient,
  createAuthFetch,
  InvalidTokenError,
  isAuthError,
  type JwtClaims,
  loadingState,
  oauth2Refresh,
  RefreshError,
  type TokenSet,
  type TokenStorage,
} from '@latchkey/core'
import { expectTypeOf, test } from 'vitest'

interface MyClaims {
  sub: string
  roles: string[]
  org?: string
}
type Credentials = { username: string; password: string }

test('createAuthClient<MyClaims>() types claims in the state, the events and setTokens', () => {
  const auth = createAuthClient<MyClaims>()
  expectTypeOf(auth).toEqualTypeOf<AuthClient<MyClaims>>()
  expectTypeOf(auth.getState().claims).toEqualTypeOf<MyClaims | null>()
  expectTypeOf(auth.getState().claims?.roles).toEqualTypeOf<string[] | undefined>()
  expectTypeOf(auth.setTokens({ accessToken: 'a.b.c' }).claims).toEqualTypeOf<MyClaims | null>()
  auth.subscribe((state) => expectTypeOf(state.claims).toEqualTypeOf<MyClaims | null>())
  auth.on('login', (state) => expectTypeOf(state.claims).toEqualTypeOf<MyClaims | null>())
  // The state a server renders fits any client's.
  expectTypeOf(loadingState).toExtend<AuthState<MyClaims>>()
})

test('AuthClient<unknown> takes any client; plain AuthClient one whose claims extend JwtClaims', () => {
  const typed = createAuthClient<MyClaims, Credentials>()
  const anyClient = (client: AuthClient<unknown>) => client.getState().isAuthenticated
  anyClient(typed)
  interface Extended extends JwtClaims {
    roles: string[]
  }
  const extended: AuthClient = createAuthClient<Extended, Credentials>()
  const state: AuthState = extended.getState()
  expectTypeOf(state.claims?.sub).toEqualTypeOf<string | undefined>()
  // @ts-expect-error: MyClaims, an interface, has no index signature to match JwtClaims's
  const plain: AuthClient = typed
  void plain
})

test('login credentials are typed by the second generic, or inferred from options.login', () => {
  const typed = createAuthClient<MyClaims, Credentials>({
    login: async (credentials, { signal }) => {
      expectTypeOf(credentials).toEqualTypeOf<Credentials>()
      expectTypeOf(signal).toEqualTypeOf<AbortSignal>()
      return { accessToken: 'a.b.c' }
    },
  })
  expectTypeOf(typed.login).parameters.toEqualTypeOf<[Credentials]>()
  const inferred = createAuthClient({ login: async (_: { code: string }) => ({ accessToken: 'a.b.c' }) })
  expectTypeOf(inferred.login).parameters.toEqualTypeOf<[{ code: string }]>()
  // @ts-expect-error: not the credentials options.login takes
  void typed.login({ username: 'alice' })
})

test('createAuthFetch and auth.fetch are a fetch', () => {
  const auth = createAuthClient<MyClaims, Credentials>()
  const api: typeof fetch = createAuthFetch(auth, { origins: ['https://api.example.com'] })
  const viaClient: typeof globalThis.fetch = auth.fetch
  expectTypeOf(api).toEqualTypeOf<typeof fetch>()
  expectTypeOf(api('https://api.example.com/me')).toEqualTypeOf<Promise<Response>>()
  // Its own `fetch` option takes any fetch, such as another wrapper.
  createAuthFetch(auth, { fetch: viaClient, origins: (url) => url.hostname.endsWith('.example.com') })
})

test('oauth2Refresh, a hand-written refresh and a TokenStorage fit the options', () => {
  createAuthClient({ refresh: oauth2Refresh({ tokenEndpoint: '/oauth/token', clientId: 'spa' }) })
  // A refresh token in an HttpOnly cookie on another origin.
  oauth2Refresh({ tokenEndpoint: 'https://id.example.com/token', clientId: 'spa', credentials: 'include' })
  // @ts-expect-error: not a fetch credentials mode
  oauth2Refresh({ tokenEndpoint: '/oauth/token', clientId: 'spa', credentials: 'always' })
  createAuthClient({
    refresh: async ({ refreshToken, signal }): Promise<TokenSet> => {
      const res = await fetch('/refresh', { method: 'POST', body: refreshToken, signal })
      if (!res.ok) throw new RefreshError('Refresh failed', { status: res.status })
      const body = (await res.json()) as { access_token: string; refresh_token?: string }
      // An absent refresh token keeps the current one.
      return { accessToken: body.access_token, refreshToken: body.refresh_token }
    },
  })
  const entries = new Map<string, string>()
  const storage: TokenStorage = {
    get: (key) => entries.get(key) ?? null,
    set: (key, value) => void entries.set(key, value),
    remove: (key) => void entries.delete(key),
  }
  createAuthClient({ storage, syncTabs: false })
})

test('with exactOptionalPropertyTypes, an option set to undefined is an option left out', () => {
  // Options computed from configuration, as apps write them: each one is undefined when unset.
  const env: { api?: string; scope?: string; path?: string; seconds?: number; ssr?: boolean } = {}
  const auth = createAuthClient({
    storage: env.ssr ? undefined : 'cookie',
    storageKey: undefined,
    cookie: {
      path: env.path,
      sameSite: undefined,
      maxAge: env.seconds,
      domain: undefined,
      secure: undefined,
    },
    refresh: env.api
      ? oauth2Refresh({
          tokenEndpoint: `${env.api}/token`,
          clientId: 'spa',
          scope: env.scope,
          fetch: undefined,
          credentials: undefined,
          params: undefined,
        })
      : undefined,
    refreshWithoutToken: undefined,
    login: undefined,
    logout: undefined,
    refreshLeeway: env.seconds,
    refreshTimeout: undefined,
    retry: { attempts: env.seconds, baseDelay: undefined, maxDelay: undefined },
    syncTabs: undefined,
    now: undefined,
  })
  void auth.getAccessToken({ minValidity: env.seconds })
  createAuthFetch(auth, { fetch: undefined, origins: env.api ? [env.api] : undefined, retryOn401: undefined })
  const permanent: boolean | undefined = env.ssr
  void new RefreshError('Refresh failed', { permanent, status: undefined, cause: undefined })
})

test("on('refreshError') and on('error') hand their payloads typed", () => {
  const auth = createAuthClient()
  auth.on('refreshError', (e) => {
    expectTypeOf(e.error).toEqualTypeOf<RefreshError>()
    expectTypeOf(e.error.status).toEqualTypeOf<number | undefined>()
    expectTypeOf(e.error.permanent).toEqualTypeOf<boolean>()
    expectTypeOf(e.willRetry).toEqualTypeOf<boolean>()
  })
  auth.on('error', (error) => expectTypeOf(error.code).toEqualTypeOf<AuthErrorCode>())
  // @ts-expect-error: not an event
  auth.on('refreshed', () => {})
})

test('an AuthError code switches exhaustively', () => {
  const message = (error: AuthError): string => {
    switch (error.code) {
      case 'invalid_token':
      case 'refresh_failed':
      case 'refresh_timeout':
      case 'refresh_rejected':
      case 'no_refresh':
      case 'storage_unavailable':
      case 'storage_corrupt':
      case 'login_failed':
      case 'logout_failed':
      case 'destroyed':
        return error.code
      default:
        return error.code satisfies never
    }
  }
  const caught: unknown = new InvalidTokenError('Malformed token')
  if (isAuthError(caught)) expectTypeOf(message(caught)).toEqualTypeOf<string>()
})

test("a RefreshError's code switches exhaustively over the refresh codes alone", () => {
  const auth = createAuthClient()
  const advice = (error: RefreshError): string => {
    switch (error.code) {
      case 'refresh_failed':
      case 'refresh_timeout':
        return 'retrying'
      case 'refresh_rejected':
        return 'signed out'
      case 'no_refresh':
        return 'nothing to refresh with'
      default:
        return error.code satisfies never
    }
  }
  auth.on('refreshError', (e) => void advice(e.error))
  auth.refresh().catch((error: unknown) => {
    if (error instanceof RefreshError) void advice(error)
    // What else refresh() rejects with: a destroyed client.
    else if (isAuthError(error)) expectTypeOf(error.code).toEqualTypeOf<AuthErrorCode>()
  })
  expectTypeOf<RefreshError['code']>().toEqualTypeOf<
    'refresh_failed' | 'refresh_timeout' | 'refresh_rejected' | 'no_refresh'
  >()
  expectTypeOf(new InvalidTokenError('Malformed token').code).toEqualTypeOf<'invalid_token'>()
  // Still an AuthError, whose code is any of them.
  expectTypeOf<RefreshError>().toExtend<AuthError>()
})

test('every AuthError has name, code and an optional cause, whatever the lib', () => {
  const failed = new AuthError('login_failed', 'Login failed', { cause: new TypeError('fetch failed') })
  expectTypeOf(failed.name).toEqualTypeOf<string>()
  expectTypeOf(failed.code).toEqualTypeOf<AuthErrorCode>()
  // Error's own `cause` is in lib ES2022; apps on an older lib read it too.
  expectTypeOf(failed.cause).toEqualTypeOf<unknown>()
  expectTypeOf(new RefreshError('Refresh failed', { cause: failed }).cause).toEqualTypeOf<unknown>()
})

test('new RefreshError(message, { permanent?, status?, cause? })', () => {
  expectTypeOf(
    new RefreshError('Refresh token revoked', { permanent: true, status: 401 }),
  ).toExtend<AuthError>()
  void new RefreshError('Refresh failed')
  void new RefreshError('Refresh failed', { cause: new TypeError('fetch failed') })
  // @ts-expect-error: a status is a number
  void new RefreshError('Refresh failed', { status: '500' })
})
