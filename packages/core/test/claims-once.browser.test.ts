// @vitest-environment happy-dom
import { createTestToken } from '@latchkey/testing'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createAuthClient } from '../src'

// API.md, State: "claims: C | null // decoded payload of the access token, decoded once per token". One
// token is one claims object in the state, however the session holding it was built again: a selector on
// `claims` (useAuthSelector, a Vue watch) must not see a change where the token did not change.

beforeEach(() => localStorage.clear())
afterEach(() => localStorage.clear())

const tick = () => new Promise((r) => setTimeout(r, 20))

it('a refresh that sends back the token held keeps its claims object', async () => {
  const held = createTestToken({ sub: 'u' }, { expiresIn: 300 })
  const auth = createAuthClient({ refresh: async () => ({ accessToken: held }) })
  const { claims } = auth.setTokens({ accessToken: held, refreshToken: 'rt' })
  await expect(auth.refresh()).resolves.toBe(held)
  expect(auth.getState().claims).toBe(claims)
  auth.destroy()
})

it('the token held, stored again by another tab with a new refresh token, keeps its claims object', async () => {
  const held = createTestToken({ sub: 'u' }, { expiresIn: 300 })
  const a = createAuthClient({ storage: 'localStorage' })
  const b = createAuthClient({ storage: 'localStorage', refresh: () => new Promise(() => {}) })
  a.setTokens({ accessToken: held, refreshToken: 'r1' })
  await tick()
  const { claims, accessToken } = b.getState()
  expect(accessToken).toBe(held)
  a.setTokens({ accessToken: held, refreshToken: 'r2' })
  await tick()
  // Anything that commits a new snapshot in b (here: a refresh starting).
  void b.refresh().catch(() => {})
  await tick()
  expect(b.getState().isRefreshing).toBe(true)
  expect(b.getState().claims).toBe(claims)
  a.destroy()
  b.destroy()
})
