import type { AuthState } from './types'

/**
 * The state of a client that has not read its storage yet, with nothing known: what a server renders
 * (it cannot know what a browser's storage holds) and what a hydrating browser renders first, so the
 * two agree. Frozen; for adapters (`@latchkey/react`, `@latchkey/vue`) and apps that render on a server.
 */
export const loadingState: AuthState<never> = /* @__PURE__ */ Object.freeze({
  status: 'loading',
  isAuthenticated: false,
  isRefreshing: false,
  accessToken: null,
  canRefresh: false,
  claims: null,
  expiresAt: null,
  error: null,
})
