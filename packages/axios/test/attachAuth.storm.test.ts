import { type AuthClient, createAuthClient } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import axios from 'axios'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { attachAuth } from '../src'

const API = 'https://api.example.com'
const N = 1_000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const valid = new Set<string>()
let answered = 0
let hold: (token: string | undefined) => Promise<void> = async () => {}

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

const clients: AuthClient[] = []
let clock = Date.UTC(2030, 0, 1)
const now = () => clock

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
  const api = axios.create({ baseURL: API })
  attachAuth(api, auth, { origins: [API] })
  const storm = async () => {
    const responses = await Promise.all(Array.from({ length: N }, (_, i) => api.get(`/items/${i}`)))
    return { statuses: responses.map((r) => r.status), ids: responses.map((r) => r.data.id) }
  }
  return { auth, refresh, first, storm }
}

const ok = { statuses: Array(N).fill(200), ids: Array.from({ length: N }, (_, i) => String(i)) }

describe('attachAuth refresh storms', () => {
  it('refreshes once when 1000 requests start with an expired token', async () => {
    const { refresh, storm } = setup()
    clock += 301_000
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
    hold = async (token) => {
      if (token !== first) return
      if (!firstOut) {
        firstOut = true
        return
      }
      await refreshed
      await sleep(Math.random() * 50)
    }
    expect(await storm()).toEqual(ok)
    expect(refresh).toHaveBeenCalledTimes(1)
  })
})
