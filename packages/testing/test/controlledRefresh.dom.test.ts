// @vitest-environment happy-dom
import { createAuthClient } from '@latchkey/core'
import { expect, it } from 'vitest'
import { controlledRefresh, createTestToken, startRefresh } from '../src'

it('settle() right after startRefresh() answers the refresh with localStorage (taken under the lease)', async () => {
  // happy-dom has no Web Locks: the client takes the localStorage lease before it calls `refresh`,
  // so `isRefreshing` is true well before the call the test answers.
  const control = controlledRefresh()
  const auth = createAuthClient({ storage: 'localStorage', refresh: control.refresh })
  auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'rt' })
  const { done } = await startRefresh(auth)
  expect(auth.getState().isRefreshing).toBe(true)
  const next = createTestToken({ sub: 'alice', jti: 'next' })
  control.settle({ accessToken: next })
  const outcome = await Promise.race([
    done,
    new Promise<string>((resolve) => setTimeout(() => resolve('hung'), 2_000)),
  ])
  expect(outcome).toBe(next)
  auth.destroy()
  localStorage.clear()
})
