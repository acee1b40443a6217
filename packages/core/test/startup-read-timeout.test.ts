import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type AuthError, createAuthClient, type TokenStorage } from '../src'
import { T0, token } from './helpers'

/**
 * An async storage whose start-up read does not end: React Native's AsyncStorage does this after a
 * reload on Android (its `getItem` never calls back). The client stops waiting after refreshTimeout,
 * starts signed out with `storage_unavailable`, and takes what the read finds if it ends.
 */

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
})
afterEach(() => {
  vi.useRealTimers()
})

const entryOf = (at: string, rt: string | null = 'rt') => JSON.stringify({ v: 1, at, rt, sk: 0, g: 1 })

/** A storage whose first get() answers only when the test says so; set/remove are recorded. */
function stuckStorage() {
  let answer: (value: string | null) => void = () => {}
  let fail: (e: unknown) => void = () => {}
  const writes: Array<[string, string | null]> = []
  let gets = 0
  const storage: TokenStorage = {
    get: () =>
      gets++ === 0
        ? new Promise<string | null>((resolve, reject) => {
            answer = resolve
            fail = reject
          })
        : Promise.resolve(null),
    set: async (key, value) => void writes.push([key, value]),
    remove: async (key) => void writes.push([key, null]),
  }
  return { storage, writes, answer: (v: string | null) => answer(v), fail: (e: unknown) => fail(e) }
}

function record(auth: ReturnType<typeof createAuthClient>) {
  const events: string[] = []
  const errors: AuthError[] = []
  auth.on('error', (e) => {
    errors.push(e)
    events.push(`error:${e.code}`)
  })
  auth.on('login', () => events.push('login'))
  auth.on('logout', (e) => events.push(`logout:${e.reason}`))
  return { events, errors }
}

