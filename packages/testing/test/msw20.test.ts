/**
 * The mock server on the oldest msw the peer range (`msw ^2.0.0`) accepts: the devDependency `msw20`
 * is msw@2.0.0. A client signs in, refreshes against it (also through simulated failures) and calls
 * its API.
 */
import { createAuthClient, createAuthFetch, oauth2Refresh } from '@latchkey/core'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'

vi.mock('msw', () => import('msw20'))

const { setupServer } = await import('msw20/node')
const { createMockAuthServer } = await import('../src/index')
const mock = createMockAuthServer({ baseUrl: 'http://auth.test' })
// Typed against the msw the package builds with (2.15); at run time they are msw 2.0.0's (see below).
const server = setupServer(...(mock.handlers as unknown as Parameters<typeof setupServer>))
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterAll(() => server.close())

it('serves login, refresh, failures, the API and logout', async () => {
  const { version } = (await import('msw20/package.json')) as { version: string }
  expect(version).toBe('2.0.0')
  const { HttpHandler } = await import('msw20')
  expect(mock.handlers.every((handler) => handler instanceof HttpHandler)).toBe(true)
  const auth = createAuthClient<{ sub: string }, { username: string; password: string }>({
    login: async (credentials) => {
      const res = await fetch('http://auth.test/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(credentials),
      })
      const body = await res.json()
      return { accessToken: body.access_token, refreshToken: body.refresh_token }
    },
    refresh: oauth2Refresh({ tokenEndpoint: 'http://auth.test/oauth/token', clientId: 'app' }),
    retry: { attempts: 1 },
  })
  await auth.login({ username: 'alice', password: 'wonderland' })
  expect(auth.getState().claims?.sub).toBe('alice')
  const api = createAuthFetch(auth, { origins: ['http://auth.test'] })
  expect((await api('http://auth.test/api/me')).status).toBe(200)

  mock.setRefreshFailure('network', 1)
  await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_failed' })
  mock.setRefreshFailure('500', 1)
  await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_failed', status: 500 })
  await auth.refresh()
  expect((await api('http://auth.test/api/me')).status).toBe(200)

  mock.revoke()
  const res = await api('http://auth.test/api/me')
  expect(res.status).toBe(401)
  expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
  expect(auth.getState().status).toBe('unauthenticated')
  expect(mock.calls).toEqual({ login: 1, refresh: 4, logout: 0, api: 3 })
  auth.destroy()
})
