import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, createAuthFetch } from '../src'

/**
 * What createAuthFetch copies: nothing when no replay can happen; for a replay, the bytes a buffer
 * view shows, not the whole buffer behind it. And a login() that returns the tokens held.
 */

const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  vi.restoreAllMocks()
})

const API = 'https://api.example.com'
const sec = () => Math.floor(Date.now() / 1000)
const live = (sub = 'alice') => createTestToken({ sub, jti: Math.random(), iat: sec(), exp: sec() + 600 })

function client(options: Parameters<typeof createAuthClient>[0] = {}) {
  const auth = createAuthClient({ syncTabs: false, ...options })
  clients.push(auth)
  return auth
}

describe('createAuthFetch per-request cost', () => {
  it.each<[string, () => BodyInit]>([
    ['an ArrayBuffer', () => new ArrayBuffer(64 * 1024)],
    ['a Uint8Array', () => new Uint8Array(64 * 1024)],
    [
      'a FormData',
      () => {
        const form = new FormData()
        form.set('file', new Blob(['x'.repeat(1024)]), 'a.bin')
        return form
      },
    ],
  ])('sends %s body as given when retryOn401 is false (no replay, nothing to copy for)', async (_, make) => {
    const auth = client()
    auth.setTokens({ accessToken: live() })
    const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => new Response('ok'))
    const api = createAuthFetch(auth, { fetch, origins: [API], retryOn401: false })
    const body = make()
    await api(`${API}/upload`, { method: 'POST', body })
    expect(fetch.mock.calls[0]![1]!.headers).toMatchObject({
      Authorization: expect.stringMatching(/^Bearer /),
    })
    // Before this change the body went out by reference: a copy here is pure cost on every request.
    expect(fetch.mock.calls[0]![1]!.body).toBe(body)
  })

  it('keeps for the replay the bytes a small view shows, not the whole buffer behind it', async () => {
    const auth = client({ refresh: async () => ({ accessToken: live() }) })
    auth.setTokens({ accessToken: live(), refreshToken: 'r' })
    const first = auth.getState().accessToken
    const bodies: Uint8Array[] = []
    const fetch = vi.fn(async (_input: RequestInfo | URL, init?: RequestInit) => {
      bodies.push(init!.body as Uint8Array)
      return new Response('', {
        status: new Headers(init?.headers).get('authorization')?.endsWith(first!) ? 401 : 200,
      })
    })
    const api = createAuthFetch(auth, { fetch, origins: [API] })
    // A 16-byte frame cut out of a 32 MB buffer (a Buffer slice, a chunk of a file read).
    const big = new Uint8Array(32 << 20).fill(7)
    const body = big.subarray(0, 16)
    expect((await api(`${API}/frames`, { method: 'POST', body })).status).toBe(200)
    expect(bodies[0]).toBe(body)
    // The replay's copy: the same 16 bytes, in a buffer of 16 bytes (not another 32 MB).
    expect([...bodies[1]!]).toEqual([...body])
    expect(bodies[1]!.buffer.byteLength).toBe(16)
  })
})

describe('login() with the tokens already held', () => {
  it('clears state.error (API.md: "cleared by the next successful login or refresh")', async () => {
    const held = live()
    const login = vi
      .fn()
      .mockRejectedValueOnce(new Error('wrong password'))
      .mockResolvedValueOnce({ accessToken: held, refreshToken: 'r' })
    const auth = client({ login })
    auth.setTokens({ accessToken: held, refreshToken: 'r' })
    // A re-authentication (step-up, "confirm your password") fails once, then succeeds; the server keeps
    // the session it has, so it answers with the same tokens.
    await expect(auth.login({ password: 'x' })).rejects.toMatchObject({ code: 'login_failed' })
    expect(auth.getState().error?.code).toBe('login_failed')
    const logins: unknown[] = []
    auth.on('login', (s) => logins.push(s))
    const state = await auth.login({ password: 'y' })
    expect(logins).toHaveLength(1)
    expect(state.error).toBeNull()
    expect(auth.getState().error).toBeNull()
  })
})
