export { createAuthClient } from './createAuthClient'
export {
  type AuthFetchOptions,
  createAuthFetch,
  createOriginMatcher,
  createTokenRenewer,
  type OriginRule,
  type SentToken,
  type TokenRenewer,
} from './createAuthFetch'
export { AuthError, type AuthErrorCode, InvalidTokenError, isAuthError, RefreshError } from './errors'
export { type OAuth2RefreshOptions, oauth2Refresh } from './oauth2Refresh'
export type {
  AuthClient,
  AuthClientOptions,
  AuthEvents,
  AuthState,
  AuthStatus,
  CookieOptions,
  JwtClaims,
  RefreshContext,
  RetryOptions,
  StorageOption,
  TokenSet,
  TokenStorage,
} from './types'
