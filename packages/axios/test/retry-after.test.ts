import { createAuthClient, RefreshError } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import axios from 'axios'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { attachAuth } from '../src'

// A `refresh` written with axios, as many apps do: its AxiosError carries the response's headers.
const endpoint = 'https://id.example.com/token'
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

it.each([
  ['429', 429, '15', 15],
  ['503', 503, '120', 120],
  ['429 without Retry-After', 429, null, undefined],
])(
  "a %s from axios's token call becomes the RefreshError's retryAfter",
  async (_, status, header, retryAfter) => {
    server.use(
      http.post(endpoint, () =>
        HttpResponse.json(
          { error: 'slow_down' },
          { status, headers: header ? { 'Retry-After': header } : {} },
        ),
      ),
    )
    const auth = createAuthClient({
      refresh: async ({ refreshToken }) => {
        const { data } = await axios.post(endpoint, { refreshToken })
        return { accessToken: data.access_token }
      },
    })
    auth.setTokens({ accessToken: createTestToken({ sub: 'u' }), refreshToken: 'rt' })
    const error = (await auth.refresh().catch((e) => e)) as RefreshError
    expect(error).toMatchObject({ code: 'refresh_failed', status, retryAfter })
    // The token stays; the retry is scheduled.
    expect(auth.getState()).toMatchObject({ status: 'authenticated', error })
    auth.destroy()
  },
)

it("attachAuth rethrows a 401 while a failed refresh's Retry-After runs, without another refresh", async () => {
  const api = 'https://api.example.com'
  server.use(http.get(`${api}/me`, () => new HttpResponse(null, { status: 401 })))
  let calls = 0
  const auth = createAuthClient({
    refresh: async () => {
      calls++
      throw new RefreshError('Rate limited', { status: 429, retryAfter: 60 })
    },
  })
  auth.setTokens({ accessToken: createTestToken({ sub: 'u' }), refreshToken: 'rt' })
  await auth.refresh().catch(() => {})
  const instance = axios.create({ baseURL: api })
  attachAuth(instance, auth, { origins: [api] })
  for (let i = 0; i < 3; i++) {
    await expect(instance.get('/me')).rejects.toMatchObject({ response: { status: 401 } })
  }
  expect(calls).toBe(1)
  auth.destroy()
})
