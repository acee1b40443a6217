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
  it("detach() gives back the app's request interceptors as they were, so mounts do not wrap them again and again", async () => {
    const { auth } = revokedClient()
    const api = axios.create({ baseURL: API })
    const seen: string[] = []
    const tenant = (c: InternalAxiosRequestConfig) => {
      seen.push(String(c.url))
      return c
    }
    api.interceptors.request.use(tenant)
    const handlers = (api.interceptors.request as unknown as { handlers: Array<{ fulfilled: unknown }> })
      .handlers
    for (let i = 0; i < 3; i++) {
      const detach = attachAuth(api, auth, { origins: [API] })
      // Followed by the origin check while attached.
      expect(handlers[0]!.fulfilled).not.toBe(tenant)
      detach()
      expect(handlers[0]!.fulfilled).toBe(tenant)
    }
    // It still runs, once a request.
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
