import type { RegisteredClaims, RegisteredCredentials } from '@latchkey/core'
import { hasInjectionContext, inject } from 'vue'
import { authKey, type UseAuthReturn } from './createAuthPlugin'

/**
 * The auth state of the app, installed with `createAuthPlugin`: a read-only reactive object with
 * every `AuthState` field, plus `login`, `logout`, `refresh`, `getAccessToken` and `client`.
 * The methods work when destructured; state fields keep their reactivity only when read through
 * the object (or `toRefs(auth)`). Call it in `setup()` or `app.runWithContext()`; throws elsewhere.
 *
 * @example
 * ```vue
 * <script setup lang="ts">
 * import { useAuth } from '@latchkey/vue'
 * const auth = useAuth<{ sub: string; name: string }>()
 * </script>
 *
 * <template>
 *   <a v-if="auth.status === 'unauthenticated'" href="/login">Sign in</a>
 *   <!-- also while `expired`: a refresh is pending -->
 *   <button v-else-if="auth.status !== 'loading'" @click="auth.logout()">Sign out {{ auth.claims?.name }}</button>
 * </template>
 * ```
 */
export function useAuth<C = RegisteredClaims, Credentials = RegisteredCredentials>(): UseAuthReturn<
  C,
  Credentials
> {
  const auth = hasInjectionContext() ? inject(authKey, null) : null
  if (!auth) {
    throw new Error(
      'useAuth() found no auth client. Install one with app.use(createAuthPlugin(auth)) and call useAuth() inside setup().',
    )
  }
  return auth
}
