import { createElement, Fragment, type ReactElement, type ReactNode, useSyncExternalStore } from 'react'
import { useAuthContext } from './AuthProvider'

/** Props of {@link RequireAuth}. */
export interface RequireAuthProps {
  /** Rendered while there is a session: `authenticated`, or `expired` with a refresh pending. */
  children?: ReactNode
  /** Rendered when there is no session (`unauthenticated`). Default `null`. */
  fallback?: ReactNode
  /**
   * Rendered while the client is `loading` its storage, and on the server and while hydrating unless
   * the provider has a `serverState`. Default `null`: not `fallback`, which for a stored session would
   * flash a sign-in form, or run a redirecting fallback's navigation and lose the deep link.
   */
  loading?: ReactNode
}

/**
 * Renders its children while there is a session, `loading` while the client reads its storage and
 * `fallback` when there is none. An `expired` session keeps its children: a refresh is pending, and a
 * refresh that fails for good moves the state to `unauthenticated`. It hides UI; it does not redirect
 * or protect data.
 *
 * @example
 * ```tsx
 * <RequireAuth fallback={<LoginForm />} loading={<Spinner />}>
 *   <Dashboard />
 * </RequireAuth>
 * ```
 */
export function RequireAuth({ children, fallback = null, loading = null }: RequireAuthProps): ReactElement {
  const { client, getServerSnapshot } = useAuthContext('<RequireAuth>')
  // A string is compared by value, so a state change that keeps the status renders nothing.
  const status = useSyncExternalStore(
    client.subscribe,
    () => client.getState().status,
    () => getServerSnapshot().status,
  )
  // An element, not a bare node: @types/react before 18.2.8 accepts only elements from components.
  return createElement(
    Fragment,
    null,
    status === 'unauthenticated' ? fallback : status === 'loading' ? loading : children,
  )
}
