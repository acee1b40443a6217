import type { AuthClient, AuthState, RegisteredClaims, RegisteredCredentials } from '@latchkey/core'

/**
 * A Svelte readable store of `AuthState` snapshots that also carries the client's methods.
 * Structurally a `Readable<AuthState<C>>` from `svelte/store`, without depending on Svelte.
 */
export interface AuthStore<C = RegisteredClaims, Credentials = RegisteredCredentials>
  extends Pick<AuthClient<C, Credentials>, 'login' | 'logout' | 'refresh' | 'getAccessToken' | 'setTokens'> {
  /**
   * Calls `run` at once with the current snapshot, then with every new one. Returns an unsubscribe
   * function; calling it twice is harmless.
   */
  subscribe(this: void, run: (value: AuthState<C>) => void, invalidate?: () => void): () => void
  /** The client itself, for everything else: `on`, `fetch`, `ready`, `destroy`, ... */
  readonly client: AuthClient<C, Credentials>
}

/**
 * Wraps an auth client in a Svelte store: `$auth` in components, `get`/`derived` from
 * `svelte/store`, and the client's methods, which work when destructured. It adds no state of its
 * own and subscribes to the client only while the store has subscribers.
 *
 * @example
 * ```svelte
 * <script lang="ts">
 *   import { createAuthClient } from '@latchkey/core'
 *   import { authStore } from '@latchkey/svelte'
 *
 *   const auth = authStore(createAuthClient({ storage: 'localStorage', refresh }))
 * </script>
 *
 * {#if $auth.status === 'authenticated' || $auth.status === 'expired'}
 *   <button onclick={() => auth.logout()}>Sign out {$auth.claims?.sub}</button>
 * {:else}
 *   <a href="/login">Sign in</a>
 * {/if}
 * ```
 */
export function authStore<C = RegisteredClaims, Credentials = RegisteredCredentials>(
  client: AuthClient<C, Credentials>,
): AuthStore<C, Credentials> {
  return {
    subscribe(run) {
      // A fresh listener per call, so one `run` subscribed twice gets two independent subscriptions;
      // subscribing before the first `run` misses nothing that `run` itself changes.
      const stop = client.subscribe((state) => run(state))
      run(client.getState())
      return stop
    },
    login: client.login,
    logout: client.logout,
    refresh: client.refresh,
    getAccessToken: client.getAccessToken,
    setTokens: client.setTokens,
    client,
  }
}
