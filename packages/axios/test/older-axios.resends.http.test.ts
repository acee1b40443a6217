/**
 * attachAuth on an older axios inside the peer range (the devDependency `axios17` is axios@1.7.9),
 * against a real node:http server on 127.0.0.1: a config that axios-retry sends again still has its
 * 401 answered. axios 1.7 copies a config's string keys only, and each array as a new one.
 */
import { expect, it, vi } from 'vitest'
import { retryOn5xx, useFlakyTokenApi } from './support/flaky'

vi.mock('axios', () => import('axios17'))

const { server, flaky } = useFlakyTokenApi()

it.each([
  ['added after attachAuth', false],
  ['added before attachAuth', true],
])(
  'replays the 401 of a retry sent after the token was renewed, the retrying interceptor %s',
  async (_, first) => {
    const { default: axios } = await import('axios')
    expect(axios.VERSION).toBe('1.7.9')
    const { attachAuth } = await import('../src')
    const { auth, refresh, first: token } = server.client()
    const api = axios.create({ baseURL: server.origin })
    const backoff = async () => {
      await auth.refresh()
      server.valid.delete(token)
    }
    if (first) retryOn5xx(api, backoff)
    attachAuth(api, auth, { origins: [server.origin] })
    if (!first) retryOn5xx(api, backoff)
    flaky.add('/orders')
    const res = await api.get('/orders')
    expect(res.status).toBe(200)
    expect(refresh).toHaveBeenCalledTimes(1)
    const now = `Bearer ${auth.getState().accessToken}`
    expect(server.hits.map((h) => h.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`, now])
  },
)
