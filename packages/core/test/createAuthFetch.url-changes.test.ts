import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { type AuthClient, createAuthClient, createAuthFetch } from '../src'

/**
 * The URL a token goes to is the URL checked: when the token goes out later than the call (after the
 * wait for a refresh, on the 401 replay), a URL object the app changed meanwhile (reused for the next,
 * third-party request) is checked again and gets no token if it now points elsewhere.
 */
const API = 'https://api.example.com'
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
})
const sec = () => Math.floor(Date.now() / 1000)

describe('createAuthFetch with a URL object that changes after the call', () => {
  it('does not send the token to the new origin after waiting for a refresh', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const auth = createAuthClient({
      syncTabs: false,
      refresh: async () => {
        await gate
        return {
          accessToken: createTestToken({ sub: 'alice', jti: Math.random(), iat: sec(), exp: sec() + 600 }),
        }
      },
    })
    clients.push(auth)
    // Expired: the first request waits for the refresh.
    auth.setTokens({
      accessToken: createTestToken({ sub: 'alice', iat: undefined, exp: sec() - 100 }),
      refreshToken: 'r',
    })
    const wire: Array<[string, string | null]> = []
    const api = createAuthFetch(auth, {
      origins: [API],
      fetch: async (input, init) => {
        wire.push([
          String(input instanceof Request ? input.url : input),
          new Headers(init?.headers).get('authorization'),
        ])
        return new Response('ok')
      },
    })
    const url = new URL(`${API}/items`)
    const pending = api(url)
    // The app reuses its URL object for the next (third-party) request.
    url.href = 'https://evil.example/collect'
    release()
    await pending
    const leaked = wire.filter(([u, auth]) => new URL(u).origin !== API && auth !== null)
    expect(leaked).toEqual([])
  })

  it('does not replay a 401 with the new token to the new origin', async () => {
    const auth = createAuthClient({
      syncTabs: false,
      refresh: async () => ({
        accessToken: createTestToken({ sub: 'alice', jti: Math.random(), iat: sec(), exp: sec() + 600 }),
      }),
    })
    clients.push(auth)
    auth.setTokens({
      accessToken: createTestToken({ sub: 'alice', jti: Math.random(), iat: sec(), exp: sec() + 600 }),
      refreshToken: 'r',
    })
    const wire: Array<[string, string | null]> = []
    const api = createAuthFetch(auth, {
      origins: [API],
      fetch: async (input, init) => {
        const u = String(input instanceof Request ? input.url : input)
        wire.push([u, new Headers(init?.headers).get('authorization')])
        return new Response('', { status: new URL(u).origin === API ? 401 : 200 })
      },
    })
    const url = new URL(`${API}/items`)
    const pending = api(url) // sent at once with the current token
    url.href = 'https://evil.example/collect'
    await pending
    const leaked = wire.filter(([u, auth]) => new URL(u).origin !== API && auth !== null)
    expect(leaked).toEqual([])
  })
})
