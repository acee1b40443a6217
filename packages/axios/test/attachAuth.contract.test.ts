import { createAuthClient } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import axios, { AxiosError } from 'axios'
import { describe, expect, it, vi } from 'vitest'
import { API, useRecordingApi } from '../../core/test/support/api'
import { attachAuth } from '../src'

/** API.md, `attachAuth`: "the same rules as `createAuthFetch`", read as an outsider would. */
const backend = useRecordingApi()
const { seen, valid, clients } = backend

/** A client whose first token the API already refuses, and whose refresh fails with `status`. */
function failing(status: number) {
  const refresh = vi.fn(async () => {
    await new Promise((r) => setTimeout(r, 20))
    throw Object.assign(new Error('refresh failed'), { status })
  })
  // The default retry options: later attempts are scheduled in the background.
  const auth = createAuthClient({ refresh })
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'r0' })
  const api = axios.create({ baseURL: API })
  attachAuth(api, auth, { origins: [API] })
  return { auth, api, refresh }
}

describe('attachAuth', () => {
  it.each([
    ['transient (500)', 500],
    ['permanent (401)', 401],
  ])(
    'rethrows every waiting request’s own 401 when the refresh fails, %s: nothing is left pending',
    async (_, status) => {
      const { api, refresh } = failing(status)
      const outcomes = await Promise.allSettled(
        ['/a', '/b', '/c', '/d', '/e'].map((path) => api.post(path, { path })),
      )
      expect(refresh).toHaveBeenCalledTimes(1)
      expect(seen).toHaveLength(5)
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected')
        const error = (outcome as PromiseRejectedResult).reason as AxiosError
        expect(error).toBeInstanceOf(AxiosError)
        expect(error.response?.status).toBe(401)
        // Its own 401: the one answered to its first send.
        expect(JSON.parse(error.config?.data as string)).toEqual({
          path: new URL(error.config?.url ?? '', API).pathname,
        })
      }
    },
  )

  it('rethrows a late 401 to an older token, without a refresh, when the client now holds no token', async () => {
    const refresh = vi.fn(async () => ({ accessToken: createTestToken({ sub: 'alice', n: 1 }) }))
    const auth = createAuthClient({ refresh })
    clients.push(auth)
    const first = createTestToken({ sub: 'alice', n: 0 })
    auth.setTokens({ accessToken: first, refreshToken: 'r0' })
    valid.add(first)
    const api = axios.create({ baseURL: API })
    attachAuth(api, auth, { origins: [API] })
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    backend.delay = () => held
    const pending = api.get('/slow').catch((e: AxiosError) => e)
    await vi.waitUntil(() => seen.length === 1)
    await auth.logout()
    valid.delete(first)
    release()
    const error = (await pending) as AxiosError
    expect(error).toBeInstanceOf(AxiosError)
    expect(error.response?.status).toBe(401)
    expect(seen).toHaveLength(1)
    expect(refresh).not.toHaveBeenCalled()
  })
})
