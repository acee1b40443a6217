// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://app.example.com/dashboard/"}
/**
 * attachAuth on axios 1.7.9 (inside the peer range), whose join of a relative baseURL and a url
 * strips at most two trailing slashes from the baseURL (axios 1.21 strips them all): baseURL `///`
 * with url `evil.com/steal` goes to `//evil.com/steal`, which browsers send to https://evil.com.
 * A predicate in `origins` saw the URL joined as axios 1.21 joins it, `/evil.com/steal`, on the page.
 */
import { type AuthClient, createAuthClient, type OriginRule } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import type { InternalAxiosRequestConfig } from 'axios'
import { afterEach, expect, it, vi } from 'vitest'

vi.mock('axios', () => import('axios17'))

const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
})

async function send(baseURL: string, url: string, origins?: OriginRule) {
  const { default: axios } = await import('axios')
  expect(axios.VERSION).toBe('1.7.9')
  const { attachAuth } = await import('../src')
  const auth = createAuthClient({ syncTabs: false })
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'r' })
  const api = axios.create({ baseURL })
  attachAuth(api, auth, origins ? { origins } : {})
  let seen: { authorization: unknown; origin: string } | undefined
  const adapter = async (c: InternalAxiosRequestConfig) => {
    // Where the browser sends it: axios's full URL resolved against the document.
    seen = {
      authorization: c.headers.get('Authorization') ?? null,
      origin: new URL(api.getUri(c), document.baseURI).origin,
    }
    return { data: null, status: 200, statusText: 'OK', headers: {}, config: c }
  }
  await api.request({ url, adapter })
  return seen!
}

for (const baseURL of ['///', '////'])
  for (const origins of [
    undefined,
    ['https://app.example.com'],
    (u: URL) => u.origin === 'https://app.example.com',
  ])
    it(`no token when baseURL ${JSON.stringify(baseURL)} + url "evil.com/steal" leaves the page (origins: ${origins ?? 'default'})`, async () => {
      const seen = await send(baseURL, 'evil.com/steal', origins)
      expect(seen.origin).toBe('https://evil.com')
      expect(seen.authorization).toBeNull()
    })
