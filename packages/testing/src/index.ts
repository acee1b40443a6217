export type { ControlledRefresh } from './controlledRefresh'
export { controlledRefresh, startRefresh } from './controlledRefresh'
export { countSubscriptions } from './countSubscriptions'
export type {
  MockAuthCalls,
  MockAuthServer,
  MockAuthServerOptions,
  RefreshFailure,
} from './createMockAuthServer'
export { createMockAuthServer } from './createMockAuthServer'
export type { TestTokenOptions } from './createTestToken'
export { createTestToken } from './createTestToken'
export type { FakeClock } from './fakeClock'
export { fakeClock } from './fakeClock'
export type { IssuedTokens, MockUser } from './mockSessions'
