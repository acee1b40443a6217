import { createTestToken } from '@latchkey/testing'
import { createAuthClient } from '../../src'

const sec = () => Math.floor(Date.now() / 1000)

/** A live token (of alice by default), new on every call. */
export const liveToken = (sub = 'alice') =>
  createTestToken({ sub, jti: Math.random(), iat: sec(), exp: sec() + 600 })

/** A token of alice that expired 100 s ago, without `iat`. */
export const expiredToken = () => createTestToken({ sub: 'alice', iat: undefined, exp: sec() - 100 })

/**
 * A client holding an expired session whose refresh waits until `release()`: a request made now
 * waits for the refresh, so the token goes out later than the call.
 */
export function waitingClient() {
  let release!: () => void
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const auth = createAuthClient({
    syncTabs: false,
    refresh: async () => {
      await gate
      return { accessToken: liveToken() }
    },
  })
  auth.setTokens({ accessToken: expiredToken(), refreshToken: 'r' })
  return { auth, release }
}
