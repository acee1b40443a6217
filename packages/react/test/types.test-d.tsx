import { type AuthClient, type AuthState, createAuthClient } from '@latchkey/core'
import {
  AuthProvider,
  RequireAuth,
  type UseAuthResult,
  useAuth,
  useAuthClient,
  useAuthSelector,
} from '@latchkey/react'
import type { ReactElement } from 'react'
import { expectTypeOf, test } from 'vitest'

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

test('useAuth returns the state and the client’s own method types; the selector’s isEqual takes the selection', () => {
  type Credentials = { username: string; password: string }
  type Result = UseAuthResult<MyClaims, Credentials>
  expectTypeOf<Result>().toExtend<AuthState<MyClaims>>()
  expectTypeOf<Result['login']>().toEqualTypeOf<AuthClient<MyClaims, Credentials>['login']>()
  expectTypeOf<Result['logout']>().toEqualTypeOf<() => Promise<void>>()
  expectTypeOf<Result['refresh']>().toEqualTypeOf<() => Promise<string>>()
  expectTypeOf<Result['getAccessToken']>().toEqualTypeOf<AuthClient['getAccessToken']>()
  expectTypeOf<Result['client']>().toEqualTypeOf<AuthClient<MyClaims, Credentials>>()
  expectTypeOf(useAuthSelector<string[], MyClaims>)
    .parameter(1)
    .toEqualTypeOf<((a: string[], b: string[]) => boolean) | undefined>()
  // The provider takes a client typed with the app's claims and credentials.
  const auth = createAuthClient<MyClaims, Credentials>()
  void (
    <AuthProvider client={auth}>
      <RequireAuth fallback={<p>sign in</p>} loading={null}>
        <p>secret</p>
      </RequireAuth>
    </AuthProvider>
  )
})

test('useAuth destructures, and useAuthSelector infers the selection for isEqual', () => {
  type Credentials = { username: string; password: string }
  const { status, claims, login, logout, getAccessToken } = useAuth<MyClaims, Credentials>()
  expectTypeOf(status).toEqualTypeOf<AuthState['status']>()
  expectTypeOf(claims?.roles).toEqualTypeOf<string[] | undefined>()
  expectTypeOf(login({ username: 'alice', password: 'wonderland' })).toEqualTypeOf<
    Promise<AuthState<MyClaims>>
  >()
  void (<button type="button" onClick={() => logout()} />)
  expectTypeOf(getAccessToken({ minValidity: 30 })).toEqualTypeOf<Promise<string | null>>()
  const roles = useAuthSelector(
    (s: AuthState<MyClaims>) => s.claims?.roles ?? [],
    (a, b) => {
      expectTypeOf(a).toEqualTypeOf<string[]>()
      return a.join() === b.join()
    },
  )
  expectTypeOf(roles).toEqualTypeOf<string[]>()
  const sameState = (a: AuthState, b: AuthState) => a === b
  // @ts-expect-error: isEqual compares selections, not states
  useAuthSelector((s) => s.isRefreshing, sameState)
})