describe('a start-up read that does not end', () => {
  it('stops waiting after refreshTimeout: signed out, storage_unavailable, ready resolved', async () => {
    const { storage } = stuckStorage()
    const auth = createAuthClient({ storage, refreshTimeout: 5_000 })
    const { events, errors } = record(auth)
    let ready = false
    void auth.ready.then(() => (ready = true))
    const token$ = auth.getAccessToken()
    await vi.advanceTimersByTimeAsync(4_999)
    expect(auth.getState().status).toBe('loading')
    expect(ready).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(ready).toBe(true)
    expect(auth.getState()).toMatchObject({
      status: 'unauthenticated',
      accessToken: null,
      error: { code: 'storage_unavailable', message: 'Storage read timed out' },
    })
    expect(errors[0]?.name).toBe('AuthError')
    expect(events).toEqual(['error:storage_unavailable'])
    // A caller that waited for the read is answered: there is no session.
    expect(await token$).toBeNull()
    auth.destroy()
  })

  it('takes the session the read finds when it ends at last, as a sign-in, and clears the error', async () => {
    const { storage, answer, writes } = stuckStorage()
    const at = token()
    const auth = createAuthClient({ storage, refreshTimeout: 5_000 })
    const { events } = record(auth)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(auth.getState().status).toBe('unauthenticated')
    answer(entryOf(at))
    await vi.advanceTimersByTimeAsync(0)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', accessToken: at, error: null })
    expect(events).toEqual(['error:storage_unavailable', 'login'])
    // Nothing was written over it, nor removed.
    expect(writes).toEqual([])
    auth.destroy()
  })

  it('renews a late session that has expired meanwhile, with its refresh token', async () => {
    const { storage, answer } = stuckStorage()
    const refresh = vi.fn(async () => ({ accessToken: token(), refreshToken: 'rt-2' }))
    const auth = createAuthClient({ storage, refreshTimeout: 5_000, refresh })
    await vi.advanceTimersByTimeAsync(5_000)
    expect(auth.getState().status).toBe('unauthenticated')
    answer(entryOf(token(-10)))
    await vi.advanceTimersByTimeAsync(0)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(refresh.mock.calls[0]).toMatchObject([{ refreshToken: 'rt' }])
    await vi.advanceTimersByTimeAsync(0)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', error: null })
    auth.destroy()
  })

  it('ignores a late read once a sign-in was made meanwhile: that is newer', async () => {
    const { storage, answer } = stuckStorage()
    const mine = token()
    const auth = createAuthClient({ storage, refreshTimeout: 5_000 })
    const { events } = record(auth)
    await vi.advanceTimersByTimeAsync(5_000)
    auth.setTokens({ accessToken: mine, refreshToken: 'mine' })
    answer(entryOf(token(600)))
    await vi.advanceTimersByTimeAsync(0)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', accessToken: mine })
    expect(events).toEqual(['error:storage_unavailable'])
    auth.destroy()
  })

  it('is ignored when it ends while a restore from no session is under way: that sign-in takes none of it', async () => {
    const { storage, answer, writes } = stuckStorage()
    let restored: (tokens: { accessToken: string }) => void = () => {}
    const refresh = vi.fn(() => new Promise<{ accessToken: string }>((resolve) => (restored = resolve)))
    const auth = createAuthClient({ storage, refreshTimeout: 5_000, refresh, refreshWithoutToken: true })
    const { events } = record(auth)
    await vi.advanceTimersByTimeAsync(5_000)
    // The app, seeing nobody signed in, restores the session its HttpOnly cookie holds.
    const restoring = auth.refresh()
    await vi.advanceTimersByTimeAsync(0)
    answer(entryOf(token(300, { sub: 'alice' }), 'alice-rt'))
    await vi.advanceTimersByTimeAsync(0)
    const bob = token(300, { sub: 'bob' })
    restored({ accessToken: bob })
    expect(await restoring).toBe(bob)
    // Taken, alice signed in for a moment, and the restored session was stored as a renewal of hers,
    // with her refresh token.
    expect(events).toEqual(['error:storage_unavailable', 'login'])
    expect(auth.getState()).toMatchObject({ accessToken: bob, canRefresh: true })
    expect(JSON.parse(writes.at(-1)![1]!)).toMatchObject({ at: bob, rt: null })
    auth.destroy()
  })

  it('reports a late garbage entry as storage_corrupt and removes it', async () => {
    const { storage, answer, writes } = stuckStorage()
    const auth = createAuthClient({ storage, refreshTimeout: 5_000 })
    const { events } = record(auth)
    await vi.advanceTimersByTimeAsync(5_000)
    answer('{"v":1')
    await vi.advanceTimersByTimeAsync(0)
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', error: { code: 'storage_corrupt' } })
    expect(events).toEqual(['error:storage_unavailable', 'error:storage_corrupt'])
    expect(writes).toEqual([['latchkey', null]])
    auth.destroy()
  })

  it('a late rejection is not reported twice, and the storage is still written to', async () => {
    const { storage, fail, writes } = stuckStorage()
    const auth = createAuthClient({ storage, refreshTimeout: 5_000 })
    const { events } = record(auth)
    await vi.advanceTimersByTimeAsync(5_000)
    fail(new Error('db closed'))
    await vi.advanceTimersByTimeAsync(0)
    expect(events).toEqual(['error:storage_unavailable'])
    // Kept, not replaced by memory: a sign-in made now survives a reload if the storage's writes work.
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    await vi.advanceTimersByTimeAsync(0)
    expect(writes.map(([key, value]) => [key, value !== null])).toEqual([['latchkey', true]])
    auth.destroy()
  })

  it('a logout() after the client gave up revokes the session the read finds, which signs nobody in', async () => {
    const { storage, answer, writes } = stuckStorage()
    const at = token()
    const revoked: unknown[] = []
    const auth = createAuthClient({
      storage,
      refreshTimeout: 5_000,
      logout: async ({ accessToken, refreshToken }) => void revoked.push({ accessToken, refreshToken }),
    })
    const { events } = record(auth)
    await vi.advanceTimersByTimeAsync(5_000)
    const done = auth.logout()
    await vi.advanceTimersByTimeAsync(1_000)
    answer(entryOf(at, 'stored-rt'))
    await done
    expect(revoked).toEqual([{ accessToken: at, refreshToken: 'stored-rt' }])
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', accessToken: null })
    expect(events).toEqual(['error:storage_unavailable', 'logout:user'])
    expect(writes).toEqual([['latchkey', null]])
    auth.destroy()
  })

  it('a logout() after a sign-in made once the client gave up revokes that sign-in, not what the read finds', async () => {
    const { storage, answer } = stuckStorage()
    const mine = token()
    const revoked: unknown[] = []
    const auth = createAuthClient({
      storage,
      refreshTimeout: 5_000,
      logout: async ({ refreshToken }) => void revoked.push(refreshToken),
    })
    await vi.advanceTimersByTimeAsync(5_000)
    auth.setTokens({ accessToken: mine, refreshToken: 'mine' })
    await auth.logout()
    answer(entryOf(token(), 'stored-rt'))
    await vi.advanceTimersByTimeAsync(0)
    expect(revoked).toEqual(['mine'])
    expect(auth.getState().status).toBe('unauthenticated')
    auth.destroy()
  })

  it('a read that ends in time reports nothing', async () => {
    const { storage, answer } = stuckStorage()
    const at = token()
    const auth = createAuthClient({ storage, refreshTimeout: 5_000 })
    const { events } = record(auth)
    await vi.advanceTimersByTimeAsync(4_999)
    answer(entryOf(at))
    await auth.ready
    await vi.advanceTimersByTimeAsync(10_000)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', accessToken: at, error: null })
    expect(events).toEqual([])
    auth.destroy()
  })

  it('a late read that finds nothing (`undefined`, as idb-keyval answers) clears the error and signs nobody in', async () => {
    const { storage, answer, writes } = stuckStorage()
    const auth = createAuthClient({ storage, refreshTimeout: 5_000 })
    const { events } = record(auth)
    await vi.advanceTimersByTimeAsync(5_000)
    answer(undefined as unknown as null)
    await vi.advanceTimersByTimeAsync(0)
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', error: null })
    expect(events).toEqual(['error:storage_unavailable'])
    expect(writes).toEqual([])
    auth.destroy()
  })

  it('destroy() after the client gave up leaves no timer, and the late read then takes nothing', async () => {
    const { storage, answer, writes } = stuckStorage()
    const auth = createAuthClient({ storage, refreshTimeout: 5_000 })
    const { events } = record(auth)
    await vi.advanceTimersByTimeAsync(5_000)
    auth.destroy()
    expect(vi.getTimerCount()).toBe(0)
    answer('{"v":1')
    await vi.advanceTimersByTimeAsync(0)
    expect(events).toEqual(['error:storage_unavailable'])
    expect(writes).toEqual([])
    expect(auth.getState().status).toBe('unauthenticated')
  })

  it('destroy() before the wait ends leaves no timer and reports nothing', async () => {
    const { storage } = stuckStorage()
    const auth = createAuthClient({ storage, refreshTimeout: 5_000 })
    const { events } = record(auth)
    auth.destroy()
    await auth.ready
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(events).toEqual([])
  })
})
