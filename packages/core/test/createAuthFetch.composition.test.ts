import { createTestToken } from '@latchkey/testing'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, createAuthFetch } from '../src'

const A = 'https://a.example.com'
const B = 'https://b.example.com'
const seen: Array<{ url: string; authorization: string | null }> = []
const valid = new Set<string>()
const clients: AuthClient[] = []
const server = setupServer(
  http.all('*', ({ request }) => {
    const authorization = request.headers.get('authorization')
    seen.push({ url: request.url, authorization })
    if (authorization?.startsWith('Basic ')) return HttpResponse.json({ basic: true }, { status: 401 })
    return valid.has(authorization?.replace(/^Bearer /, '') ?? '')
      ? HttpResponse.json({ ok: true })
      : HttpResponse.json({ error: 'invalid_token' }, { status: 401 })
  }),
)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  seen.length = 0
  valid.clear()
  for (const c of clients.splice(0)) c.destroy()
})
afterAll(() => server.close())

/** A client of one API: the same user as the other's, its own tokens. */
function client(name: string, revoked = false) {
  let n = 0
  const token = () => createTestToken({ sub: 'alice', api: name, n: n++ }, { expiresIn: 300 })
  const refresh = vi.fn(async () => {
    const accessToken = token()
    valid.add(accessToken)
    return { accessToken }
  })
  const auth = createAuthClient({ refresh, retry: { attempts: 1 } })
  clients.push(auth)
  const first = token()
  if (!revoked) valid.add(first)
  auth.setTokens({ accessToken: first, refreshToken: 'r' })
  return { auth, refresh, bearer: () => `Bearer ${auth.getState().accessToken}` }
}

describe('createAuthFetch', () => {
  describe('one wrapper around another (two clients, two APIs)', () => {
    it.each([
      ['a 401 from the inner API', A],
      ['a 401 from the outer API', B],
    ])('sends each API its own token and replays %s with that client alone', async (_, target) => {
      const a = client('a', target === A)
      const b = client('b', target === B)
      const inner = createAuthFetch(a.auth, { origins: [A] })
      const outer = createAuthFetch(b.auth, { origins: [B], fetch: inner })
      const res = await outer(`${target}/me`)
      expect(res.status).toBe(200)
      const [owner, other] = target === A ? [a, b] : [b, a]
      expect(owner.refresh).toHaveBeenCalledTimes(1)
      expect(other.refresh).not.toHaveBeenCalled()
      expect(seen.map((s) => s.authorization)).toEqual([expect.stringMatching(/^Bearer /), owner.bearer()])
      expect(seen.map((s) => s.authorization)).not.toContain(other.bearer())
    })

    it('lets the outer client win where both allow an origin, and the inner one never replaces its token', async () => {
      const a = client('a')
      const b = client('b', true)
      const outer = createAuthFetch(b.auth, {
        origins: [B],
        fetch: createAuthFetch(a.auth, { origins: [A, B] }),
      })
      const res = await outer(`${B}/me`, { method: 'POST', body: 'x' })
      expect(res.status).toBe(200)
      expect(a.refresh).not.toHaveBeenCalled()
      expect(seen.map((s) => s.authorization)).toEqual([expect.stringMatching(/^Bearer /), b.bearer()])
    })
  })

  describe("the app's own Authorization", () => {
    it.each([
      ['Basic', 'Basic dXNlcjpwYXNz'],
      ['another Bearer', 'Bearer somebody-elses'],
    ])('is sent as set (%s), and its 401 is returned without a refresh or replay', async (_, value) => {
      const a = client('a')
      const api = createAuthFetch(a.auth, { origins: [A] })
      for (const init of [
        { headers: { authorization: value } },
        { headers: new Headers({ Authorization: value }) },
        { headers: [['AUTHORIZATION', value]] as [string, string][] },
      ]) {
        const res = await api(`${A}/admin`, init)
        expect(res.status).toBe(401)
      }
      const res = await api(new Request(`${A}/admin`, { headers: { Authorization: value } }))
      expect(res.status).toBe(401)
      expect(seen.map((s) => s.authorization)).toEqual([value, value, value, value])
      expect(a.refresh).not.toHaveBeenCalled()
    })
  })

  describe('in place of globalThis.fetch', () => {
    it('works as the README shows: with the original passed as fetch', async () => {
      const a = client('a')
      const original = globalThis.fetch
      globalThis.fetch = createAuthFetch(a.auth, { origins: [A], fetch: globalThis.fetch.bind(globalThis) })
      try {
        expect((await fetch(`${A}/me`)).status).toBe(200)
        expect((await fetch(`${B}/me`)).status).toBe(401)
      } finally {
        globalThis.fetch = original
      }
      expect(seen.map((s) => s.authorization)).toEqual([a.bearer(), null])
    })
  })
})
