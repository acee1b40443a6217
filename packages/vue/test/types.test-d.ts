import type { AuthClient, AuthState } from '@latchkey/core'
import { expectTypeOf, test } from 'vitest'
import { type AuthPluginOptions, createAuthPlugin, type UseAuthReturn, useAuth } from '../src/index'

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
