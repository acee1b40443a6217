/**
 * attachAuth on the oldest axios the peer range (`axios ^1.2.0`) accepts: the devDependency `axios12`
 * is axios@1.2.0, the first with the `AxiosHeaders` export attachAuth uses.
 */
import { createTestToken } from '@latchkey/testing'
import { HttpResponse, http } from 'msw'
import { expect, it, vi } from 'vitest'
import { API, bearer, refreshingClient, useRecordingApi } from '../../core/test/support/api'

vi.mock('axios', () => import('axios12'))

const backend = useRecordingApi()
const { seen } = backend
const now = () => Date.now()

async function setup(options?: Parameters<typeof refreshingClient>[2]) {
  const { default: axios } = await import('axios')
  expect(axios.VERSION).toBe('1.2.0')
  const { attachAuth } = await import('../src/index')
  const client = refreshingClient(backend, now, options)
  const api = axios.create({ baseURL: API })
  const detach = attachAuth(api, client.auth, { origins: [API] })
  return { ...client, api, detach, axios }
}

it('attaches the token to the allowed origin only, and keeps the caller’s Authorization', async () => {
  const { api, auth, refresh } = await setup()
  expect((await api.get('/me')).status).toBe(200)
  await api.get('https://other.example.com/me').catch(() => {})
  await api.get('/admin', { headers: { Authorization: 'Basic abc' } }).catch(() => {})
  expect(seen.map((s) => s.authorization)).toEqual([bearer(auth), null, 'Basic abc'])
  expect(refresh).not.toHaveBeenCalled()
})

it('answers a 401 with one refresh and one replay of the same body, and rethrows a second 401', async () => {
  const { api, auth, refresh, first, axios } = await setup({ revoked: true })
  const res = await api.post('/items', { a: 1 })
  expect(res.status).toBe(200)
  expect(refresh).toHaveBeenCalledTimes(1)
  expect(seen.map((s) => [s.authorization, s.body])).toEqual([
    [`Bearer ${first}`, '{"a":1}'],
    [bearer(auth), '{"a":1}'],
  ])
  // Now the API refuses every token: the replay's 401 is rethrown as the AxiosError.
  backend.server.use(http.all(`${API}/*`, () => HttpResponse.json({ n: 0 }, { status: 401 })))
  const error = await api.get('/me').catch((e: unknown) => e)
  expect(axios.isAxiosError(error) && error.response?.status).toBe(401)
  expect(refresh).toHaveBeenCalledTimes(2)
})

it('detach() ejects both interceptors', async () => {
  const { api, detach, auth } = await setup()
  detach()
  auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }) })
  await api.get('/me').catch(() => {})
  expect(seen.map((s) => s.authorization)).toEqual([null])
})
