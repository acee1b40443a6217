import { type AuthState, createAuthClient } from '@latchkey/core'
import { derived, type Readable } from 'svelte/store'
import { expectTypeOf, test } from 'vitest'
import { authStore } from '../src/index'

interface MyClaims {
  sub: string
}

test('authStore is a Readable of the client’s state type', () => {
  const auth = authStore(createAuthClient<MyClaims, { password: string }>())
  expectTypeOf(auth).toExtend<Readable<AuthState<MyClaims>>>()
  expectTypeOf(auth.login).parameters.toEqualTypeOf<[{ password: string }]>()
  expectTypeOf(derived(auth, ($auth) => $auth.claims?.sub)).toEqualTypeOf<Readable<string | undefined>>()
})
