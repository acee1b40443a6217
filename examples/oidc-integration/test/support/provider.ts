import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import Provider, { errors } from 'oidc-provider'

/** What a test needs to know about a running provider. */
export interface TestProvider {
  issuer: string
  tokenEndpoint: string
  revocationEndpoint: string
  authorizationEndpoint: string
  jwksUri: string
  clientId: string
  redirectUri: string
  /** The resource indicator (and JWT `aud`) of the protected API. */
  resource: string
  /** Access token lifetime in seconds. */
  accessTokenTTL: number
  close(): Promise<void>
}

export interface TestProviderOptions {
  /** Access token lifetime in seconds. Default 4: short enough to watch several rotations. */
  accessTokenTTL?: number
}

/**
 * Starts `oidc-provider` on 127.0.0.1 with one public SPA client (`token_endpoint_auth_method: 'none'`,
 * PKCE S256 required), rotating refresh tokens, and JWT access tokens for one API resource.
 * The port is chosen by the OS, so files running in parallel never collide.
 */
export async function startProvider(options: TestProviderOptions = {}): Promise<TestProvider> {
  const { accessTokenTTL = 4 } = options
  const clientId = 'latchkey-spa'
  const redirectUri = 'http://127.0.0.1/callback'
  const resource = 'urn:latchkey:api'

  // The issuer has to contain the port, so bind first and hand the provider the request handler after.
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  // Own signing keys and cookie keys keep the provider from falling back to its shared dev defaults.
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-rs256', alg: 'RS256', use: 'sig' }

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { methods: ['S256'], required: () => true },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: accessTokenTTL,
      IdToken: 3600,
      RefreshToken: 3600,
      Grant: 3600,
      Session: 3600,
      Interaction: 600,
    },
    scopes: ['openid', 'offline_access', 'api:read'],
    // Any login is accepted: the dev interaction form posts it as the account id.
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        // The refresh grant (which `oauth2Refresh` sends without `resource`) keeps the API audience.
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== resource) throw new errors.InvalidTarget()
          return { scope: 'api:read', audience: resource, accessTokenTTL, accessTokenFormat: 'jwt' }
        },
      },
    },
  })
  server.on('request', provider.callback())

  const meta = await fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.json())
  return {
    issuer,
    tokenEndpoint: meta.token_endpoint,
    revocationEndpoint: meta.revocation_endpoint,
    authorizationEndpoint: meta.authorization_endpoint,
    jwksUri: meta.jwks_uri,
    clientId,
    redirectUri,
    resource,
    accessTokenTTL,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
