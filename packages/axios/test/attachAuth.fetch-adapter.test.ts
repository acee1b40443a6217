import axios from 'axios'
import { describe, expect, it } from 'vitest'
import { API, bearer, refreshingClient, useRecordingApi } from '../../core/test/support/api'
import { attachAuth } from '../src'

/** API.md's replay rules through axios's `fetch` adapter (axios 1.7+), which the other tests do not use. */
const backend = useRecordingApi()
const { seen } = backend

describe("attachAuth with axios's fetch adapter", () => {
  it('replays a 401 once, with the new token and the same body', async () => {
    const { auth, refresh, first } = refreshingClient(backend, Date.now, { revoked: true })
    const api = axios.create({ baseURL: API, adapter: 'fetch' })
    attachAuth(api, auth, { origins: [API] })
    const res = await api.post('/items', new URLSearchParams({ a: '1' }))
    expect(res.status).toBe(200)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(seen.map((s) => [s.authorization, s.body])).toEqual([
      [`Bearer ${first}`, 'a=1'],
      [bearer(auth), 'a=1'],
    ])
  })

  it('returns the 401 of a ReadableStream body, which cannot be replayed, and spends no refresh', async () => {
    const { auth, refresh } = refreshingClient(backend, Date.now, { revoked: true })
    const api = axios.create({ baseURL: API, adapter: 'fetch' })
    attachAuth(api, auth, { origins: [API] })
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'))
        controller.close()
      },
    })
    const error = await api
      .post('/upload', body, { headers: { 'Content-Type': 'text/plain' } })
      .catch((e) => e)
    expect(axios.isAxiosError(error) && error.response?.status).toBe(401)
    expect(seen.map((s) => s.body)).toEqual(['streamed'])
    expect(refresh).not.toHaveBeenCalled()
  })
})
