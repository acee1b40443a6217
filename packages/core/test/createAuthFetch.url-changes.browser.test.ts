// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://app.example.com/"}

import { afterEach, describe, expect, it } from 'vitest'
import { type AuthClient, createAuthFetch } from '../src'
import { waitingClient } from './support/clients'

/**
 * A relative URL is resolved against the document's base URL when it is sent. When the token goes out
 * later than the call (after the wait for a refresh, on the 401 replay), the URL is checked again, so a
 * `<base>` element that appeared meanwhile cannot send the token elsewhere.
 */
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  for (const b of document.querySelectorAll('base')) b.remove()
})

describe('createAuthFetch with a relative URL and a <base> that changes before the send', () => {
  it('sanity: happy-dom resolves against an inserted <base>', () => {
    const b = document.createElement('base')
    b.href = 'https://evil.example/'
    document.head.append(b)
    expect(document.baseURI).toBe('https://evil.example/')
  })

  it('does not send the token where the relative URL resolves after a refresh wait', async () => {
    const { auth, release } = waitingClient()
    clients.push(auth)
    const wire: Array<[string, string | null]> = []
    // As fetch does: a relative URL is resolved against the document's base URL when it is sent.
    const api = createAuthFetch(auth, {
      fetch: async (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input), document.baseURI).href
        wire.push([url, new Headers(init?.headers).get('authorization')])
        return new Response('ok')
      },
    })
    const pending = api('/api/me') // default origins: the page's own
    const b = document.createElement('base')
    b.href = 'https://evil.example/'
    document.head.append(b)
    release()
    await pending
    expect(wire.length).toBe(1)
    expect(wire.filter(([u, h]) => new URL(u).origin !== 'https://app.example.com' && h !== null)).toEqual([])
  })
})
