import { type AuthClient, createAuthClient } from '@latchkey/core'
import type { InternalAxiosRequestConfig } from 'axios'
import { afterEach, expect, it, vi } from 'vitest'
import { liveToken as fresh } from '../../../core/test/support/clients'

/**
 * An app interceptor added before attachAuth runs after it (axios runs request interceptors last-added
 * first) and may point the request elsewhere: the token, first sent or replayed, must not go there.
 * Run on each axios version the peer range holds (vi.mock('axios') in the calling file).
 */
export function interceptorOrderSuite(version: string): void {
  const API = 'https://api.example.com'
  const clients: AuthClient[] = []
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
  })

  /**
   * `own`: the app's interceptor also gives the request a `transformRequest` of its own; `later`: it
   * answers with a promise.
   */
  async function setup(own?: (data: unknown) => unknown, later?: boolean) {
    const { default: axios, AxiosError } = await import('axios')
    expect(axios.VERSION).toBe(version)
    const { attachAuth } = await import('../../src/index')
    const auth = createAuthClient({ syncTabs: false, refresh: async () => ({ accessToken: fresh() }) })
    clients.push(auth)
    auth.setTokens({ accessToken: fresh(), refreshToken: 'r' })
    const wire: Array<[string, unknown]> = []
    // The first answer waits for the test: a 401 that comes back once the tenant has changed.
    let answer = () => {}
    const first = new Promise<void>((resolve) => {
      answer = resolve
    })
    const adapter = async (c: InternalAxiosRequestConfig) => {
      const url = new URL(String(c.url), c.baseURL || undefined).href
      wire.push([url, c.headers.get('Authorization') ?? null])
      if (wire.length === 1) await first
      const response = {
        data: null,
        status: new URL(url).origin === API ? 401 : 200,
        statusText: '',
        headers: {},
        config: c,
      }
      if (response.status === 401) throw new AxiosError('401', 'ERR_BAD_REQUEST', c, null, response as never)
      return response
    }
    let base = API
    const api = axios.create({ adapter, baseURL: API })
    const tenant = (c: InternalAxiosRequestConfig) => {
      c.baseURL = base
      if (own) c.transformRequest = own
      return c
    }
    api.interceptors.request.use(later ? async (c) => tenant(c) : tenant)
    attachAuth(api, auth, { origins: [API] })
    return { api, wire, answer, to: (next: string) => (base = next) }
  }

  it(`axios ${version}: a baseURL changed after attachAuth's check gets no token`, async () => {
    const { api, wire, to, answer } = await setup()
    to('https://tenant-b.example')
    answer()
    await api.get('/items')
    expect(wire).toEqual([['https://tenant-b.example/items', null]])
  })

  // The check after the interceptors is not only the one on the config's transformRequest, which the
  // interceptor may replace; an async one too.
  for (const async of [false, true])
    it(`axios ${version}: a baseURL changed with the transformRequest replaced gets no token${async ? ' (async)' : ''}`, async () => {
      const { api, wire, to, answer } = await setup((data) => data, async)
      to('https://tenant-b.example')
      answer()
      await api.get('/items')
      expect(wire).toEqual([['https://tenant-b.example/items', null]])
    })

  it(`axios ${version}: a baseURL changed between the send and the 401 replay gets no new token`, async () => {
    const { api, wire, to, answer } = await setup()
    const pending = api.get('/items')
    await vi.waitFor(() => expect(wire).toHaveLength(1))
    // The replay goes through the interceptors again, which now pick the other tenant.
    to('https://tenant-b.example')
    answer()
    await pending
    expect(wire.map(([u]) => u)).toEqual([`${API}/items`, 'https://tenant-b.example/items'])
    expect(wire[0]![1]).toMatch(/^Bearer /)
    expect(wire[1]![1]).toBeNull()
  })
}
