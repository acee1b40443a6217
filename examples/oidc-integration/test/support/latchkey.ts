import { type AuthClient, type AuthEvents, createAuthClient, oauth2Refresh } from '@latchkey/core'
import type { TokenResponse } from './browserLogin'
import type { TestProvider } from './provider'

/** The claims of an RFC 9068 access token as `oidc-provider` issues them. */
export interface ProviderClaims {
  iss: string
  aud: string
  sub: string
  exp: number
  iat: number
  jti: string
  client_id: string
  scope: string
}

/** One refresh grant as it crossed the wire. */
export interface Exchange {
  /** The refresh token latchkey presented. */
  sent: string | null
  status: number
  /** The refresh token the provider issued in exchange (rotation), if any. */
  received?: string
  /** The OAuth error code, if any. */
  error?: string
}

export interface Session {
  auth: AuthClient<ProviderClaims>
  /** Every refresh grant latchkey sent, recorded from the `fetch` given to `oauth2Refresh`. */
  exchanges: Exchange[]
}

const open = new Set<AuthClient<ProviderClaims>>()

/** Destroys every client `connect` made; call it in `afterEach`. */
export const destroyAll = (): void => {
  for (const auth of open) auth.destroy()
  open.clear()
}

/**
 * A latchkey client that refreshes at the provider's token endpoint through `oauth2Refresh`, started
 * with the token set of an authorization-code exchange.
 */
export function connect(
  provider: TestProvider,
  first: TokenResponse,
  options: { refreshLeeway?: number } = {},
): Session {
  const exchanges: Exchange[] = []
  const recording: typeof fetch = async (input, init) => {
    const res = await fetch(input, init)
    const body = await res
      .clone()
      .json()
      .catch(() => ({}))
    exchanges.push({
      sent: new URLSearchParams(String(init?.body)).get('refresh_token'),
      status: res.status,
      received: body.refresh_token,
      error: body.error,
    })
    return res
  }
  const auth = createAuthClient<ProviderClaims>({
    refresh: oauth2Refresh({
      tokenEndpoint: provider.tokenEndpoint,
      clientId: provider.clientId,
      fetch: recording,
    }),
    ...options,
  })
  open.add(auth)
  auth.setTokens({ accessToken: first.access_token, refreshToken: first.refresh_token ?? null })
  return { auth, exchanges }
}

/** Resolves with the next `type` event's payload, or rejects after `ms` (a clear failure beats a hang). */
export function next<K extends keyof AuthEvents<ProviderClaims>>(
  auth: AuthClient<ProviderClaims>,
  type: K,
  ms = 15_000,
): Promise<AuthEvents<ProviderClaims>[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`no ${String(type)} event within ${ms} ms`))
    }, ms)
    const off = auth.on(type, (payload) => {
      clearTimeout(timer)
      off()
      resolve(payload)
    })
  })
}
