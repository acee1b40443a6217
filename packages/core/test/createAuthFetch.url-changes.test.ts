import { afterEach, describe, expect, it } from 'vitest'
import { type AuthClient, createAuthClient, createAuthFetch } from '../src'
import { liveToken, waitingClient } from './support/clients'

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

describe('createAuthFetch with a URL object that changes after the call', () => {
  it('does not send the token to the new origin after waiting for a refresh', async () => {
    const { auth, release } = waitingClient()
    clients.push(auth)
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
        accessToken: liveToken(),
      }),
    })
    clients.push(auth)
    auth.setTokens({
      accessToken: liveToken(),
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
