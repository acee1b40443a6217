import { type AuthClient, createAuthClient, type TokenSet } from '@latchkey/core'
import {
  type ControlledRefresh,
  controlledRefresh,
  countSubscriptions,
  createMockAuthServer,
  createTestToken,
  type FakeClock,
  fakeClock,
  type MockAuthServer,
  type MockAuthServerOptions,
  startRefresh,
  type TestTokenOptions,
} from '@latchkey/testing'
import type { HttpHandler } from 'msw'
import { setupServer } from 'msw/node'
import { expectTypeOf, test } from 'vitest'

interface MyClaims {
  sub: string
  roles: string[]
}

test('createTestToken(claims?, options?) returns the token as a string, synchronously', () => {
  expectTypeOf(createTestToken).returns.toEqualTypeOf<string>()
  expectTypeOf(createTestToken).parameter(1).toEqualTypeOf<TestTokenOptions | undefined>()
  // An app's claims interface (no index signature) is accepted as it is.
  const claims: MyClaims = { sub: 'alice', roles: ['admin'] }
  createTestToken(claims, { expiresIn: null, issuedAt: 0, secret: new Uint8Array(32), now: Date.now })
  createTestToken()
})

test('createMockAuthServer(options?) gives msw handlers and its controls', () => {
  expectTypeOf(createMockAuthServer).parameter(0).toEqualTypeOf<MockAuthServerOptions | undefined>()
  expectTypeOf(createMockAuthServer).returns.toEqualTypeOf<MockAuthServer>()
  const mock = createMockAuthServer({ baseUrl: 'https://auth.example.com', accessTtl: 60, rotate: false })
  expectTypeOf(mock.handlers).toEqualTypeOf<HttpHandler[]>()
  setupServer(...mock.handlers)
  expectTypeOf(mock.calls.refresh).toEqualTypeOf<number>()
  mock.setRefreshFailure('hang', 1)
  mock.setRefreshFailure(null)
  // @ts-expect-error: not a failure the mock simulates
  mock.setRefreshFailure('418')
})

test('with exactOptionalPropertyTypes, an option set to undefined is an option left out', () => {
  const env: { ttl?: number; baseUrl?: string; secret?: string } = {}
  createTestToken(
    { sub: 'alice' },
    { expiresIn: env.ttl, issuedAt: undefined, secret: env.secret, now: undefined },
  )
  createMockAuthServer({
    baseUrl: env.baseUrl,
    accessTtl: env.ttl,
    rotate: undefined,
    now: undefined,
    users: { alice: { password: 'wonderland', claims: undefined } },
  })
  createMockAuthServer({ users: undefined })
})

test("the helpers fit createAuthClient's options and keep the client's types", () => {
  const clock: FakeClock = fakeClock()
  const control: ControlledRefresh = controlledRefresh()
  const auth = createAuthClient<MyClaims, { password: string }>({ now: clock.now, refresh: control.refresh })
  expectTypeOf(control.settle).parameter(0).toEqualTypeOf<TokenSet>()
  expectTypeOf(countSubscriptions(auth).client).toEqualTypeOf<AuthClient<MyClaims, { password: string }>>()
  expectTypeOf(countSubscriptions(auth).active).toEqualTypeOf<() => number>()
  expectTypeOf(startRefresh(auth)).toEqualTypeOf<Promise<{ done: Promise<string> }>>()
})
