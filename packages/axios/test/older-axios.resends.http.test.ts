/**
 * attachAuth on an older axios inside the peer range (the devDependency `axios17` is axios@1.7.9),
 * against a real node:http server on 127.0.0.1: a config that axios-retry sends again still has its
 * 401 answered. axios 1.7 copies a config's string keys only, and each array as a new one.
 */
import type { AxiosError, AxiosInstance } from 'axios'
import { afterEach, expect, it, vi } from 'vitest'
import { useTokenApi } from '../../core/test/support/http'

vi.mock('axios', () => import('axios17'))

/** Paths that answer 503 once (a flaky upstream), before the token is even looked at. */
const flaky = new Set<string>()
const server = useTokenApi({
  answer: (hit, res) => {
    if (!flaky.delete(hit.url)) return false
    res.writeHead(503).end()
    return true
  },
})
afterEach(() => flaky.clear())

/** What axios-retry does: on a 5xx, wait, then send the failed request's config through the instance. */
const retryOn5xx = (api: AxiosInstance, backoff: () => Promise<unknown>) =>
  api.interceptors.response.use(undefined, async (error: AxiosError) => {
    const config = error.config as (typeof error.config & { retried?: boolean }) | undefined
    if (!config || config.retried || (error.response?.status ?? 0) < 500) throw error
    config.retried = true
    await backoff()
    return api(config)
  })

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
