import type { AuthStatus } from '@latchkey/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { authorize } from './support/browserLogin'
import { connect, destroyAll, next } from './support/latchkey'
import { refreshGrant, revoke } from './support/oauth'
import { startProvider, type TestProvider } from './support/provider'

// Real time, real tokens: access tokens live 4 s and latchkey refreshes 2 s before exp
// (the leeway is capped at half the lifetime), so three rotations take about 6 s.
const TTL = 4
const LEEWAY = 2

let provider: TestProvider
beforeAll(async () => {
  provider = await startProvider({ accessTokenTTL: TTL })
})
afterAll(() => provider.close())
afterEach(destroyAll)

describe('createAuthClient + oauth2Refresh against oidc-provider', () => {
  it('gets a refresh token and a JWT access token from the authorization-code flow with PKCE', async () => {
    const first = await authorize(provider)

    expect(first.token_type).toBe('Bearer')
    expect(first.refresh_token).toEqual(expect.any(String))
    expect(first.access_token.split('.')).toHaveLength(3)
    expect(first.expires_in).toBe(TTL)
    expect(first.id_token?.split('.')).toHaveLength(3)
    // The response's scope is the access token's: the API's scope, bound to its resource indicator.
    expect(first.scope).toBe('api:read')
  })

  it("decodes the provider's access token claims into getState().claims", async () => {
    const first = await authorize(provider)
    const before = Date.now()
    const { auth } = connect(provider, first, { refreshLeeway: LEEWAY })
    const after = Date.now()

    const state = auth.getState()
    expect(state.status).toBe('authenticated')
    expect(state.canRefresh).toBe(true)
    expect(state.claims).toMatchObject({
      iss: provider.issuer,
      aud: provider.resource,
      sub: 'alice',
      client_id: provider.clientId,
      scope: 'api:read',
    })
    const { exp, iat } = state.claims!
    expect(exp - iat).toBe(TTL)
    // iat has whole seconds; the measured skew puts expiry exactly TTL after receipt on the local clock.
    expect(state.expiresAt).toBeGreaterThanOrEqual(before + TTL * 1000)
    expect(state.expiresAt).toBeLessThanOrEqual(after + TTL * 1000)
  })

  it('refreshes by itself before exp across 3 rotations, each bringing a new refresh token', async () => {
    const first = await authorize(provider)
    const { auth, exchanges } = connect(provider, first, { refreshLeeway: LEEWAY })
    const statuses = new Set<AuthStatus>()
    auth.subscribe((s) => statuses.add(s.status))

    const tokens = [auth.getState()]
    for (let rotation = 1; rotation <= 3; rotation++) {
      const previous = tokens.at(-1)!
      const state = await next(auth, 'refresh')
      const at = Date.now()
      // Proactive: the refresh ran in the leeway window, before the old token expired.
      expect(at).toBeGreaterThanOrEqual(previous.expiresAt! - LEEWAY * 1000 - 50)
      expect(at).toBeLessThan(previous.expiresAt!)
      expect(state.status).toBe('authenticated')
      expect(state.claims!.jti).not.toBe(previous.claims!.jti)
      expect(state.claims!.exp).toBeGreaterThan(previous.claims!.exp)
      tokens.push(state)
    }

    expect(statuses.has('expired')).toBe(false)
    expect(auth.getState().error).toBeNull()
    // Each grant presented the refresh token the previous one returned, and each returned a new one.
    expect(exchanges.map((e) => e.status)).toEqual([200, 200, 200])
    expect(exchanges[0]!.sent).toBe(first.refresh_token)
    expect(exchanges[1]!.sent).toBe(exchanges[0]!.received)
    expect(exchanges[2]!.sent).toBe(exchanges[1]!.received)
    const refreshTokens = [first.refresh_token, ...exchanges.map((e) => e.received)]
    expect(new Set(refreshTokens).size).toBe(4)
    expect(new Set(tokens.map((s) => s.accessToken)).size).toBe(4)

    // A rotated-out refresh token is dead: the provider answers invalid_grant.
    auth.destroy()
    const replay = await refreshGrant(provider, exchanges[2]!.sent!)
    expect(replay.status).toBe(400)
    expect(replay.body.error).toBe('invalid_grant')
  })

  it('ends the session with refresh_rejected when the refresh token was revoked', async () => {
    const first = await authorize(provider)
    const { auth, exchanges } = connect(provider, first, { refreshLeeway: LEEWAY })
    const refreshErrors: unknown[] = []
    auth.on('refreshError', (e) => refreshErrors.push(e))

    await revoke(provider, first.refresh_token!)
    // Nobody calls refresh(): the scheduled refresh finds the token revoked.
    const logout = await next(auth, 'logout')

    expect(logout).toEqual({ reason: 'refresh_rejected' })
    expect(exchanges).toEqual([{ sent: first.refresh_token, status: 400, error: 'invalid_grant' }])
    expect(refreshErrors).toEqual([
      {
        attempt: 1,
        willRetry: false,
        error: expect.objectContaining({
          code: 'refresh_rejected',
          status: 400,
          cause: expect.objectContaining({ error: 'invalid_grant' }),
        }),
      },
    ])
    const state = auth.getState()
    expect(state).toMatchObject({
      status: 'unauthenticated',
      accessToken: null,
      claims: null,
      canRefresh: false,
    })
    expect(state.error?.code).toBe('refresh_rejected')
  })
})
