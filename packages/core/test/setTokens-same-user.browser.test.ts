// @vitest-environment happy-dom
import { createTestToken } from '@latchkey/testing'
import { afterEach, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, createAuthFetch } from '../src'
import { heldApi } from './support/api'
import { createLocks } from './support/locks'

const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  vi.unstubAllGlobals()
  localStorage.clear()
})

it("another tab's setTokens() as the same user (same sub) lets a late 401 here replay with its token", async () => {
  vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
  const refresh = vi.fn(async () => ({ accessToken: createTestToken({ sub: 'alice', n: 3 }) }))
  const a = createAuthClient({ storage: 'localStorage', storageKey: 'same', refresh })
  const b = createAuthClient({ storage: 'localStorage', storageKey: 'same', refresh })
  clients.push(a, b)
  const t1 = createTestToken({ sub: 'alice' })
  const t2 = createTestToken({ sub: 'alice', n: 2 })
  a.setTokens({ accessToken: t1, refreshToken: 'rt' })
  await vi.waitFor(() => expect(b.getState().accessToken).toBe(t1))
  const { send, sent, release } = heldApi(t1)
  const pending = createAuthFetch(a, { origins: ['https://api.example.com'], fetch: send })(
    'https://api.example.com/me',
  )
  await vi.waitFor(() => expect(sent).toHaveLength(1))
  b.setTokens({ accessToken: t2, refreshToken: 'rt' })
  await vi.waitFor(() => expect(a.getState().accessToken).toBe(t2))
  release()
  expect((await pending).status).toBe(200)
  expect({ sent, refreshes: refresh.mock.calls.length }).toEqual({
    sent: [`Bearer ${t1}`, `Bearer ${t2}`],
    refreshes: 0,
  })
})
