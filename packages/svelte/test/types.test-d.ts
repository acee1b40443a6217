import { type AuthClient, type AuthState, createAuthClient } from '@latchkey/core'
import { type AuthStore, authStore } from '@latchkey/svelte'
import { derived, fromStore, get, type Readable, readonly } from 'svelte/store'
import { expectTypeOf, test } from 'vitest'

interface MyClaims {
  sub: string
}

test('authStore is a Readable of the client’s state type', () => {
  const auth = authStore(createAuthClient<MyClaims, { password: string }>())
  expectTypeOf(auth).toExtend<Readable<AuthState<MyClaims>>>()
  expectTypeOf(auth.login).parameters.toEqualTypeOf<[{ password: string }]>()
  expectTypeOf(derived(auth, ($auth) => $auth.claims?.sub)).toEqualTypeOf<Readable<string | undefined>>()
})

test('authStore carries the client, typed, and its methods', () => {
  type Credentials = { username: string; password: string }
  const client = createAuthClient<MyClaims, Credentials>()
  const auth: AuthStore<MyClaims, Credentials> = authStore(client)
  expectTypeOf(auth.client).toEqualTypeOf<AuthClient<MyClaims, Credentials>>()
  expectTypeOf(auth.login).toEqualTypeOf<AuthClient<MyClaims, Credentials>['login']>()
  expectTypeOf(auth.logout).toEqualTypeOf<() => Promise<void>>()
  expectTypeOf(auth.refresh).toEqualTypeOf<() => Promise<string>>()
  expectTypeOf(auth.getAccessToken).toEqualTypeOf<AuthClient['getAccessToken']>()
  expectTypeOf(get(auth)).toEqualTypeOf<AuthState<MyClaims>>()
  expectTypeOf(auth.subscribe).returns.toEqualTypeOf<() => void>()
})

test('$auth, fromStore and readonly see the state type', () => {
  const auth = authStore(createAuthClient<MyClaims>())
  // What svelte-check gives `$auth`: the value type of the store's `subscribe` (as svelte2tsx infers it).
  type StoreValue<S> = S extends { subscribe(run: (value: infer T) => unknown, ...rest: never[]): unknown }
    ? T
    : never
  expectTypeOf<StoreValue<typeof auth>>().toEqualTypeOf<AuthState<MyClaims>>()
  // Runes code reads the store through fromStore.
  expectTypeOf(fromStore(auth).current).toEqualTypeOf<AuthState<MyClaims>>()
  expectTypeOf(readonly(auth)).toEqualTypeOf<Readable<AuthState<MyClaims>>>()
  expectTypeOf(derived([auth, readonly(auth)], ([$a, $b]) => $a.claims === $b.claims)).toEqualTypeOf<
    Readable<boolean>
  >()
})
