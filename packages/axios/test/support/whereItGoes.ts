import { type AuthClient, createAuthClient, type OriginRule } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import type { AxiosStatic, InternalAxiosRequestConfig } from 'axios'
import { afterEach } from 'vitest'
import type { attachAuth as AttachAuth } from '../../src'

/**
 * `send(baseURL, url, origins?)`: one request through `attachAuth` on a new instance of `axios` (any
 * version), answered by an adapter that records what a browser would send: the Authorization header,
 * and the origin of axios's full URL resolved against the document. Clients end after each test.
 */
export function whereItGoes(axios: AxiosStatic, attachAuth: typeof AttachAuth) {
  const clients: AuthClient[] = []
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
  })
  return async function send(baseURL: string, url: string, origins?: OriginRule) {
    const auth = createAuthClient({ syncTabs: false })
    clients.push(auth)
    auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'r' })
    const api = axios.create({ baseURL })
    attachAuth(api, auth, origins ? { origins } : {})
    let seen: { authorization: unknown; origin: string } | undefined
    const adapter = async (c: InternalAxiosRequestConfig) => {
      seen = {
        authorization: c.headers.get('Authorization') ?? null,
        origin: new URL(api.getUri(c), document.baseURI).origin,
      }
      return { data: null, status: 200, statusText: 'OK', headers: {}, config: c }
    }
    await api.request({ url, adapter })
    return seen!
  }
}
