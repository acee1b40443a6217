import { type AuthClient, createAuthClient } from '@latchkey/core'
import axios, { AxiosError, type InternalAxiosRequestConfig } from 'axios'
import { afterEach, describe, expect, it } from 'vitest'
import { liveToken as fresh, waitingClient } from '../../core/test/support/clients'
import { attachAuth } from '../src'

/**
 * Where the token goes out later than the call, the URL is checked again: a reused URL object changed
 * before the 401 replay, an app interceptor that picks the baseURL per request.
 */
const API = 'https://api.example.com'
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
})

function setup() {
  const auth = createAuthClient({ syncTabs: false, refresh: async () => ({ accessToken: fresh() }) })
  clients.push(auth)
  auth.setTokens({ accessToken: fresh(), refreshToken: 'r' })
  const wire: Array<[string, unknown]> = []
  let calls = 0
  const adapter = async (c: InternalAxiosRequestConfig) => {
    // What goes on the wire is fixed when the adapter is called.
    const url = new URL(String(c.url), c.baseURL || undefined).href
    wire.push([url, c.headers.get('Authorization') ?? null])
    // The first response takes a while, as a real round trip does.
    if (calls++ === 0) await new Promise((r) => setTimeout(r, 20))
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
  return { auth, wire, adapter }
}
const leaks = (wire: Array<[string, unknown]>) =>
  wire.filter(([u, h]) => new URL(u).origin !== API && h != null)

describe('attachAuth 401 replay re-checks the origin', () => {
  it('a URL object reused while the first request waits for its 401', async () => {
    const { wire, adapter, auth } = setup()
    const api = axios.create({ adapter })
    attachAuth(api, auth, { origins: [API] })
    const url = new URL(`${API}/items`)
    const pending = api.get(url as never).catch(() => {})
    // Let the first request leave, then reuse the URL object for a third-party call.
    await new Promise((r) => setTimeout(r, 0))
    url.href = 'https://evil.example/collect'
    await pending
    expect(wire.length).toBeGreaterThan(0)
    expect(leaks(wire)).toEqual([])
  })

  it('an app interceptor that chooses the baseURL per request (tenant switch between send and replay)', async () => {
    const { wire, adapter, auth } = setup()
    const api = axios.create({ adapter })
    let tenantBase = API
    attachAuth(api, auth, { origins: [API] })
    // Registered after attachAuth, so axios runs it first and latchkey checks the URL it picks.
    api.interceptors.request.use((c) => {
      c.baseURL = tenantBase
      return c
    })
    const pending = api.get('/items').catch(() => {})
    await new Promise((r) => setTimeout(r, 0))
    tenantBase = 'https://other-tenant.example'
    await pending
    expect(leaks(wire)).toEqual([])
  })
})

describe('attachAuth re-checks the origin after the interceptors that run after it', () => {
  // axios runs request interceptors last-added first: one the app added before attachAuth runs after it.
  const tenant = (api: ReturnType<typeof axios.create>, base: () => string) =>
    api.interceptors.request.use((c) => {
      c.baseURL = base()
      return c
    })

  it('keeps the token where the URL stays allowed, and leaves alone the header the app set after it', async () => {
    const { wire, adapter, auth } = setup()
    const api = axios.create({ adapter, baseURL: 'https://tenant-b.example' })
    api.interceptors.request.use((c) => {
      c.headers.set('Authorization', 'Basic YXBwOmtleQ==')
      return c
    })
    tenant(api, () => (wire.length ? 'https://tenant-b.example' : API))
    attachAuth(api, auth, { origins: [API] })
    // The first goes to the API (its 401 is the app's Basic one: no refresh, no replay).
    await expect(api.get('/items')).rejects.toMatchObject({ response: { status: 401 } })
    await api.get('/items')
    expect(wire).toEqual([
      [`${API}/items`, 'Basic YXBwOmtleQ=='],
      ['https://tenant-b.example/items', 'Basic YXBwOmtleQ=='],
    ])
  })

  it("runs the request's own transformRequest too, a function or a list, and checks the URL first", async () => {
    const { wire, adapter, auth } = setup()
    const api = axios.create({ adapter, baseURL: API })
    tenant(api, () => 'https://tenant-b.example')
    attachAuth(api, auth, { origins: [API] })
    const seen: unknown[] = []
    const own = (data: unknown, headers: { get(n: string): unknown }) => {
      seen.push(headers.get('Authorization') ?? null)
      return data
    }
    await api.post('/a', 'x', { transformRequest: own })
    await api.post('/b', 'y', { transformRequest: [own] })
    expect(seen).toEqual([null, null])
    expect(leaks(wire)).toEqual([])
    expect(wire).toHaveLength(2)
  })
})

describe('attachAuth re-checks the origin after waiting for a token', () => {
  it('a URL object changed while the request waits for a refresh gets no token', async () => {
    const { auth, release } = waitingClient()
    clients.push(auth)
    const wire: Array<[string, unknown]> = []
    const api = axios.create({
      adapter: async (c: InternalAxiosRequestConfig) => {
        wire.push([String(c.url), c.headers.get('Authorization') ?? null])
        return { data: null, status: 200, statusText: '', headers: {}, config: c }
      },
    })
    attachAuth(api, auth, { origins: [API] })
    const url = new URL(`${API}/items`)
    const pending = api.get(url as never)
    await new Promise((resolve) => setTimeout(resolve, 5))
    url.href = 'https://evil.example/collect'
    release()
    await pending
    expect(wire).toEqual([['https://evil.example/collect', null]])
  })
})
