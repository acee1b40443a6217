import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, createAuthFetch, oauth2Refresh, RefreshError } from '../src'
import { T0, token } from './helpers'
import { liveToken } from './support/clients'

/**
 * Tests written in a manual mutation review of packages/core/src: each one fails with a single
 * mutation of the source that the rest of the suite let through (named in the test).
 */
const API = 'https://api.example.com'
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  vi.useRealTimers()
})

const bearerOf = (init?: RequestInit) => new Headers(init?.headers).get('authorization')

describe('mutation review: createAuthFetch', () => {
  // Mutant: tokenRenewer `same()` without the `sub` comparison.
  it('does not replay a 401 with a token of another user that the refresh returned', async () => {
    // A refresh that answers with another user's token: a cookie-held session (refreshWithoutToken)
    // that was signed in as bob in another window. Same session here (no sign-in), another `sub`.
    const alice = liveToken('alice')
    const bob = liveToken('bob')
    const auth = createAuthClient({ syncTabs: false, refresh: async () => ({ accessToken: bob }) })
    clients.push(auth)
    auth.setTokens({ accessToken: alice, refreshToken: 'r' })
    const wire: Array<string | null> = []
    const api = createAuthFetch(auth, {
      origins: [API],
      fetch: async (_input, init) => {
        wire.push(bearerOf(init))
        return new Response(null, { status: bearerOf(init) === `Bearer ${alice}` ? 401 : 200 })
      },
    })
    const res = await api(`${API}/alice/private`)
    expect(auth.getState().accessToken).toBe(bob)
    // Alice's request is never sent again as bob.
    expect(wire).toEqual([`Bearer ${alice}`])
    expect(res.status).toBe(401)
  })

  // Mutant: tokenRenewer's Retry-After wait read as ms (`wait!` instead of `wait! * 1000`).
  it("starts no refresh for a 401 while the last failure's Retry-After (in seconds) runs", async () => {
    vi.useFakeTimers({ now: T0 })
    const refresh = vi.fn(async () => {
      throw new RefreshError('Rate limited', { status: 429, retryAfter: 30 })
    })
    const auth = createAuthClient({ syncTabs: false, refresh })
    clients.push(auth)
    const held = liveToken()
    auth.setTokens({ accessToken: held, refreshToken: 'r' })
    const api = createAuthFetch(auth, {
      origins: [API],
      fetch: async () => new Response(null, { status: 401 }), // the API refuses the token (revoked)
    })
    // The first 401 refreshes, and the refresh is refused for 30 s.
    expect((await api(`${API}/a`)).status).toBe(401)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(auth.getState().error).toMatchObject({ retryAfter: 30 })
    // 401s 1 s and 10 s later are within those 30 s: returned, no call to the token endpoint.
    await vi.advanceTimersByTimeAsync(1_000)
    expect((await api(`${API}/b`)).status).toBe(401)
    await vi.advanceTimersByTimeAsync(9_000)
    expect((await api(`${API}/c`)).status).toBe(401)
    expect(refresh).toHaveBeenCalledTimes(1)
  })

  it('counts the Retry-After from the failure: a 401 long after it refreshes (retries used up, the token valid)', async () => {
    vi.useFakeTimers({ now: T0 })
    let fail = true
    const hour = { expiresIn: 3600 }
    const next = createTestToken({ sub: 'alice', jti: 'next' }, hour)
    const refresh = vi.fn(async () => {
      if (fail) throw new RefreshError('Rate limited', { status: 429, retryAfter: 30 })
      return { accessToken: next }
    })
    const auth = createAuthClient({ syncTabs: false, refresh, retry: { attempts: 1 } })
    clients.push(auth)
    auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }, hour), refreshToken: 'r' })
    const api = createAuthFetch(auth, {
      origins: [API],
      fetch: async (_input, init) =>
        new Response(null, { status: bearerOf(init) === `Bearer ${next}` ? 200 : 401 }),
    })
    // Refused at the first 401 (by the client's own schedule, no 401 has seen it yet): 10 minutes on,
    // its 30 s are long past.
    await auth.refresh().catch(() => {})
    expect(auth.getState().error).toMatchObject({ retryAfter: 30 })
    await vi.advanceTimersByTimeAsync(600_000)
    fail = false
    expect((await api(`${API}/a`)).status).toBe(200)
    expect(refresh).toHaveBeenCalledTimes(2)
  })

  // Mutant: createAuthFetch without `cancel(response)` before the replay.
  it('cancels the body of the 401 it replaces with the replay (frees the connection)', async () => {
    const auth = createAuthClient({ syncTabs: false, refresh: async () => ({ accessToken: liveToken() }) })
    clients.push(auth)
    const first = liveToken()
    auth.setTokens({ accessToken: first, refreshToken: 'r' })
    let cancelled = false
    const api = createAuthFetch(auth, {
      origins: [API],
      fetch: async (_input, init) =>
        bearerOf(init) === `Bearer ${first}`
          ? new Response(
              new ReadableStream({
                cancel() {
                  cancelled = true
                },
              }),
              { status: 401 },
            )
          : new Response('ok'),
    })
    const res = await api(`${API}/me`)
    expect(res.status).toBe(200)
    await vi.waitFor(() => expect(cancelled).toBe(true))
  })

  // Mutant: isOneShot without the `Symbol.asyncIterator` check.
  it('returns the 401 of an async-iterable body (which the first send consumed) instead of replaying it', async () => {
    const auth = createAuthClient({ syncTabs: false, refresh: async () => ({ accessToken: liveToken() }) })
    clients.push(auth)
    auth.setTokens({ accessToken: liveToken(), refreshToken: 'r' })
    const bodies: string[] = []
    const api = createAuthFetch(auth, {
      origins: [API],
      fetch: async (_input, init) => {
        let text = ''
        for await (const chunk of init!.body as unknown as AsyncIterable<string>) text += chunk
        bodies.push(text)
        return new Response(null, { status: 401 })
      },
    })
    async function* upload() {
      yield 'part-1;'
      yield 'part-2'
    }
    const res = await api(`${API}/upload`, {
      method: 'POST',
      body: upload() as unknown as BodyInit,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(401)
    // Replayed, the request would go out again with an empty body.
    expect(bodies).toEqual(['part-1;part-2'])
  })

  // Mutant: createOriginMatcher keeping its cached verdicts when the page's origin changes.
  it('by default follows the page origin read at call time, not a verdict cached for an earlier one', async () => {
    const g = globalThis as { location?: unknown }
    const had = Object.getOwnPropertyDescriptor(g, 'location')
    const auth = createAuthClient({ syncTabs: false })
    clients.push(auth)
    auth.setTokens({ accessToken: liveToken(), refreshToken: 'r' })
    const wire: Array<string | null> = []
    const api = createAuthFetch(auth, {
      fetch: async (_input, init) => {
        wire.push(bearerOf(init))
        return new Response('ok')
      },
    })
    try {
      g.location = { origin: 'https://a.example', href: 'https://a.example/' }
      await api('https://a.example/x')
      // The page is now b.example (a test environment's setURL, an SSR shim's location per request).
      g.location = { origin: 'https://b.example', href: 'https://b.example/' }
      await api('https://a.example/x')
    } finally {
      if (had) Object.defineProperty(g, 'location', had)
      else delete g.location
    }
    expect(wire[0]).toMatch(/^Bearer /)
    expect(wire[1]).toBeNull()
  })
})

