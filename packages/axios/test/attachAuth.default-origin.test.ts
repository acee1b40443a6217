// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://app.example.com/dashboard/"}
import { type AuthClient, createAuthClient } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import axios, { type InternalAxiosRequestConfig } from 'axios'
import { afterEach, describe, expect, it } from 'vitest'
import { attachAuth } from '../src'

/** API.md: without `origins`, the token goes to the page's own origin, `location.origin` read at call time. */
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
})

describe('attachAuth without origins, in a browser', () => {
  it("attaches the token to the page's origin only, read at call time", async () => {
    const auth = createAuthClient({ syncTabs: false })
    clients.push(auth)
    auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'r' })
    const api = axios.create()
    attachAuth(api, auth)
    const sent = async (url: string) => {
      let authorization: unknown
      const adapter = async (config: InternalAxiosRequestConfig) => {
        authorization = config.headers.get('Authorization') ?? null
        return { data: null, status: 200, statusText: 'OK', headers: {}, config }
      }
      await api.get(url, { adapter })
      return authorization
    }
    const token = `Bearer ${auth.getState().accessToken}`
    expect(await sent('/me')).toBe(token)
    expect(await sent('https://app.example.com/me')).toBe(token)
    expect(await sent('https://app.example.com.evil.com/me')).toBeNull()
    expect(await sent('https://api.example.com/me')).toBeNull()
    // The page moves (an app's own history, a test runner): the origin is the page's now.
    ;(window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(
      'https://api.example.com/',
    )
    expect(await sent('https://api.example.com/me')).toBe(token)
    expect(await sent('https://app.example.com/me')).toBeNull()
  })
})
