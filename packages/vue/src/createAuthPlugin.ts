import {
  type AuthClient,
  type AuthState,
  loadingState,
  type RegisteredClaims,
  type RegisteredCredentials,
} from '@latchkey/core'
import {
  type App,
  type InjectionKey,
  markRaw,
  type Plugin,
  type Ref,
  reactive,
  readonly,
  shallowReactive,
  toRef,
} from 'vue'

/** What {@link useAuth} returns: each state field, reactive and read-only, plus the client's methods. */
export type UseAuthReturn<C = RegisteredClaims, Credentials = RegisteredCredentials> = Readonly<
  AuthState<C>
> &
  Readonly<Pick<AuthClient<C, Credentials>, 'login' | 'logout' | 'refresh' | 'getAccessToken'>> & {
    /** The client itself (not a reactive proxy), for everything else: `setTokens`, `on`, `fetch`, ... */
    readonly client: AuthClient<C, Credentials>
  }

/** Options of {@link createAuthPlugin}. */
export interface AuthPluginOptions<C = RegisteredClaims> {
  /**
   * For apps rendered on the server and hydrated with `createSSRApp`: render `serverState` until the
   * app is mounted and the client's own state right after, so the server HTML and the hydrating
   * browser agree whatever the browser's storage holds. The server never mounts, so there the plugin
   * does not subscribe either. Default `false`: every render shows `auth.getState()`.
   *
   * @example
   * ```ts
   * // entry-server.ts and entry-client.ts alike
   * createSSRApp(App).use(createAuthPlugin(auth, { ssr: true }))
   * ```
   */
  ssr?: boolean | undefined
  /**
   * The state rendered on the server and while hydrating; giving one turns `ssr` on. Default: a
   * `loading` snapshot (`status: 'loading'`, every other field empty). Pass the same state on both
   * sides (the server's `auth.getState()`, serialized into the page) to render the session on the
   * server.
   */
  serverState?: AuthState<C> | undefined
}

/**
 * @internal Where the plugin provides the state for {@link useAuth}. A registered symbol, so two
 * copies of this package (an app's ESM import and a dependency's CJS require) find each other's
 * plugin.
 */
export const authKey: InjectionKey<UseAuthReturn<any, any>> = Symbol.for('@latchkey/vue')

/**
 * A Vue plugin that makes an auth client available to `useAuth()` in every component of the app.
 * It subscribes once per app and unsubscribes when the app unmounts; it never destroys the client.
 * With `ssr` (or `serverState`) it renders the same state on the server and while hydrating, and
 * subscribes only once the app is mounted.
 *
 * @example
 * ```ts
 * const auth = createAuthClient({ storage: 'localStorage', refresh })
 *
 * createApp(App).use(createAuthPlugin(auth)).mount('#app')
 * ```
 */
export function createAuthPlugin<C = RegisteredClaims, Credentials = RegisteredCredentials>(
  client: AuthClient<C, Credentials>,
  { serverState, ssr = !!serverState }: AuthPluginOptions<C> = {},
): Plugin {
  return {
    install(app: App) {
      // One ref per field over one snapshot: a component reading `status` re-renders only when `status`
      // changes (a computed per field would notify on every change in Vue 3.3), and every read of a field,
      // also a sync watcher's in the middle of an update, sees the same snapshot. The refs track one
      // index each of a shallow reactive array, updated with one splice: Vue 3.4 and 3.5 batch an array
      // mutation, so every changed field is marked before any sync watcher runs, and an app's computed
      // over `claims` read in a watcher on `status` is not left holding the previous user. (Vue 3.3 has
      // no batches: there such a computed still catches up only at its own field's trigger.)
      let snapshot: AuthState<C> = ssr ? (serverState ?? loadingState) : client.getState()
      const keys = Object.keys(snapshot) as (keyof AuthState<C>)[]
      const values = shallowReactive(keys.map((key) => snapshot[key]))
      const fields: Record<string, Ref<unknown>> = {}
      keys.forEach((key, i) => {
        fields[key] = toRef(() => {
          // Tracks the field. The value comes from the snapshot: 3.3's unbatched splice runs a sync
          // watcher at an early index, before it has set the later ones.
          values[i]
          return snapshot[key]
        })
      })
      const show = (next: AuthState<C>) => {
        snapshot = next
        // An index whose value is the same (Object.is) triggers nothing.
        values.splice(0, keys.length, ...keys.map((key) => next[key]))
        // On 3.3 a sync watcher run by that splice can show a newer snapshot (a guard calling logout()),
        // whose fields the rest of the splice then overwrote with this one's.
        if (snapshot !== next) show(snapshot)
      }
      let stop = () => {}
      const follow = () => {
        show(client.getState())
        stop = client.subscribe(show)
      }
      if (ssr) {
        // Hydration runs inside mount(); switching afterwards re-renders on the next tick, from HTML
        // that matched. A server render never mounts, so it never subscribes.
        const mount = app.mount
        app.mount = (...args) => {
          // Nothing mounted (no such element, mounted already): nothing to follow, nothing to stop later.
          // Told by the container Vue keeps, not by what mount() returns: null for a functional root.
          const mounted = app._container
          const vm = mount(...args)
          if (!mounted && app._container) follow()
          return vm
        }
      } else follow()
      // Reactive (its refs unwrapped), so `watch(useAuth(), …)` works; read-only for the app.
      const auth = readonly(
        reactive({
          ...fields,
          login: client.login,
          logout: client.logout,
          refresh: client.refresh,
          getAccessToken: client.getAccessToken,
          // Vue wraps no object that cannot be extended, and markRaw before Vue 3.4.16 throws on one (a
          // frozen client).
          client: Object.isExtensible(client) ? markRaw(client) : client,
        }),
      )
      app.provide(authKey, auth as unknown as UseAuthReturn<C, Credentials>)
      // `app.onUnmount` arrived in Vue 3.5; the peer range starts at 3.3.
      if (app.onUnmount) app.onUnmount(() => stop())
      else {
        const unmount = app.unmount
        app.unmount = () => {
          stop()
          unmount()
        }
      }
    },
  }
}
