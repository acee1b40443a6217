import { createAuthFetch } from '@latchkey/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { authorize } from './support/browserLogin'
import { connect, destroyAll, next } from './support/latchkey'
import { revoke } from './support/oauth'
import { startProvider, type TestProvider } from './support/provider'
import { type ResourceServer, startResourceServer } from './support/resourceServer'

// Long-lived access tokens, so the only refreshes are the ones a test causes.
let provider: TestProvider
let api: ResourceServer
let elsewhere: ResourceServer
beforeAll(async () => {
  provider = await startProvider({ accessTokenTTL: 300 })
  api = await startResourceServer(provider)
  elsewhere = await startResourceServer(provider)
})
afterAll(async () => {
  await Promise.all([api.close(), elsewhere.close()])
  await provider.close()
})
afterEach(() => {
  destroyAll()
  api.seen.length = 0
  api.bodies.length = 0
  elsewhere.seen.length = 0
})

async function session() {
  const { auth, exchanges } = connect(provider, await authorize(provider))
  return { auth, exchanges, authFetch: createAuthFetch(auth, { origins: [api.origin] }) }
}

describe('createAuthFetch with tokens from oidc-provider', () => {
  it('sends the Bearer token, which the API verifies against the jwks_uri', async () => {
    const { auth, authFetch } = await session()

    const res = await authFetch(`${api.origin}/me`)

    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: 'alice', scope: 'api:read', client_id: provider.clientId })
    expect(api.seen).toEqual([`Bearer ${auth.getState().accessToken}`])
  })

  it('attaches nothing to an origin outside `origins`, even one that trusts the same provider', async () => {
    const { authFetch } = await session()

    const res = await authFetch(`${elsewhere.origin}/me`)

    expect(res.status).toBe(401)
    expect(elsewhere.seen).toEqual([null])
  })

  it('sends the new token after a refresh', async () => {
    const { auth, authFetch } = await session()
    await authFetch(`${api.origin}/me`)
    const before = auth.getState().accessToken

    await auth.refresh()
    const res = await authFetch(`${api.origin}/me`)

    expect(res.status).toBe(200)
    expect(auth.getState().accessToken).not.toBe(before)
    expect(api.seen).toEqual([`Bearer ${before}`, `Bearer ${auth.getState().accessToken}`])
  })

  it("answers the API's 401 with one refresh at the provider and a replay that succeeds", async () => {
    const { auth, exchanges, authFetch } = await session()
    const old = auth.getState()
    api.denied.add(old.claims!.jti)

    const res = await authFetch(`${api.origin}/me`, { method: 'POST', body: 'same body' })

    expect(res.status).toBe(200)
    expect(exchanges.map((e) => e.status)).toEqual([200])
    const current = auth.getState()
    expect(current.claims!.jti).not.toBe(old.claims!.jti)
    expect(api.seen).toEqual([`Bearer ${old.accessToken}`, `Bearer ${current.accessToken}`])
    expect(api.bodies).toEqual(['same body', 'same body'])
  })

  it('returns the 401 and ends the session when the refresh token was revoked too', async () => {
    const first = await authorize(provider)
    const { auth, exchanges } = connect(provider, first)
    const authFetch = createAuthFetch(auth, { origins: [api.origin] })
    api.denied.add(auth.getState().claims!.jti)
    await revoke(provider, first.refresh_token!)
    const logout = next(auth, 'logout')

    const res = await authFetch(`${api.origin}/me`)

    expect(res.status).toBe(401)
    expect(await logout).toEqual({ reason: 'refresh_rejected' })
    expect(exchanges).toEqual([{ sent: first.refresh_token, status: 400, error: 'invalid_grant' }])
    expect(api.seen).toHaveLength(1)
    expect(auth.getState().status).toBe('unauthenticated')
  })
})
