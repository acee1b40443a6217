import type { AuthClient, AuthState, JwtClaims } from '@latchkey/core'
import { type App, computed, type InjectionKey, markRaw, type Plugin, readonly, shallowRef } from 'vue'

/** What {@link useAuth} returns: each state field, reactive and read-only, plus the client's methods. */
export type UseAuthReturn<C = JwtClaims, Credentials = unknown> = Readonly<AuthState<C>> &
  Readonly<Pick<AuthClient<C, Credentials>, 'login' | 'logout' | 'refresh' | 'getAccessToken'>> & {
    /** The client itself (not a reactive proxy), for everything else: `setTokens`, `on`, `fetch`, ... */
    readonly client: AuthClient<C, Credentials>
  }

/** @internal Where the plugin provides the state for {@link useAuth}. */
export const authKey: InjectionKey<UseAuthReturn<any, any>> = Symbol('latchkey')

/**
 * A Vue plugin that makes an auth client available to `useAuth()` in every component of the app.
 * It subscribes once per app and unsubscribes when the app unmounts; it never destroys the client.
 *
 * @example
 * ```ts
 * const auth = createAuthClient({ storage: 'localStorage', refresh })
 *
 * createApp(App).use(createAuthPlugin(auth)).mount('#app')
 * ```
 */
export function createAuthPlugin<C = JwtClaims, Credentials = unknown>(
  client: AuthClient<C, Credentials>,
): Plugin {
  return {
    install(app: App) {
      const state = shallowRef(client.getState())
      const stop = client.subscribe((next) => {
        state.value = next
      })
      // One computed per field: a component reading `status` re-renders only when `status` changes.
      const fields: Record<string, unknown> = {}
      for (const key of Object.keys(state.value) as (keyof AuthState<C>)[]) {
        fields[key] = computed(() => state.value[key])
      }
      const auth = readonly({
        ...fields,
        login: client.login,
        logout: client.logout,
        refresh: client.refresh,
        getAccessToken: client.getAccessToken,
        client: markRaw(client),
      })
      app.provide(authKey, auth as unknown as UseAuthReturn<C, Credentials>)
      // `app.onUnmount` arrived in Vue 3.5; the peer range starts at 3.3.
      if (app.onUnmount) app.onUnmount(stop)
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
