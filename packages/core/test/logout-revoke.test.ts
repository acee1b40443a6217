import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type AuthError, createAuthClient } from '../src'
import { T0, token } from './helpers'

/**
 * A revoke (`options.logout`) that times out honouring its signal, outlasts a sign-in made since, or
 * fails under a second logout().
 */

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('logout() bounded by refreshTimeout', () => {
  it('reports a timed-out revoke once, as "Logout timed out", when the revoke honours its signal', async () => {
    // The revoke an app would write: fetch(..., { signal }), which rejects with the signal's reason.
    const auth = createAuthClient({
      refreshTimeout: 5_000,
      logout: ({ signal }) =>
        new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const errors: AuthError[] = []
    auth.on('error', (e) => errors.push(e))
    const done = auth.logout()
    await vi.advanceTimersByTimeAsync(5_000)
    await done
    // Let the aborted revoke's rejection land.
    await vi.advanceTimersByTimeAsync(0)
    expect(errors.map((e) => [e.code, e.message])).toEqual([['logout_failed', 'Logout timed out']])
    expect(auth.getState().error?.message).toBe('Logout timed out')
    auth.destroy()
  })

  it('does not put the timed-out revoke of the last sign-out on the state of a sign-in made since', async () => {
    const auth = createAuthClient({
      refreshTimeout: 5_000,
      // A revoke endpoint that hangs (and ignores its signal).
      logout: () => new Promise<void>(() => {}),
      login: async () => ({ accessToken: token(), refreshToken: 'rt2' }),
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const done = auth.logout()
    // The user signs in again while the revoke of the last session still hangs.
    await vi.advanceTimersByTimeAsync(1_000)
    await auth.login({})
    expect(auth.getState()).toMatchObject({ status: 'authenticated', error: null })
    await vi.advanceTimersByTimeAsync(4_000)
    await done
    // "error: the last error; cleared by the next successful login": the old session's revoke is not news
    // about this one.
    expect(auth.getState().error).toBeNull()
    auth.destroy()
  })
})

describe('logout() during a start-up read that outlasts refreshTimeout', () => {
  it('reports the timeout once and calls no revoke after it, when the read lands at last', async () => {
    const stored = JSON.stringify({ v: 1, at: token(), rt: 'rt', sk: 0, g: 1 })
    const revoke = vi.fn(async () => {})
    const auth = createAuthClient({
      refreshTimeout: 5_000,
      storage: {
        get: () => new Promise<string>((resolve) => setTimeout(() => resolve(stored), 8_000)),
        set: async () => {},
        remove: async () => {},
      },
      logout: revoke,
    })
    const errors: AuthError[] = []
    auth.on('error', (e) => errors.push(e))
    const done = auth.logout()
    await vi.advanceTimersByTimeAsync(5_000)
    await done
    expect(errors.map((e) => e.message)).toEqual(['Logout timed out'])
    // The read lands: the revoke it would have made was given up, and no call goes out behind the report.
    await vi.advanceTimersByTimeAsync(3_000)
    await auth.ready
    expect(revoke).not.toHaveBeenCalled()
    expect(auth.getState().status).toBe('unauthenticated')
    expect(errors).toHaveLength(1)
    auth.destroy()
  })
})

describe('logout() during a start-up read, then destroy() before the read lands', () => {
  it('stops the wait at destroy(), not the revoke: the session the read finds is revoked once it lands', async () => {
    const stored = JSON.stringify({ v: 1, at: token(), rt: 'rt', sk: 0, g: 1 })
    const revoke = vi.fn(async (_: { refreshToken: string | null }) => {})
    const auth = createAuthClient({
      refreshTimeout: 5_000,
      storage: {
        get: () => new Promise<string>((resolve) => setTimeout(() => resolve(stored), 3_000)),
        set: async () => {},
        remove: async () => {},
      },
      logout: revoke,
    })
    const errors: AuthError[] = []
    auth.on('error', (e) => errors.push(e))
    const done = auth.logout()
    await vi.advanceTimersByTimeAsync(1_000)
    // The app tears the client down (a page leaving, a component unmounted) while the read goes on.
    auth.destroy()
    await done
    expect(revoke).not.toHaveBeenCalled()
    // The read lands: the user signed out, and the server hears of it, destroy() or not.
    await vi.advanceTimersByTimeAsync(2_000)
    expect(revoke.mock.calls.map(([t]) => t.refreshToken)).toEqual(['rt'])
    expect(errors).toEqual([])
  })
})

describe('logout() called twice (a double click on "Sign out")', () => {
  it("keeps the first revoke's failure as state.error: no sign-in came in between", async () => {
    let calls = 0
    const auth = createAuthClient({
      // The first call carries the session's tokens and fails; the second (no tokens left) succeeds.
      logout: async () => {
        if (calls++ === 0) throw new Error('revoke endpoint down')
      },
    })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const first = auth.logout()
    const second = auth.logout()
    await Promise.all([first, second])
    expect(auth.getState().status).toBe('unauthenticated')
    // The session's revoke failed and nobody signed in since: the state says so.
    expect(auth.getState().error?.code).toBe('logout_failed')
    auth.destroy()
  })
})
