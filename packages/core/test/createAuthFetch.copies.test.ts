import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, createAuthFetch } from '../src'

/**
 * What createAuthFetch copies: nothing when no replay can happen; for a replay, the bytes a buffer
 * view shows, not the whole buffer behind it.
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
    // No replay can happen: a copy would be pure cost on every request.
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

describe('createAuthFetch copies of headers and init', () => {
  const sent = async (init: RequestInit) => {
    const auth = client()
    auth.setTokens({ accessToken: live() })
    const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => new Response('ok'))
    await createAuthFetch(auth, { fetch, origins: [API] })(`${API}/me`, init)
    return { init: fetch.mock.calls[0]![1]!, token: auth.getState().accessToken }
  }

  it('copies a plain object key by key, as a spread does, and adds the token', async () => {
    const headers = { accept: 'application/json', 'x-trace': '1' }
    const init = { method: 'PUT', body: 'x', headers, credentials: 'include' as const }
    const { init: out, token } = await sent(init)
    expect(out).not.toBe(init)
    expect(out.headers).not.toBe(headers)
    expect(out).toEqual({ ...init, headers: { ...headers, Authorization: `Bearer ${token}` } })
    // In the order given, the token last; the caller's objects untouched.
    expect(Object.keys(out.headers!)).toEqual(['accept', 'x-trace', 'Authorization'])
    expect(headers).toEqual({ accept: 'application/json', 'x-trace': '1' })
  })

  it('keeps a header named __proto__ a header, not the copy’s prototype', async () => {
    const headers = JSON.parse('{"__proto__": "a", "accept": "b"}') as Record<string, string>
    const { init: out } = await sent({ headers })
    expect(Object.getPrototypeOf(out.headers)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(out.headers, '__proto__')?.value).toBe('a')
  })

  it('reads what fetch reads: own headers (an inherited Authorization is not the caller’s)', async () => {
    const headers = Object.assign(Object.create({ Authorization: 'Basic inherited' }), { accept: 'b' })
    const { init: out, token } = await sent({ headers })
    expect(out.headers).toEqual({ accept: 'b', Authorization: `Bearer ${token}` })
    expect(Object.getPrototypeOf(out.headers)).toBe(Object.prototype)
    // fetch itself would not send the inherited one either.
    expect(new Headers(headers).get('authorization')).toBeNull()
  })

  it('reads what fetch reads: an init’s members, also those it inherits (defaults in a prototype)', async () => {
    const defaults = { method: 'DELETE', credentials: 'include' as const, headers: { accept: 'b' } }
    const init = Object.assign(Object.create(defaults), { cache: 'no-store' }) as RequestInit
    const { init: out, token } = await sent(init)
    expect(out).toEqual({
      cache: 'no-store',
      method: 'DELETE',
      credentials: 'include',
      headers: { accept: 'b', Authorization: `Bearer ${token}` },
    })
    // As fetch reads the init itself: the same request, with the token added.
    const [asSent, asGiven] = [out, init].map((i) => new Request(`${API}/me`, i))
    expect([asSent!.method, asSent!.credentials, asSent!.cache]).toEqual([
      asGiven!.method,
      asGiven!.credentials,
      asGiven!.cache,
    ])
    expect(asGiven!.method).toBe('DELETE')
  })

  it('reads what fetch reads: members a class defines as getters, which for…in does not list', async () => {
    class Init {
      cache = 'no-store' as const
      get method() {
        return 'PATCH'
      }
      get body() {
        return 'payload'
      }
      get headers() {
        return { accept: 'b' }
      }
    }
    const init = new Init() as RequestInit
    const { init: out, token } = await sent(init)
    expect(out).toEqual({
      cache: 'no-store',
      method: 'PATCH',
      body: 'payload',
      headers: { accept: 'b', Authorization: `Bearer ${token}` },
    })
    const [asSent, asGiven] = [out, init].map((i) => new Request(`${API}/me`, i))
    expect(asSent!.method).toBe(asGiven!.method)
    expect(await asSent!.text()).toBe(await asGiven!.text())
  })

  it('sends a class-made init as fetch does, though a getter fetch never reads throws', async () => {
    class Init {
      get method() {
        return 'PUT'
      }
      // An app's own member (not one of fetch's), which throws until something is set.
      get receipt(): string {
        throw new Error('not sent yet')
      }
    }
    const init = new Init() as RequestInit
    // fetch reads its own members only: it takes this init.
    expect(new Request(`${API}/me`, init).method).toBe('PUT')
    const { init: out, token } = await sent(init)
    expect(out).toEqual({ method: 'PUT', headers: { Authorization: `Bearer ${token}` } })
  })

  it('keeps a class-made init’s members when its headers are pairs read only once', async () => {
    class Init {
      get method() {
        return 'POST'
      }
      get headers() {
        return new Map([['accept', 'b']]).entries() as unknown as HeadersInit
      }
    }
    const { init: out, token } = await sent(new Init() as RequestInit)
    expect(out.method).toBe('POST')
    expect(out.headers).toEqual([
      ['accept', 'b'],
      ['Authorization', `Bearer ${token}`],
    ])
  })

  it('reads a Request given as the init as fetch does: its method, headers and mode', async () => {
    const given = new Request(`${API}/elsewhere`, { method: 'PUT', headers: { accept: 'b' }, mode: 'cors' })
    const { init: out, token } = await sent(given)
    expect(out.method).toBe('PUT')
    expect(out.mode).toBe('cors')
    expect(new Headers(out.headers).get('accept')).toBe('b')
    expect(new Headers(out.headers).get('authorization')).toBe(`Bearer ${token}`)
  })

  it('leaves an Authorization the caller set, in any spelling', async () => {
    for (const name of ['authorization', 'AUTHORIZATION', 'Authorization']) {
      const { init: out } = await sent({ headers: { [name]: 'Basic mine', accept: 'b' } })
      expect(out.headers).toEqual({ [name]: 'Basic mine', accept: 'b' })
    }
  })
})
