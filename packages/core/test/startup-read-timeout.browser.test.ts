// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, type TokenStorage } from '../src'
import { T0, token } from './helpers'
import { createLocks } from './support/locks'

/**
 * A tab on a shared async storage (IndexedDB-like: it has `subscribe`) whose start-up read does not
 * end in time: the client gives up on it (see startup-read-timeout.test.ts), and storage is read again
 * before that first read ends, for another tab's news or a wake. What those later reads find is newer
 * than what the first one finds when it ends at last.
 */

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  // The storage's change events stand for the other tabs' news: handed over by the test.
  vi.stubGlobal('BroadcastChannel', undefined)
  vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

const KEY = 'latchkey'
const entryOf = (at: string) => JSON.stringify({ v: 1, at, rt: 'rt', sk: 0, g: 1, id: 'sign-in-1' })

/**
 * Its first get() answers only when the test says so (`answer`); later ones answer 5 ms later with what
 * `backing` held when asked. `tell` is a change event from another tab.
 */
function stuckShared(backing: Map<string, string>) {
  let answer: (value: string | null) => void = () => {}
  const listeners: Array<(value: string | null, old?: string | null) => void> = []
  let gets = 0
  const storage: TokenStorage = {
    get: (key) => {
      if (gets++ === 0) return new Promise((resolve) => (answer = resolve))
      const value = backing.get(key) ?? null
      return new Promise((resolve) => setTimeout(() => resolve(value), 5))
    },
    set: async (key, value) => void backing.set(key, value),
    remove: async (key) => void backing.delete(key),
    subscribe: (_key, onChange) => {
      listeners.push(onChange)
      return () => {}
    },
  }
  return {
    storage,
    answer: (value: string | null) => answer(value),
    tell: (value: string | null, old?: string) => {
      for (const onChange of listeners) onChange(value, old)
    },
  }
}

function record(auth: AuthClient) {
  const events: string[] = []
  auth.on('error', (e) => events.push(`error:${e.code}`))
  auth.on('login', () => events.push('login'))
  auth.on('logout', (e) => events.push(`logout:${e.reason}`))
  return events
}

describe('a start-up read given up on, of a shared async storage', () => {
  it('is ignored when it ends after news that another tab signed out: nobody signs in for a moment', async () => {
    const stored = entryOf(token(300, { sub: 'alice' }))
    const backing = new Map([[KEY, stored]])
    const { storage, answer, tell } = stuckShared(backing)
    const auth = createAuthClient({ storage, refreshTimeout: 5_000 })
    const events = record(auth)
    await vi.advanceTimersByTimeAsync(5_000)
    // Another tab signs out; this one, holding no session, reads storage for the news: it holds none.
    backing.delete(KEY)
    tell(null, stored)
    await vi.advanceTimersByTimeAsync(50)
    // The first read ends now, with the entry as it was before that sign-out.
    answer(stored)
    await vi.advanceTimersByTimeAsync(50)
    // Taken, it signed alice in (a `login`, her dashboard shown) until its own re-read signed her out.
    expect(events).toEqual(['error:storage_unavailable'])
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', accessToken: null })
    auth.destroy()
  })

  it('reports and removes garbage once, when a wake’s read found it first', async () => {
    const backing = new Map([[KEY, 'garbage']])
    const { storage, answer } = stuckShared(backing)
    const auth = createAuthClient({ storage, refreshTimeout: 5_000 })
    const events = record(auth)
    await vi.advanceTimersByTimeAsync(5_000)
    window.dispatchEvent(new Event('focus'))
    await vi.advanceTimersByTimeAsync(50)
    answer('garbage')
    await vi.advanceTimersByTimeAsync(50)
    expect(events).toEqual(['error:storage_unavailable', 'error:storage_corrupt'])
    expect(backing.has(KEY)).toBe(false)
    auth.destroy()
  })

  it('reports and removes garbage once, when it ends while a wake’s read is under way', async () => {
    const backing = new Map([[KEY, 'garbage']])
    const { storage, answer } = stuckShared(backing)
    const auth = createAuthClient({ storage, refreshTimeout: 5_000 })
    const events = record(auth)
    await vi.advanceTimersByTimeAsync(5_000)
    window.dispatchEvent(new Event('focus'))
    // The first read ends before the wake's (asked while storage held the garbage still).
    answer('garbage')
    await vi.advanceTimersByTimeAsync(50)
    expect(events).toEqual(['error:storage_unavailable', 'error:storage_corrupt'])
    expect(backing.has(KEY)).toBe(false)
    auth.destroy()
  })

  it('signs in once when a wake’s read found the session first', async () => {
    const at = token(300, { sub: 'alice' })
    const backing = new Map([[KEY, entryOf(at)]])
    const { storage, answer } = stuckShared(backing)
    const auth = createAuthClient({ storage, refreshTimeout: 5_000 })
    const events = record(auth)
    await vi.advanceTimersByTimeAsync(5_000)
    window.dispatchEvent(new Event('focus'))
    await vi.advanceTimersByTimeAsync(50)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', accessToken: at, error: null })
    answer(entryOf(at))
    await vi.advanceTimersByTimeAsync(50)
    expect(events).toEqual(['error:storage_unavailable', 'login'])
    expect(auth.getState()).toMatchObject({ status: 'authenticated', accessToken: at })
    auth.destroy()
  })
})
