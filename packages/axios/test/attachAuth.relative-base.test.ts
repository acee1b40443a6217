// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://app.example.com/dashboard/"}
import { type AuthClient, createAuthClient, type OriginRule } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import axios, { type InternalAxiosRequestConfig } from 'axios'
import { afterEach, expect, it } from 'vitest'
import { attachAuth } from '../src'

/**
 * A relative baseURL is joined with the url before the origin check: axios sends baseURL `/` with
 * url `\evil.com` to `/\evil.com`, which browsers resolve to https://evil.com.
 */
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
})

async function send(baseURL: string, url: string, origins?: OriginRule) {
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

it('the page origin still gets the token through a relative baseURL', async () => {
  for (const baseURL of ['/', '/api', '/api/'])
    expect(await send(baseURL, '/users')).toEqual({
      authorization: expect.stringMatching(/^Bearer /),
      origin: 'https://app.example.com',
    })
})

for (const baseURL of ['/', '//'])
  for (const url of ['\\evil.com/steal', '\t/evil.com/steal', '/\\evil.com/steal'])
    for (const origins of [undefined, ['https://app.example.com']])
      it(`no token when baseURL ${JSON.stringify(baseURL)} + url ${JSON.stringify(url)} leaves the page (origins: ${origins ?? 'default'})`, async () => {
        const seen = await send(baseURL, url, origins)
        expect(seen.origin).toBe('https://evil.com')
        expect(seen.authorization).toBeNull()
      })
