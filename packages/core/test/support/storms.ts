import { createTestToken } from '@latchkey/testing'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient } from '../../src'

export const API = 'https://api.example.com'
const N = 1_000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Sends `GET ${API}/items/${id}` through the transport under test and reads status and body. */
export type Transport = (auth: AuthClient) => (id: number) => Promise<{ status: number; id: string }>

/**
 * The refresh-storm scenarios, run through one transport (createAuthFetch, attachAuth): 1,000
 * concurrent requests must cost exactly one refresh and all succeed.
 */
export function describeStorms(name: string, transport: Transport): void {
  const valid = new Set<string>()
  let answered = 0
  /** Runs before the API answers a request carrying `token`. */
  let hold: (token: string | undefined) => Promise<void> = async () => {}
  const clients: AuthClient[] = []
  let clock = Date.UTC(2030, 0, 1)
  const now = () => clock

  const server = setupServer(
    http.get(`${API}/items/:id`, async ({ request, params }) => {
      const token = request.headers.get('authorization')?.replace(/^Bearer /, '')
      await hold(token)
      answered++
      if (token && valid.has(token)) return HttpResponse.json({ id: params.id })
      return HttpResponse.json({ error: 'invalid_token' }, { status: 401 })
    }),
  )
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => {
    valid.clear()
    answered = 0
    hold = async () => {}
    for (const c of clients.splice(0)) c.destroy()
  })
  afterAll(() => server.close())

  function setup({ revoked = false } = {}) {
    let n = 0
    const refresh = vi.fn(async () => {
      await sleep(20)
      const accessToken = createTestToken({ sub: 'alice', n: ++n }, { now, expiresIn: 300 })
      valid.add(accessToken)
      return { accessToken }
    })
    const auth = createAuthClient({ now, refresh, retry: { attempts: 1 } })
    clients.push(auth)
    const first = createTestToken({ sub: 'alice', n: 0 }, { now, expiresIn: 300 })
    if (!revoked) valid.add(first)
    auth.setTokens({ accessToken: first, refreshToken: 'r0' })
    const get = transport(auth)
    const storm = async () => {
      const responses = await Promise.all(Array.from({ length: N }, (_, i) => get(i)))
      return { statuses: responses.map((r) => r.status), ids: responses.map((r) => r.id) }
    }
    return { auth, refresh, first, storm }
  }

  const ok = { statuses: Array(N).fill(200), ids: Array.from({ length: N }, (_, i) => String(i)) }

  // 1,000 requests take 1–2 s alone, and more while the browser tests run beside them on two cores: the
  // timeout only guards against a hang, so it leaves room for a loaded machine.
  describe(`${name} refresh storms`, { timeout: 30_000 }, () => {
    it('refreshes once when 1000 requests start with an expired token', async () => {
      const { refresh, storm } = setup()
      clock += 301_000 // the token expired while the tab slept; no timer has fired yet
      expect(await storm()).toEqual(ok)
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(answered).toBe(N)
    })

    it('refreshes once when 1000 requests all get a 401 (the server revoked the token)', async () => {
      const { refresh, storm } = setup({ revoked: true })
      expect(await storm()).toEqual(ok)
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(answered).toBe(2 * N)
    })

    it('refreshes once when the 401s arrive spread over 0–50 ms after the refresh completed', async () => {
      const { auth, refresh, first, storm } = setup({ revoked: true })
      let firstOut = false
      const refreshed = new Promise<void>((resolve) => auth.on('refresh', () => resolve()))
      const spread: number[] = []
      hold = async (token) => {
        if (token !== first) return
        // One 401 comes back at once and starts the refresh; the other 999 only after it completed.
        if (!firstOut) {
          firstOut = true
          return
        }
        await refreshed
        const start = Date.now()
        await sleep(Math.random() * 50)
        spread.push(Date.now() - start)
      }
      expect(await storm()).toEqual(ok)
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(spread).toHaveLength(N - 1)
      expect(Math.max(...spread)).toBeGreaterThanOrEqual(30)
    })

    it('refreshes once for 401s spread before, during and after the refresh', async () => {
      const { auth, refresh, first, storm } = setup({ revoked: true })
      hold = async (token) => {
        if (token === first) await sleep(Math.random() * 60)
      }
      // The app forces a refresh too while the refresh started by the first 401 runs.
      setTimeout(() => auth.refresh().catch(() => {}), 10)
      expect(await storm()).toEqual(ok)
      expect(refresh).toHaveBeenCalledTimes(1)
    })
  })
}
