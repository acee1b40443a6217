import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, createAuthFetch } from '../src'
import { API, heldApi } from './support/api'

/**
 * API.md (401 replay): a 401 to a request sent with an older token than the client now holds is replayed
 * at once with the current token; a 401 to the token held is answered by a refresh and a replay. A
 * setTokens() that keeps the user (the same `sub`) changes neither: only another user's token, or none,
 * stops the replay.
 */
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
})

describe('setTokens() for the same user (a JWT with the same sub) is no new session for the 401 rules', () => {
  it('replays a late 401 at once with the token setTokens() put in, at no refresh', async () => {
    const refresh = vi.fn(async () => ({ accessToken: createTestToken({ sub: 'alice', n: 3 }) }))
    const auth = createAuthClient({ syncTabs: false, refresh })
    clients.push(auth)
    const t1 = createTestToken({ sub: 'alice' })
    const t2 = createTestToken({ sub: 'alice', n: 2 })
    auth.setTokens({ accessToken: t1, refreshToken: 'rt' })
    const api = heldApi(() => t1)
    const pending = createAuthFetch(auth, { origins: [API], fetch: api.send })(`${API}/me`)
    await vi.waitFor(() => expect(api.sent).toHaveLength(1))
    // The app renewed the session itself (its own refresh flow) and hands the result over.
    auth.setTokens({ accessToken: t2, refreshToken: 'rt' })
    api.release()
    expect((await pending).status).toBe(200)
    expect({ sent: api.sent, refreshes: refresh.mock.calls.length }).toEqual({
      sent: [`Bearer ${t1}`, `Bearer ${t2}`],
      refreshes: 0,
    })
  })

  it('refreshes and replays a 401 to the token held after setTokens() set the same tokens again', async () => {
    const t1 = createTestToken({ sub: 'alice' })
    const t2 = createTestToken({ sub: 'alice', n: 2 })
    const refresh = vi.fn(async () => ({ accessToken: t2 }))
    const auth = createAuthClient({ syncTabs: false, refresh })
    clients.push(auth)
    auth.setTokens({ accessToken: t1, refreshToken: 'rt' })
    const api = heldApi(() => t1)
    const pending = createAuthFetch(auth, { origins: [API], fetch: api.send })(`${API}/me`)
    await vi.waitFor(() => expect(api.sent).toHaveLength(1))
    // Set again as they are (an app that re-applies the tokens it keeps, on mount, say).
    auth.setTokens({ accessToken: t1, refreshToken: 'rt' })
    api.release()
    expect((await pending).status).toBe(200)
    expect({ sent: api.sent, refreshes: refresh.mock.calls.length }).toEqual({
      sent: [`Bearer ${t1}`, `Bearer ${t2}`],
      refreshes: 1,
    })
  })

  it('still returns a late 401 when setTokens() signs in another user', async () => {
    const refresh = vi.fn(async () => ({ accessToken: createTestToken({ sub: 'bob', n: 3 }) }))
    const auth = createAuthClient({ syncTabs: false, refresh })
    clients.push(auth)
    const t1 = createTestToken({ sub: 'alice' })
    auth.setTokens({ accessToken: t1, refreshToken: 'rt' })
    const api = heldApi(() => t1)
    const pending = createAuthFetch(auth, { origins: [API], fetch: api.send })(`${API}/me`)
    await vi.waitFor(() => expect(api.sent).toHaveLength(1))
    auth.setTokens({ accessToken: createTestToken({ sub: 'bob' }), refreshToken: 'rt-bob' })
    api.release()
    expect((await pending).status).toBe(401)
    expect(api.sent).toEqual([`Bearer ${t1}`])
  })
})
