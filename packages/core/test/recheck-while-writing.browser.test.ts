// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, type TokenStorage } from '../src'
import { token } from './helpers'
import { createLocks } from './support/locks'

/**
 * A tab on a shared async storage whose writes land late (an encrypting wrapper) hears of another tab's
 * entry and, before a re-check of it 100 ms later, stores a session of its own (a listener's setTokens())
 * whose write is still landing when the re-check reads. That read finds the entry the write replaces: it
 * must not be taken back over the newer session held here (its refresh token may be spent elsewhere).
 */
const wait = (ms = 30) => new Promise((r) => setTimeout(r, ms))
function storage(backing: Map<string, string>, lag: () => number): TokenStorage {
  return {
    get: async (k) => backing.get(k) ?? null,
    set: (k, v) => new Promise((r) => setTimeout(() => r(void backing.set(k, v)), lag())),
    remove: (k) => new Promise((r) => setTimeout(() => r(void backing.delete(k)), lag())),
    subscribe: () => () => {},
  }
}
function channels() {
  const open = new Set<{ name: string; onmessage: ((e: { data: unknown }) => void) | null }>()
  class Channel {
    onmessage: ((e: { data: unknown }) => void) | null = null
    constructor(readonly name: string) {
      open.add(this)
    }
    postMessage(data: unknown) {
      for (const c of open)
        if (c !== this && c.name === this.name)
          setTimeout(() => c.onmessage?.({ data: structuredClone(data) }), 1)
    }
    close() {
      open.delete(this)
    }
  }
  return Channel
}

afterEach(() => vi.unstubAllGlobals())

describe('a re-check of another tab’s entry while this tab’s own write is landing', () => {
  it('does not take back the entry that write replaces', async () => {
    vi.stubGlobal('BroadcastChannel', channels())
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const backing = new Map<string, string>()
    let slow = 5
    const a = createAuthClient({ storage: storage(backing, () => slow), storageKey: 'k' })
    const b = createAuthClient({ storage: storage(backing, () => 5), storageKey: 'k' })
    await Promise.all([a.ready, b.ready])
    const mine = token(300, { sub: 'bob', n: 2 })
    const events: string[] = []
    // A listener of the tab signs in on news of another tab's sign-in (any client method may be called).
    const off = a.on('login', () => {
      off()
      slow = 150
      a.setTokens({ accessToken: mine, refreshToken: 'rt-mine' })
    })
    b.setTokens({ accessToken: token(300, { sub: 'alice', n: 1 }), refreshToken: 'rt-other' })
    await wait(50)
    a.on('login', () => events.push('login'))
    a.on('refresh', () => events.push('refresh'))
    await wait(300)
    expect({
      held: a.getState().accessToken === mine,
      events,
      stored: JSON.parse(backing.get('k')!).rt,
    }).toEqual({ held: true, events: [], stored: 'rt-mine' })
    a.destroy()
    b.destroy()
  })
})
