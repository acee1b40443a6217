export { createAuthClient } from './createAuthClient'
export { type AuthFetchOptions, createAuthFetch } from './createAuthFetch'
export {
  AuthError,
  type AuthErrorCode,
  InvalidTokenError,
  isAuthError,
  RefreshError,
  type RefreshErrorCode,
} from './errors'
export { type OAuth2RefreshOptions, oauth2Refresh } from './oauth2Refresh'
export {
  type ConfigGuard,
  createOriginMatcher,
  crossedOrigin,
  guardConfig,
  type OriginRule,
} from './originMatcher'
export { loadingState } from './state'
export { copyBody, createTokenRenewer, isOneShot, type SentToken, type TokenRenewer } from './tokenRenewer'
export type {
  AuthClient,
  AuthClientOptions,
  AuthEvents,
  AuthState,
  AuthStatus,
  CookieOptions,
  JwtClaims,
  RefreshContext,
  Register,
  RegisteredClaims,
  RegisteredCredentials,
  RetryOptions,
  StorageOption,
  TokenSet,
  TokenStorage,
} from './types'
