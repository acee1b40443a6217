import type { AuthState } from '@latchkey/core'
import type { ReactNode } from 'react'
import { useAuthSelector } from './useAuthSelector'

/** Props of {@link RequireAuth}. */
export interface RequireAuthProps {
  /** Rendered when the session is authenticated. */
  children?: ReactNode
  /** Rendered when it is not (`unauthenticated` or `expired`). Default `null`. */
  fallback?: ReactNode
  /** Rendered while the client is `loading` its storage. Default: `fallback`. */
  loading?: ReactNode
}

const selectStatus = (state: AuthState<unknown>) => state.status

/**
 * Renders its children only while the session is authenticated, `loading` while the client reads
 * its storage and `fallback` otherwise. It hides UI; it does not redirect or protect data.
 *
 * @example
 * ```tsx
 * <RequireAuth fallback={<LoginForm />} loading={<Spinner />}>
 *   <Dashboard />
 * </RequireAuth>
 * ```
 */
export function RequireAuth({ children, fallback = null, loading = fallback }: RequireAuthProps): ReactNode {
  const status = useAuthSelector(selectStatus)
  return status === 'authenticated' ? children : status === 'loading' ? loading : fallback
}
