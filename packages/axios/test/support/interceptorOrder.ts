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
   * answers with a promise; `fifo`: it is added after attachAuth, on an instance that runs request
   * interceptors in the order they were added (axios 1.21's `legacyInterceptorReqResOrdering: false`;
   * older versions know no such option, and run it before attachAuth's).
   */
  async function setup({
    own,
    later,
    fifo,
  }: {
    own?: (data: unknown) => unknown
    later?: boolean | undefined
    fifo?: boolean | undefined
  } = {}) {
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
    let runs = 0
    const api = axios.create({
      adapter,
      baseURL: API,
      ...(fifo &&
        'legacyInterceptorReqResOrdering' in (axios.defaults.transitional ?? {}) && {
          transitional: { legacyInterceptorReqResOrdering: false } as never,
        }),
    })
    const tenant = (c: InternalAxiosRequestConfig) => {
      runs++
      c.baseURL = base
      if (own) c.transformRequest = own
      return c
    }
    if (fifo) attachAuth(api, auth, { origins: [API] })
    api.interceptors.request.use(later ? async (c) => tenant(c) : tenant)
    if (!fifo) attachAuth(api, auth, { origins: [API] })
    return { api, wire, answer, to: (next: string) => (base = next), runs: () => runs }
  }

  it(`axios ${version}: a baseURL changed after attachAuth's check gets no token`, async () => {
    const { api, wire, to, answer } = await setup()
    to('https://tenant-b.example')
    answer()
    await api.get('/items')
    expect(wire).toEqual([['https://tenant-b.example/items', null]])
  })

  // The check sits on the config's transformRequest, which the interceptor may replace: the list it
  // leaves gets the check back. An async interceptor too, and one added after attachAuth that runs after.
  for (const [later, fifo] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])
    it(`axios ${version}: a baseURL changed with the transformRequest replaced gets no token${later ? ' (async)' : ''}${fifo ? ' (added after attachAuth)' : ''}`, async () => {
      const { api, wire, to, answer } = await setup({ own: (data) => data, later, fifo })
      to('https://tenant-b.example')
      answer()
      await api.get('/items')
      expect(wire).toEqual([['https://tenant-b.example/items', null]])
    })

  it(`axios ${version}: a URL that another interceptor points elsewhere and a later one points back keeps the token`, async () => {
    const { default: axios } = await import('axios')
    const { attachAuth } = await import('../../src/index')
    const auth = createAuthClient({ syncTabs: false })
    clients.push(auth)
    auth.setTokens({ accessToken: fresh(), refreshToken: 'r' })
    const wire: Array<[string, unknown]> = []
    const adapter = async (c: InternalAxiosRequestConfig) => {
      wire.push([new URL(String(c.url), c.baseURL).href, c.headers.get('Authorization') ?? null])
      return { data: null, status: 200, statusText: '', headers: {}, config: c }
    }
    const api = axios.create({ adapter, baseURL: API })
    // Added first, runs last: the internal alias back to the API.
    api.interceptors.request.use((c) => {
      if (c.baseURL === 'https://api.internal') c.baseURL = API
      c.transformRequest = [(data: unknown) => data]
      return c
    })
    api.interceptors.request.use((c) => {
      c.baseURL = 'https://api.internal'
      return c
    })
    attachAuth(api, auth, { origins: [API] })
    await api.get('/items')
    expect(wire).toEqual([[`${API}/items`, expect.stringMatching(/^Bearer /)]])
  })

  it(`axios ${version}: the 401 replay goes where the first request went, its interceptors not run again`, async () => {
    const { api, wire, to, answer, runs } = await setup()
    const pending = api.get('/items').catch(() => {})
    await vi.waitFor(() => expect(wire).toHaveLength(1))
    // Run again, the interceptor would now pick the other tenant.
    to('https://tenant-b.example')
    answer()
    await pending
    expect(wire.map(([u]) => u)).toEqual([`${API}/items`, `${API}/items`])
    expect(wire[1]![1]).toMatch(/^Bearer /)
    expect(wire[1]![1]).not.toBe(wire[0]![1])
    expect(runs()).toBe(1)
  })
}
