import {
  type AuthClient,
  type AuthState,
  loadingState,
  type RegisteredClaims,
  type RegisteredCredentials,
} from '@latchkey/core'
import {
  type Context,
  createContext,
  createElement,
  type ReactElement,
  type ReactNode,
  useContext,
  useMemo,
  useState,
} from 'react'

/** What `<AuthProvider>` shares with the hooks below it. */
interface AuthContextValue {
  client: AuthClient<any, any>
  /** The snapshot used on the server and while hydrating; kept stable for `useSyncExternalStore`. */
  getServerSnapshot: () => AuthState<any>
}

type Contexts = Map<typeof createContext, Context<AuthContextValue | null>>

/**
 * The context, shared by every copy of this package (an app's ESM import and a dependency's CJS
 * require) so a hook from one finds the provider of the other: created on first use, so importing
 * has no side effect, and kept on `globalThis` per React copy (as react-redux does), since a context
 * only works with the React that created it.
 */
function authContext(): Context<AuthContextValue | null> {
  const registry = globalThis as { [key: symbol]: Contexts | undefined }
  const contexts = (registry[Symbol.for('@latchkey/react/context')] ??= new Map())
  let context = contexts.get(createContext)
  if (!context) contexts.set(createContext, (context = createContext<AuthContextValue | null>(null)))
  return context
}

/** Props of {@link AuthProvider}. */
export interface AuthProviderProps<C = RegisteredClaims, Credentials = RegisteredCredentials> {
  /** The client from `createAuthClient()`. The provider never destroys it: the app owns it. */
  client: AuthClient<C, Credentials>
  /**
   * The snapshot rendered on the server and during hydration. Default: a `loading` snapshot, so the
   * server HTML and the first browser render agree whatever the browser's storage holds. Pass the
   * same state on both sides (e.g. `auth.getState()` when both read one cookie) to render the
   * session on the server.
   */
  serverState?: AuthState<C> | undefined
  children?: ReactNode
}

/**
 * Makes an auth client available to {@link useAuth}, {@link useAuthSelector} and `<RequireAuth>`.
 * It only shares the client: it subscribes to nothing and does not destroy it.
 *
 * @example
 * ```tsx
 * const auth = createAuthClient({ storage: 'localStorage', refresh })
 *
 * createRoot(el).render(
 *   <AuthProvider client={auth}>
 *     <App />
 *   </AuthProvider>,
 * )
 * ```
 */
export function AuthProvider<C = RegisteredClaims, Credentials = RegisteredCredentials>({
  client,
  serverState,
  children,
}: AuthProviderProps<C, Credentials>): ReactElement {
  // Only the server render and hydration read it: keep the first one, so a new object on a later
  // render (an inline literal, a fresh getState()) does not re-render every consumer.
  const [initial] = useState(serverState)
  const value = useMemo<AuthContextValue>(() => {
    const snapshot = initial ?? loadingState
    return { client, getServerSnapshot: () => snapshot }
  }, [client, initial])
  return createElement(authContext().Provider, { value }, children)
}

/**
 * @internal Reads the provider's context, throwing a helpful error outside it.
 * @param caller - What the user wrote, as the message names it: `useAuth()`, `<RequireAuth>`.
 */
export function useAuthContext(caller: string): AuthContextValue {
  const context = useContext(authContext())
  if (!context) {
    throw new Error(
      `${caller} must be used inside <AuthProvider client={auth}>. Wrap your app in <AuthProvider> and pass it the client from createAuthClient().`,
    )
  }
  // A `client={maybeUndefined}` from JavaScript (or an `any`) would otherwise fail later as a TypeError.
  if (!context.client)
    throw new Error(
      `${caller}: <AuthProvider> was given no client. Pass it client={auth} from createAuthClient().`,
    )
  return context
}

/**
 * Returns the client from the nearest `<AuthProvider>` without subscribing to it, so the component
 * does not re-render when the state changes.
 *
 * @example
 * ```tsx
 * const auth = useAuthClient()
 * return <button onClick={() => auth.logout()}>Sign out</button>
 * ```
 */
export function useAuthClient<C = RegisteredClaims, Credentials = RegisteredCredentials>(): AuthClient<
  C,
  Credentials
> {
  return useAuthContext('useAuthClient()').client
}
