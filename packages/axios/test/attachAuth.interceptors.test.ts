import http from 'node:http'
import { type AuthClient, createAuthClient } from '@latchkey/core'
import axios, { type InternalAxiosRequestConfig } from 'axios'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { liveToken as live } from '../../core/test/support/clients'
import { closeAll, listen } from '../../core/test/support/http'
import { attachAuth } from '../src'

/**
 * Response interceptors an app adds before or after attachAuth run once per request, also when the
 * request was answered by a 401 and replayed (a real server on 127.0.0.1).
 */
let server: http.Server
let API = ''
/** The token the server accepts. */
let accepted = ''
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/always401') return res.writeHead(401).end()
    const ok = req.headers.authorization === `Bearer ${accepted}`
    res
      .writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ name: 'alice' }))
  })
  API = await listen(server)
})
afterAll(() => closeAll(server))
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
})

/** A client whose token the server refuses (revoked); its refresh issues one the server accepts. */
function revokedClient() {
  let refreshes = 0
  const auth = createAuthClient({
    syncTabs: false,
    refresh: async () => {
      refreshes++
      accepted = live()
      return { accessToken: accepted }
    },
  })
  clients.push(auth)
  accepted = ''
  auth.setTokens({ accessToken: live(), refreshToken: 'r' })
  return { auth, refreshes: () => refreshes }
}

/** An instance (`before` adds its own interceptors first) with attachAuth for a revoked client. */
function setup(before?: (api: ReturnType<typeof axios.create>) => void) {
  const { auth, refreshes } = revokedClient()
  const api = axios.create({ baseURL: API })
  before?.(api)
  attachAuth(api, auth, { origins: [API] })
  return { api, refreshes }
}

describe('response interceptors added after attachAuth', () => {
  it('a data-unwrapping one (r => r.data) runs once on a replayed response', async () => {
    const { api, refreshes } = setup()
    api.interceptors.response.use((r) => r.data)
    expect(await api.get('/me')).toEqual({ name: 'alice' })
    expect(refreshes()).toBe(1)
  })

  it('an error one sees a refused replay once, as the AxiosError', async () => {
    const { api, refreshes } = setup()
    let seen = 0
    api.interceptors.response.use(undefined, (e) => {
      seen++
      throw e
    })
    const status = await api.get('/always401').then(
      () => 0,
      (e: { response?: { status: number } }) => e.response?.status,
    )
    expect({ status, refreshes: refreshes(), seen }).toEqual({ status: 401, refreshes: 1, seen: 1 })
  })
})

describe('response interceptors added before attachAuth', () => {
  it('a data-unwrapping one (r => r.data) runs on a replayed response too', async () => {
    // The usual API module: an instance with its unwrapping interceptor, auth attached later.
    const { api, refreshes } = setup((instance) => instance.interceptors.response.use((r) => r.data))
    expect(await api.get('/me')).toEqual({ name: 'alice' })
    expect(refreshes()).toBe(1)
  })
})

describe('attachAuth and detach on every mount (a component or a route that sets up its API client)', () => {
  it('a request interceptor that gives the config a transformRequest of its own: the replay sends the same body', async () => {
    const { auth, refreshes } = revokedClient()
    const api = axios.create({ baseURL: API })
    const bodies: string[] = []
    // Added before attachAuth: it runs after it, and replaces the list attachAuth readied.
    api.interceptors.request.use((c: InternalAxiosRequestConfig) => {
      c.transformRequest = [
        (data: unknown) => {
          bodies.push(JSON.stringify({ wrapped: data }))
          return bodies.at(-1)
        },
      ]
      return c
    })
    attachAuth(api, auth, { origins: [API] })
    expect((await api.post('/me', { n: 1 })).data).toEqual({ name: 'alice' })
    expect({ bodies, refreshes: refreshes() }).toEqual({
      bodies: Array(2).fill('{"wrapped":{"n":1}}'),
      refreshes: 1,
    })
  })

  it("mounts in any order wrap the app's request interceptors once, and the interceptors still run once", async () => {
    const one = revokedClient()
    const two = revokedClient()
    const api = axios.create({ baseURL: API })
    const seen: string[] = []
    api.interceptors.request.use((c: InternalAxiosRequestConfig) => {
      seen.push(String(c.url))
      return c
    })
    const handlers = (
      api.interceptors.request as unknown as { handlers: Array<{ fulfilled: unknown } | null> }
    ).handlers
    const detachOne = attachAuth(api, one.auth, { origins: [API] })
    const wrapped = handlers[0]!.fulfilled
    // Two components on one instance, unmounted in the order they mounted, again and again.
    for (let i = 0; i < 50; i++) {
      const a = attachAuth(api, one.auth, { origins: [API] })
      const b = attachAuth(api, two.auth, { origins: [API] })
      a()
      b()
    }
    expect(handlers[0]!.fulfilled).toBe(wrapped)
    detachOne()
    await api.get('/always401').catch(() => {})
    expect(seen).toEqual(['/always401'])
  })

  it('an interceptor the mount adds after attachAuth runs once on a replayed response, from the second mount on too', async () => {
    const { auth, refreshes } = revokedClient()
    const api = axios.create({ baseURL: API })
    const mount = () => {
      const detach = attachAuth(api, auth, { origins: [API] })
      const unwrap = api.interceptors.response.use((r) => r.data)
      return () => {
        detach()
        api.interceptors.response.eject(unwrap)
      }
    }
    const bodies: unknown[] = []
    for (let i = 0; i < 3; i++) {
      const unmount = mount()
      // The server refuses the token held: a 401, one refresh, one replay.
      accepted = ''
      bodies.push(await api.get('/me'))
      unmount()
    }
    expect({ bodies, refreshes: refreshes() }).toEqual({
      bodies: Array(3).fill({ name: 'alice' }),
      refreshes: 3,
    })
  })
})
