// @vitest-environment happy-dom
import { createTestToken } from '@latchkey/testing'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, type TokenSet } from '../src'
import { T0 } from './helpers'

/**
 * An outage of the token endpoint longer than the retries, on a machine whose network never dropped
 * (core README, "Refresh"): the client waits for an `online` that does not come, and the README's
 * focus listener is what brings the session back.
 */
const token = (ttl = 300) =>
  createTestToken({ sub: 'u' }, { expiresIn: ttl, issuedAt: Math.floor(Date.now() / 1000) })

let down = true
const refresh = vi.fn(async (): Promise<TokenSet> => {
  if (down) throw Object.assign(new Error('HTTP 503'), { status: 503 })
  return { accessToken: token(300) }
})

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  localStorage.clear()
  down = true
  refresh.mockClear()
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

/** Signs in and lets the defaults' 4 tries fail, then runs 10 minutes past the token's expiry. */
async function throughTheOutage(auth: AuthClient) {
  const willRetry: boolean[] = []
  auth.on('refreshError', (e) => willRetry.push(e.willRetry))
  auth.setTokens({ accessToken: token(300), refreshToken: 'rt' })
  await vi.advanceTimersByTimeAsync(900_000)
  expect(willRetry).toEqual([true, true, true, false])
  expect(auth.getState().status).toBe('expired')
}

it('retries spent, nothing brings the session back by itself: no call in 10 minutes, none on focus', async () => {
  const auth = createAuthClient({ storage: 'localStorage', refresh })
  await throughTheOutage(auth)
  down = false
  expect(await auth.getAccessToken()).toBeNull()
  window.dispatchEvent(new Event('focus'))
  await vi.advanceTimersByTimeAsync(600_000)
  expect(refresh).toHaveBeenCalledTimes(4)
  expect(auth.getState().status).toBe('expired')
  auth.destroy()
})

it("the README's focus listener tries once when the user returns, and the session comes back", async () => {
  const auth = createAuthClient({ storage: 'localStorage', refresh })
  const onFocus = () => {
    const { status, isRefreshing } = auth.getState()
    if (status === 'expired' && !isRefreshing) auth.refresh().catch(() => {})
  }
  window.addEventListener('focus', onFocus)
  try {
    await throughTheOutage(auth)
    // Still down: the focus costs one call, its failure is told, and the session is kept.
    const errors = vi.fn()
    auth.on('refreshError', errors)
    window.dispatchEvent(new Event('focus'))
    await vi.advanceTimersByTimeAsync(1_000) // the refresh lock's own short waits
    expect(refresh).toHaveBeenCalledTimes(5)
    expect(errors).toHaveBeenCalledWith(expect.objectContaining({ willRetry: false }))
    expect(auth.getState().status).toBe('expired')
    down = false
    window.dispatchEvent(new Event('focus'))
    await vi.advanceTimersByTimeAsync(1_000) // the refresh lock's own short waits
    expect(refresh).toHaveBeenCalledTimes(6)
    expect(auth.getState().status).toBe('authenticated')
    // Authenticated again, a focus spends nothing.
    window.dispatchEvent(new Event('focus'))
    await vi.advanceTimersByTimeAsync(1_000) // the refresh lock's own short waits
    expect(refresh).toHaveBeenCalledTimes(6)
  } finally {
    window.removeEventListener('focus', onFocus)
    auth.destroy()
  }
})
