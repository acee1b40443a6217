import { isAuthError, RefreshError } from '@latchkey/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { authorize } from './support/browserLogin'
import { connect, destroyAll, next } from './support/latchkey'
import { startProvider, type TestProvider } from './support/provider'

// Long-lived access tokens: every refresh here is an explicit call, so no scheduled one interleaves.
let provider: TestProvider
beforeAll(async () => {
  provider = await startProvider({ accessTokenTTL: 300 })
})
afterAll(() => provider.close())
afterEach(destroyAll)

describe('oauth2Refresh with a rotated-out refresh token', () => {
  it('gets invalid_grant, which latchkey treats as permanent: one try, no retry, logged out', async () => {
    const first = await authorize(provider)
    // Two copies of one session that do not share storage: a second device restored from a backup,
    // or an attacker holding a stolen refresh token.
    const a = connect(provider, first)
    const b = connect(provider, first)

    await a.auth.refresh()
    expect(a.exchanges).toEqual([
      { sent: first.refresh_token, status: 200, received: expect.any(String), error: undefined },
    ])

    const refreshErrors: unknown[] = []
    b.auth.on('refreshError', (e) => refreshErrors.push(e))
    const logout = next(b.auth, 'logout')
    const error = await b.auth.refresh().catch((e: unknown) => e)

    expect(error).toBeInstanceOf(RefreshError)
    expect(isAuthError(error) && error.code).toBe('refresh_rejected')
    expect(error).toMatchObject({ permanent: true, status: 400, cause: { error: 'invalid_grant' } })
    expect(await logout).toEqual({ reason: 'refresh_rejected' })
    expect(refreshErrors).toEqual([{ error, attempt: 1, willRetry: false }])
    // The old refresh token crossed the wire exactly once: permanent failures are not retried.
    expect(b.exchanges).toEqual([{ sent: first.refresh_token, status: 400, error: 'invalid_grant' }])
    expect(b.auth.getState()).toMatchObject({
      status: 'unauthenticated',
      accessToken: null,
      canRefresh: false,
    })
  })

  it("also ends the rotating copy's session: the provider revokes the whole grant on reuse", async () => {
    const first = await authorize(provider)
    const a = connect(provider, first)
    const b = connect(provider, first)
    await a.auth.refresh()
    await b.auth.refresh().catch(() => {})

    // Reuse detection (OAuth 2.0 Security BCP §4.14.2): the refresh token `a` holds now was revoked
    // with the grant, so its next refresh is rejected too and latchkey logs it out.
    const logout = next(a.auth, 'logout')
    await expect(a.auth.refresh()).rejects.toMatchObject({ code: 'refresh_rejected', status: 400 })
    expect(await logout).toEqual({ reason: 'refresh_rejected' })
    expect(a.exchanges.at(-1)).toEqual({
      sent: a.exchanges[0]!.received,
      status: 400,
      error: 'invalid_grant',
    })
    expect(a.auth.getState().status).toBe('unauthenticated')
  })
})
