import type { AuthClient } from '@latchkey/core'
import { expectTypeOf, test } from 'vitest'
import { type UseAuthReturn, useAuth } from '../src/index'

interface MyClaims {
  sub: string
}

test('useAuth types claims and keeps the client unwrapped', () => {
  expectTypeOf(useAuth<MyClaims>).returns.toEqualTypeOf<UseAuthReturn<MyClaims>>()
  expectTypeOf<UseAuthReturn<MyClaims>['claims']>().toEqualTypeOf<MyClaims | null>()
  expectTypeOf<UseAuthReturn<MyClaims>['client']>().toEqualTypeOf<AuthClient<MyClaims>>()
})
