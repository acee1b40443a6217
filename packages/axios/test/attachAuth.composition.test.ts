import { createAuthClient, createAuthFetch } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import axios, { type AxiosError, AxiosHeaders } from 'axios'
import { describe, expect, it, vi } from 'vitest'
import { attachAuth } from '../src'
import { useTokenApi } from './support/tokenApi'

const A = 'https://a.example.com'
const B = 'https://b.example.com'
const { seen, valid, clients } = useTokenApi()

/** A client for one API: the same user as the other's (one identity provider), its own tokens. */
function client(api: string, name: string, revoked = false) {
  let n = 0
  const token = () => createTestToken({ sub: 'alice', aud: api, api: name, n: n++ }, { expiresIn: 300 })
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
  return { auth, refresh }
}

describe('attachAuth', () => {
  describe('two clients on one axios instance', () => {
    it.each([
      ['A attached first', false],
      ['B attached first', true],
    ])(
      "replays a 401 from B's API with B's new token, whichever was attached first (%s)",
      async (_, bFirst) => {
        const a = client(A, 'a')
        const b = client(B, 'b', true)
        const api = axios.create()
        if (bFirst) attachAuth(api, b.auth, { origins: [B] })
        attachAuth(api, a.auth, { origins: [A] })
        if (!bFirst) attachAuth(api, b.auth, { origins: [B] })

        const res = await api.get(`${B}/me`)
        expect(res.status).toBe(200)
        expect(a.refresh).not.toHaveBeenCalled()
        expect(b.refresh).toHaveBeenCalledTimes(1)
        expect(seen.map((s) => s.authorization)).toEqual([
          expect.stringContaining('Bearer '),
          `Bearer ${b.auth.getState().accessToken}`,
        ])
        expect(seen.every((s) => s.authorization !== `Bearer ${a.auth.getState().accessToken}`)).toBe(true)
      },
    )

    it("never replays B's request with A's token, though A's origins would allow B's", async () => {
      const a = client(A, 'a')
      const b = client(B, 'b', true)
      const api = axios.create()
      // A's rule is wide (any subdomain); B's names its API. B, attached last, runs first on requests.
      attachAuth(api, a.auth, { origins: (url) => url.hostname.endsWith('.example.com') })
      attachAuth(api, b.auth, { origins: [B] })
      const res = await api.get(`${B}/me`)
      expect(res.status).toBe(200)
      expect(a.refresh).not.toHaveBeenCalled()
      expect(seen.map((s) => s.authorization)).not.toContain(`Bearer ${a.auth.getState().accessToken}`)
    })

    it('picks the client by the baseURL each request goes to', async () => {
      const a = client(A, 'a')
      const b = client(B, 'b', true)
      const api = axios.create({ baseURL: A })
      attachAuth(api, a.auth, { origins: [A] })
      attachAuth(api, b.auth, { origins: [B] })
      await api.get('/one')
      await api.get('/two', { baseURL: B })
      await api.get(`${B}/three`)
      await expect(api.get('/four', { baseURL: 'https://c.example.com' })).rejects.toThrow()
      expect(b.refresh).toHaveBeenCalledTimes(1)
      expect(
        seen.map((s) => [s.url.replace(/^https:\/\/(\w)\.example\.com/, '$1'), s.authorization]),
      ).toEqual([
        ['a/one', `Bearer ${a.auth.getState().accessToken}`],
        ['b/two', expect.stringMatching(/^Bearer /)],
        ['b/two', `Bearer ${b.auth.getState().accessToken}`],
        ['b/three', `Bearer ${b.auth.getState().accessToken}`],
        ['c/four', null],
      ])
    })

    it('replays once when the same client is attached twice', async () => {
      const b = client(B, 'b', true)
      const api = axios.create()
      attachAuth(api, b.auth, { origins: [B] })
      attachAuth(api, b.auth, { origins: [B] })
      const res = await api.get(`${B}/me`)
      expect(res.status).toBe(200)
      expect(b.refresh).toHaveBeenCalledTimes(1)
      expect(seen).toHaveLength(2)
    })

    it("keeps each API's token after detach() of the other, in either order", async () => {
      const a = client(A, 'a')
      const b = client(B, 'b')
      const api = axios.create()
      const detachA = attachAuth(api, a.auth, { origins: [A] })
      const detachB = attachAuth(api, b.auth, { origins: [B] })
      detachA()
      await api.get(`${B}/me`)
      await expect(api.get(`${A}/me`)).rejects.toThrow()
      detachB()
      const again = attachAuth(api, a.auth, { origins: [A] })
      await api.get(`${A}/me`)
      again()
      expect(seen.map((s) => [s.url, s.authorization])).toEqual([
        [`${B}/me`, `Bearer ${b.auth.getState().accessToken}`],
        [`${A}/me`, null],
        [`${A}/me`, `Bearer ${a.auth.getState().accessToken}`],
      ])
    })
  })

  describe('attachAuth and createAuthFetch on one client', () => {
    it('answer 401s to the same token with one refresh between them', async () => {
      const a = client(A, 'a', true)
      const api = axios.create({ baseURL: A })
      attachAuth(api, a.auth, { origins: [A] })
      const fetchA = createAuthFetch(a.auth, { origins: [A] })
      const [viaAxios, viaFetch] = await Promise.all([api.get('/one'), fetchA(`${A}/two`)])
      expect([viaAxios.status, viaFetch.status]).toEqual([200, 200])
      expect(a.refresh).toHaveBeenCalledTimes(1)
    })
  })

  describe("the app's own Authorization", () => {
    it.each([
      ['Basic', 'Basic dXNlcjpwYXNz'],
      ['another Bearer', 'Bearer service-token'],
    ])(
      'set by an interceptor that runs after attachAuth (%s): its 401 costs no refresh and no replay',
      async (_, value) => {
        const a = client(A, 'a')
        const api = axios.create({ baseURL: A })
        // Added first, so it runs after attachAuth's: one endpoint takes other credentials.
        api.interceptors.request.use((config) => {
          if (config.url === '/admin') config.headers.set('Authorization', value)
          return config
        })
        attachAuth(api, a.auth, { origins: [A] })
        const error = await api.get('/admin').catch((e: AxiosError) => e)
        expect((error as AxiosError).response?.status).toBe(401)
        expect(seen.map((s) => s.authorization)).toEqual([value])
        expect(a.refresh).not.toHaveBeenCalled()
        // The other endpoints still get the token.
        expect((await api.get('/me')).status).toBe(200)
      },
    )

    it('credentials in the URL (sent as Basic): no token, and their 401 costs no refresh', async () => {
      const a = client(A, 'a')
      const api = axios.create()
      attachAuth(api, a.auth, { origins: [A] })
      const error = await api.get('https://user:pass@a.example.com/admin').catch((e: AxiosError) => e)
      expect((error as AxiosError).response?.status).toBe(401)
      expect(seen.map((s) => s.authorization)).toEqual([`Basic ${btoa('user:pass')}`])
      expect(a.refresh).not.toHaveBeenCalled()
    })

    // axios's browser adapters (xhr, and fetch: the one run here) turn `auth` into the header in their own
    // copy of the config, so the token stays in the config the 401 comes back with.
    it.each(['fetch', 'http'] as const)(
      '`auth` set by an interceptor that runs after attachAuth (%s adapter): its 401 costs no refresh and no replay',
      async (adapter) => {
        const a = client(A, 'a')
        const api = axios.create({ baseURL: A, adapter })
        api.interceptors.request.use((config) => {
          if (config.url === '/admin') config.auth = { username: 'user', password: 'pass' }
          return config
        })
        attachAuth(api, a.auth, { origins: [A] })
        const error = await api.get('/admin').catch((e: AxiosError) => e)
        expect((error as AxiosError).response?.status).toBe(401)
        expect(seen.map((s) => s.authorization)).toEqual([`Basic ${btoa('user:pass')}`])
        expect(a.refresh).not.toHaveBeenCalled()
        expect((await api.get('/me')).status).toBe(200)
      },
    )
  })

  describe('outside a browser, without origins', () => {
    it('names attachAuth in a warning of its own, after createAuthFetch warned', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      const a = client(A, 'a')
      await a.auth.fetch(`${A}/me`)
      const api = axios.create({ baseURL: A })
      attachAuth(api, a.auth)
      await expect(api.get('/me')).rejects.toThrow()
      await api.get('/me').catch(() => {})
      expect(seen.map((s) => s.authorization)).toEqual([null, null, null])
      expect(warn.mock.calls.map((c) => String(c[0]).match(/createAuthFetch|attachAuth/)?.[0])).toEqual([
        'createAuthFetch',
        'attachAuth',
      ])
      warn.mockRestore()
    })
  })

  describe('an interceptor that runs after attachAuth and renames the headers', () => {
    it('replays the 401 of a request that carried the token under a lower-case name', async () => {
      const b = client(B, 'b', true)
      const api = axios.create({ baseURL: B })
      // Added first, so it runs after attachAuth's: it writes every header name in lower case (as a
      // request signer that canonicalizes them does), the token included, unchanged.
      api.interceptors.request.use((config) => {
        const lower = Object.fromEntries(
          Object.entries(config.headers.toJSON()).map(([name, value]) => [name.toLowerCase(), value]),
        )
        config.headers = new AxiosHeaders(lower as never)
        return config
      })
      attachAuth(api, b.auth, { origins: [B] })
      const res = await api.get('/me')
      expect(res.status).toBe(200)
      expect(b.refresh).toHaveBeenCalledTimes(1)
      expect(seen.map((s) => s.authorization)).toEqual([
        expect.stringMatching(/^Bearer /),
        `Bearer ${b.auth.getState().accessToken}`,
      ])
    })
  })
})
