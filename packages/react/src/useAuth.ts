import type { AuthClient, AuthState, RegisteredClaims, RegisteredCredentials } from '@latchkey/core'
import { useMemo, useSyncExternalStore } from 'react'
import { useAuthContext } from './AuthProvider'

/** What {@link useAuth} returns: the state snapshot plus the client's methods. */
export interface UseAuthResult<C = RegisteredClaims, Credentials = RegisteredCredentials>
  extends AuthState<C>,
    Pick<AuthClient<C, Credentials>, 'login' | 'logout' | 'refresh' | 'getAccessToken'> {
  /** The client itself, for everything else (`setTokens`, `on`, `fetch`, ...). */
  readonly client: AuthClient<C, Credentials>
}

/**
 * The auth state of the nearest `<AuthProvider>`, re-rendering on every change, plus `login`,
 * `logout`, `refresh`, `getAccessToken` and `client`. The methods work when destructured.
 * To re-render on less, use `useAuthSelector`. Throws outside an `<AuthProvider>`.
 *
 * @example
 * ```tsx
 * function Account() {
 *   const { status, claims, logout } = useAuth<{ sub: string; name: string }>()
 *   if (status === 'loading') return null
 *   // `expired` still has a session: a refresh is pending.
 *   if (status === 'unauthenticated') return <a href="/login">Sign in</a>
 *   return <button onClick={logout}>Sign out {claims?.name}</button>
 * }
 * ```
 */
export function useAuth<C = RegisteredClaims, Credentials = RegisteredCredentials>(): UseAuthResult<
  C,
  Credentials
> {
  const { client, getServerSnapshot } = useAuthContext('useAuth()')
  const state = useSyncExternalStore(client.subscribe, client.getState, getServerSnapshot)
  return useMemo(
    () => ({
      ...state,
      login: client.login,
      logout: client.logout,
      refresh: client.refresh,
      getAccessToken: client.getAccessToken,
      client,
    }),
    [state, client],
  )
}
