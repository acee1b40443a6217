import type { AuthClient } from '@latchkey/core'
import axios, { type AxiosError } from 'axios'
import { describe, expect, it, vi } from 'vitest'
import { liveToken } from '../../core/test/support/clients'
import type { ApiHit as Hit } from '../../core/test/support/http'
import { attachAuth } from '../src'
import { retryOn5xx, useFlakyTokenApi } from './support/flaky'

/**
 * What attachAuth sends again, against a real node:http server on 127.0.0.1: a config another
 * interceptor retries, a 401 that validateStatus lets through, a body the app changes before the
 * replay, and the 401 response nobody reads.
 */

const { server, flaky } = useFlakyTokenApi()
const { hits, valid } = server

/**
 * A client holding a live token and an instance with attachAuth. `refused`: the server does not accept
 * the first token (so the first request gets a 401). The refresh waits for `release()` when `gated`.
 */
function setup(options: { refused?: boolean; gated?: boolean; expired?: boolean } = {}) {
  const client = server.client(options)
  const api = axios.create({ baseURL: server.origin })
  attachAuth(api, client.auth, { origins: [server.origin] })
  return { ...client, api }
}

const bearer = (auth: AuthClient) => `Bearer ${auth.getState().accessToken}`

describe('attachAuth with a retrying interceptor (axios-retry style)', () => {
  it('a retry sent after the token was renewed during the backoff still succeeds: its 401 is replayed', async () => {
    const { api, auth, refresh, first } = setup()
    // During the backoff, the token is renewed (the schedule, another request's 401, another tab) and
    // the server stops accepting the old one (rotation, revocation on refresh).
    retryOn5xx(api, async () => {
      await auth.refresh()
      valid.delete(first)
    })
    flaky.add('/orders')
    const res = await api.get('/orders')
    expect(refresh).toHaveBeenCalledTimes(1)
    const label = (h: Hit) =>
      h.authorization === `Bearer ${first}`
        ? 'old token'
        : h.authorization === bearer(auth)
          ? 'current token'
          : 'other'
    // The retried config carries the header put on its first send (attachAuth cannot tell it from one
    // the app set since): refused, then replayed with the current token at no further refresh.
    expect(hits.map(label)).toEqual(['old token', 'old token', 'current token'])
    expect(res.status).toBe(200)
  })

  it('does the same when the retrying interceptor was added first, so it sees the 503 before attachAuth does', async () => {
    const { auth, refresh, first } = server.client()
    const api = axios.create({ baseURL: server.origin })
    retryOn5xx(api, async () => {
      await auth.refresh()
      valid.delete(first)
    })
    attachAuth(api, auth, { origins: [server.origin] })
    flaky.add('/orders')
    const res = await api.get('/orders')
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(hits.map((h) => h.authorization)).toEqual([`Bearer ${first}`, `Bearer ${first}`, bearer(auth)])
    expect(res.status).toBe(200)
  })

  it("answers no 401 of a retry whose first send was in another user's session", async () => {
    const { api, auth, refresh, first } = setup()
    retryOn5xx(api, async () => {
      // During the backoff the user signs out and another signs in: the old token is no longer valid.
      await auth.logout()
      auth.setTokens({ accessToken: liveToken('bob'), refreshToken: 'rt-bob' })
      valid.delete(first)
    })
    flaky.add('/orders')
    const error = await api.get('/orders').catch((e: AxiosError) => e)
    expect((error as AxiosError).response?.status).toBe(401)
    expect(refresh).not.toHaveBeenCalled()
    expect(hits.map((h) => h.authorization)).toEqual([`Bearer ${first}`, `Bearer ${first}`])
  })
})

describe('attachAuth and validateStatus', () => {
  it.each([
    ['() => true', () => true],
    ['status < 500 (apps that handle 4xx themselves)', (s: number) => s < 500],
  ])('still refreshes and replays a 401 when validateStatus is %s', async (_, validateStatus) => {
    const { api, auth, refresh } = setup({ refused: true })
    const res = await api.get('/me', { validateStatus })
    // createAuthFetch replays a 401 though fetch itself never rejects on it.
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(res.status).toBe(200)
    expect(hits.at(-1)?.authorization).toBe(bearer(auth))
  })
})

describe('attachAuth replays the body first sent', () => {
  // A plain object is copied by axios's mergeConfig at the call (arrays one level deep); these are not.
  it.each<[string, () => { data: unknown; change: () => void }]>([
    [
      'URLSearchParams',
      () => {
        const data = new URLSearchParams({ amount: '100' })
        return { data, change: () => data.set('amount', '999') }
      },
    ],
    [
      'FormData',
      () => {
        const data = new FormData()
        data.set('amount', '100')
        return { data, change: () => data.set('amount', '999') }
      },
    ],
    [
      'Uint8Array',
      () => {
        const data = new TextEncoder().encode('amount=100')
        return { data, change: () => data.set(new TextEncoder().encode('999'), 7) }
      },
    ],
  ])('when the app changes its %s data while the 401 waits for the refresh', async (_, make) => {
    const { api, refresh, release } = setup({ refused: true, gated: true })
    const { data, change } = make()
    const pending = api.post('/pay', data)
    await vi.waitUntil(() => refresh.mock.calls.length === 1)
    // The first request went out with amount 100; the app then reuses its object (the next submission).
    change()
    release()
    expect((await pending).status).toBe(200)
    const amounts = hits.map((h) => /100|999/.exec(h.text)?.[0])
    expect(amounts).toEqual(['100', '100'])
  })
})

describe('attachAuth and the 401 it does not return', () => {
  it("destroys the first 401's response stream (responseType: 'stream') when it replays", async () => {
    const { auth, refresh } = setup({ refused: true })
    const api = axios.create({ baseURL: server.origin })
    const firstAnswers: Array<{ destroyed?: boolean; readableEnded?: boolean }> = []
    // Added before attachAuth, so it sees the 401 first (and the replay's answer later).
    api.interceptors.response.use(undefined, (error: AxiosError) => {
      firstAnswers.push(error.response?.data as never)
      throw error
    })
    attachAuth(api, auth, { origins: [server.origin] })
    const res = await api.get('/download', { responseType: 'stream' })
    expect(res.status).toBe(200)
    res.data.resume()
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(firstAnswers).toHaveLength(1)
    // Nobody reads the 401's stream: unless it is destroyed (or drained), its socket stays taken.
    await new Promise((r) => setTimeout(r, 20))
    const [stream] = firstAnswers
    expect(stream!.destroyed || stream!.readableEnded).toBe(true)
  })
})