describe('mutation review: sessions and clocks', () => {
  // Mutant: createSession without the observed lifetime of a refresh result that has no `iat`.
  it('a refresh result without iat that lives less than the leeway is not refreshed again at once', async () => {
    vi.useFakeTimers({ now: T0 })
    const sec = () => Math.floor(Date.now() / 1000)
    const refresh = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10))
      // 30 s left, no iat: shorter than the 60 s leeway.
      return { accessToken: createTestToken({ sub: 'alice', iat: undefined, exp: sec() + 30 }) }
    })
    const auth = createAuthClient({ syncTabs: false, refresh })
    clients.push(auth)
    auth.setTokens({ accessToken: token(300), refreshToken: 'r' }) // due at 240 s
    await vi.advanceTimersByTimeAsync(240_000)
    await vi.advanceTimersByTimeAsync(1_000)
    // Its lifetime (30 s) caps the leeway at 15 s: the next refresh is due 15 s on, not at once, again and again.
    expect(refresh).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(15_000)
    expect(refresh).toHaveBeenCalledTimes(2)
  })

  // Mutant: wallClock looking only when the clock reads earlier than its first reading.
  it('notices a wall clock set back by less than the time it has run (1 h back after 1.5 h)', async () => {
    vi.useFakeTimers({ now: T0 })
    const HOUR = 3_600_000
    const auth = createAuthClient({ syncTabs: false }) // nothing renews it
    clients.push(auth)
    auth.setTokens({ accessToken: token(7_200) }) // 2 h
    await vi.advanceTimersByTimeAsync(1.5 * HOUR)
    expect(auth.peekAccessToken()).not.toBeNull()
    vi.setSystemTime(Date.now() - HOUR) // still later than when the client started
    // 30 min left really: the expiry moves back with the clock, and the session ends on time.
    expect(auth.peekAccessToken()).not.toBeNull()
    await vi.advanceTimersByTimeAsync(0)
    expect(auth.getState().expiresAt).toBe(T0 + 2 * HOUR - HOUR)
    await vi.advanceTimersByTimeAsync(0.5 * HOUR)
    expect(auth.getState().status).toBe('unauthenticated')
  })

  // Mutant: jwt.ts OPAQUE allowing spaces (`\x20`).
  it.each(['abc def', ' abc', 'abc '])(
    'rejects an opaque token with a space (%j): Headers would trim or split it',
    (accessToken) => {
      const auth = createAuthClient({ syncTabs: false })
      clients.push(auth)
      expect(() => auth.setTokens({ accessToken, expiresIn: 60 })).toThrow(
        expect.objectContaining({ code: 'invalid_token' }),
      )
      expect(auth.getState().accessToken).toBeNull()
    },
  )
})

