import type { AuthState, RegisteredClaims } from '@latchkey/core'
import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react'
import { useAuthContext } from './AuthProvider'

/**
 * Selects a value from the auth state of the nearest `<AuthProvider>` and re-renders only when
 * `isEqual(previous, next)` is false. The selector may be an inline function. Throws outside an
 * `<AuthProvider>`.
 *
 * @param selector - Picks a value from the state snapshot.
 * @param isEqual - Compares the previous and the next selection. Default `Object.is`.
 *
 * @example
 * ```tsx
 * function UserId() {
 *   // does not re-render when, say, `isRefreshing` flips
 *   const sub = useAuthSelector((s) => s.claims?.sub)
 *   return <span>{sub ?? 'guest'}</span>
 * }
 * ```
 */
export function useAuthSelector<T, C = RegisteredClaims>(
  selector: (state: AuthState<C>) => T,
  isEqual: (a: T, b: T) => boolean = Object.is,
): T {
  const { client, getServerSnapshot } = useAuthContext('useAuthSelector()')
  // The last rendered selection outlives re-renders, so a new inline selector whose result is
  // `isEqual` to it keeps its identity (the pattern of use-sync-external-store/with-selector).
  const last = useRef<{ value: T } | null>(null)
  const [getSelection, getServerSelection] = useMemo(() => {
    let memo: { state: AuthState<C>; value: T } | undefined
    const select = (state: AuthState<C>): T => {
      if (memo?.state === state) return memo.value
      const next = selector(state)
      const previous = memo ?? last.current
      const value = previous && isEqual(previous.value, next) ? previous.value : next
      memo = { state, value }
      return value
    }
    return [() => select(client.getState()), () => select(getServerSnapshot())]
  }, [client, getServerSnapshot, selector, isEqual])
  const value = useSyncExternalStore(client.subscribe, getSelection, getServerSelection)
  useEffect(() => {
    last.current = { value }
  }, [value])
  return value
}
