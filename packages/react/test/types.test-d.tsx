import { type AuthClient, type AuthState, createAuthClient } from '@latchkey/core'
import type { ReactElement } from 'react'
import { expectTypeOf, test } from 'vitest'
import {
  AuthProvider,
  RequireAuth,
  type UseAuthResult,
  useAuth,
  useAuthClient,
  useAuthSelector,
} from '../src/index'

interface MyClaims {
  sub: string
  roles: string[]
}

test('generics type claims, credentials and selections', () => {
  expectTypeOf(useAuth<MyClaims>).returns.toEqualTypeOf<UseAuthResult<MyClaims>>()
  expectTypeOf<UseAuthResult<MyClaims>['claims']>().toEqualTypeOf<MyClaims | null>()
  expectTypeOf<UseAuthResult<MyClaims, { password: string }>['login']>().parameters.toEqualTypeOf<
    [{ password: string }]
  >()
  expectTypeOf(useAuthClient<MyClaims>).returns.toEqualTypeOf<AuthClient<MyClaims>>()
  expectTypeOf(useAuthSelector((s) => s.isRefreshing)).toEqualTypeOf<boolean>()
  expectTypeOf(useAuthSelector((s: AuthState<MyClaims>) => s.claims?.roles)).toEqualTypeOf<
    string[] | undefined
  >()
  const auth = createAuthClient<MyClaims>()
  expectTypeOf(AuthProvider<MyClaims>)
    .parameter(0)
    .toHaveProperty('serverState')
  void (<AuthProvider client={auth} serverState={auth.getState()} />)
})

test('RequireAuth returns an element, as every @types/react 18 accepts from a component', () => {
  expectTypeOf(RequireAuth).returns.toEqualTypeOf<ReactElement>()
})