describe('mutation review: oauth2Refresh', () => {
  // Mutant: oauth2Refresh without `code === 'invalid_grant'` in `permanent`.
  it.each([
    ['rt-8f3a1c'],
    // A refresh token that is part of the code: redacted in the message, still read as sent.
    ['r'],
  ])(
    'an invalid_grant is permanent whatever the status (here a 500 from a gateway), refresh token %j',
    async (refreshToken) => {
      const refresh = oauth2Refresh({
        tokenEndpoint: 'https://id.example.com/token',
        clientId: 'spa',
        fetch: async () => Response.json({ error: 'invalid_grant' }, { status: 500 }),
      })
      const error = await refresh({
        refreshToken,
        accessToken: null,
        signal: new AbortController().signal,
      }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'refresh_rejected', permanent: true, status: 500 })
    },
  )
})

describe('mutation review: refresh failures', () => {
  // Mutant: toRefreshError taking only `instanceof RefreshError` as it is.
  it('takes a RefreshError from another copy of latchkey as it is: permanent, without a status, signs out', async () => {
    // Another copy's RefreshError (two versions in node_modules): not this copy's class.
    const foreign = Object.assign(new Error('Refresh token revoked'), {
      name: 'RefreshError',
      code: 'refresh_rejected',
      permanent: true,
      status: undefined,
    })
    const auth = createAuthClient({
      syncTabs: false,
      refresh: async () => {
        throw foreign
      },
    })
    clients.push(auth)
    const logouts: string[] = []
    auth.on('logout', (e) => logouts.push(e.reason))
    auth.setTokens({ accessToken: liveToken(), refreshToken: 'r' })
    await expect(auth.refresh()).rejects.toBe(foreign)
    expect(logouts).toEqual(['refresh_rejected'])
    expect(auth.getState().status).toBe('unauthenticated')
  })
})

describe("mutation review: waits capped at a timer's limit", () => {
  // Mutant: engine.ts's `longestWait` without Math.min(…, MAX_TIMEOUT): setTimeout(…, Infinity) fires at once.
  it('with refreshTimeout: Infinity, logout() waits for options.logout instead of timing it out at once', async () => {
    const errors: string[] = []
    let aborted = false
    const auth = createAuthClient({
      syncTabs: false,
      refreshTimeout: Number.POSITIVE_INFINITY,
      logout: async ({ signal }) => {
        signal?.addEventListener('abort', () => {
          aborted = true
        })
        await new Promise((resolve) => setTimeout(resolve, 50))
      },
    })
    clients.push(auth)
    auth.on('error', (e) => errors.push(`${e.code}: ${e.message}`))
    auth.setTokens({ accessToken: liveToken(), refreshToken: 'r' })
    await auth.logout()
    expect(errors).toEqual([])
    expect(aborted).toBe(false)
    expect(auth.getState().error).toBeNull()
  })
})

describe('mutation review: setTokens', () => {
  // Mutant: take() treating the same access token with a new refresh token as "the same tokens again".
  it('keeps a new refresh token given with the access token held already', async () => {
    const seen: Array<string | null> = []
    const auth = createAuthClient({
      syncTabs: false,
      refresh: async ({ refreshToken }) => {
        seen.push(refreshToken)
        return { accessToken: liveToken() }
      },
    })
    clients.push(auth)
    const at = liveToken()
    auth.setTokens({ accessToken: at, refreshToken: 'rt-1' })
    // The app rotated the refresh token elsewhere (its own call) and hands both over.
    auth.setTokens({ accessToken: at, refreshToken: 'rt-2' })
    await auth.refresh()
    expect(seen).toEqual(['rt-2'])
  })
})

describe('mutation review: a refresh that sends the held JWT back', () => {
  // Mutant: exchange() keeping the held token's lifetime instead of `life: 0`.
  it('asks again at expiry, not at every turn of the leeway until then', async () => {
    vi.useFakeTimers({ now: T0 })
    const held = token(300) // due at 240 s (leeway 60 s)
    const refresh = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10))
      return { accessToken: held } // a cache in front of the token endpoint
    })
    const auth = createAuthClient({ syncTabs: false, refresh })
    clients.push(auth)
    auth.setTokens({ accessToken: held, refreshToken: 'r' })
    await vi.advanceTimersByTimeAsync(100_000)
    const forced = auth.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(150_000)
    await forced // 250 s: past the due time, before exp
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(auth.getState().status).toBe('authenticated')
  })
})
