import { type AuthClient, type AuthState, createAuthClient } from '@latchkey/core'
import { type AuthPluginOptions, createAuthPlugin, type UseAuthReturn, useAuth } from '@latchkey/vue'
import { expectTypeOf, test } from 'vitest'
import { computed, createApp, type Plugin, toRefs, watch } from 'vue'

interface MyClaims {
  sub: string
}

test('useAuth types claims and keeps the client unwrapped', () => {
  expectTypeOf(useAuth<MyClaims>).returns.toEqualTypeOf<UseAuthReturn<MyClaims>>()
  expectTypeOf<UseAuthReturn<MyClaims>['claims']>().toEqualTypeOf<MyClaims | null>()
  expectTypeOf<UseAuthReturn<MyClaims>['client']>().toEqualTypeOf<AuthClient<MyClaims>>()
})

test("createAuthPlugin's serverState carries the client's claims", () => {
  expectTypeOf(createAuthPlugin<MyClaims>)
    .parameter(1)
    .toEqualTypeOf<AuthPluginOptions<MyClaims> | undefined>()
  expectTypeOf<AuthPluginOptions<MyClaims>['serverState']>().toEqualTypeOf<AuthState<MyClaims> | undefined>()
})

test('useAuth carries the client’s method types, and its state is read-only', () => {
  type Credentials = { username: string; password: string }
  const auth = useAuth<MyClaims, Credentials>()
  expectTypeOf(auth.login).toEqualTypeOf<AuthClient<MyClaims, Credentials>['login']>()
  expectTypeOf(auth.logout).toEqualTypeOf<() => Promise<void>>()
  expectTypeOf(auth.refresh).toEqualTypeOf<() => Promise<string>>()
  expectTypeOf(auth.getAccessToken).toEqualTypeOf<AuthClient['getAccessToken']>()
  expectTypeOf(auth.status).toEqualTypeOf<AuthState['status']>()
  // @ts-expect-error: the state is the client's; the app changes it through the methods
  auth.status = 'authenticated'
  // @ts-expect-error: so is the client
  auth.client = createAuthClient<MyClaims, Credentials>()
  expectTypeOf(createAuthPlugin(createAuthClient<MyClaims, Credentials>())).toExtend<Plugin>()
  createApp({}).use(createAuthPlugin(createAuthClient<MyClaims, Credentials>(), { ssr: true }))
})

test('useAuth reads as a component uses it: computed, watch, toRefs, destructured methods', () => {
  type Credentials = { username: string; password: string }
  const auth = useAuth<MyClaims, Credentials>()
  expectTypeOf(computed(() => auth.claims?.sub ?? 'guest').value).toEqualTypeOf<string>()
  watch(
    () => auth.status,
    (status) => expectTypeOf(status).toEqualTypeOf<AuthState['status']>(),
  )
  const { status, claims } = toRefs(auth)
  expectTypeOf(status.value).toEqualTypeOf<AuthState['status']>()
  expectTypeOf(claims.value).toEqualTypeOf<MyClaims | null>()
  const { login, logout } = auth
  void login({ username: 'alice', password: 'wonderland' }).then((state) =>
    expectTypeOf(state.claims).toEqualTypeOf<MyClaims | null>(),
  )
  void logout()
})
