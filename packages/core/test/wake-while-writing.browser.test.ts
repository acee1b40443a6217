// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { createAuthClient, type RefreshContext, type TokenSet, type TokenStorage } from '../src'
import { token } from './helpers'

/**
 * A tab on a shared async storage whose writes land a few ms after they are made (an encrypting
 * wrapper: `set` awaits crypto.subtle.encrypt before it writes), while reads answer with what is there
 * now. The page wakes (focus) while the tab's own write is still landing: the read the wake makes may
 * not find that write, and what it finds is older than the session the tab holds.
 */
const wait = (ms = 30) => new Promise((r) => setTimeout(r, ms))
function writeBehind(backing: Map<string, string>): TokenStorage {
  return {
    get: async (k) => backing.get(k) ?? null,
    set: (k, v) => new Promise((r) => setTimeout(() => r(void backing.set(k, v)), 5)),
    remove: (k) => new Promise((r) => setTimeout(() => r(void backing.delete(k)), 5)),
    subscribe: () => () => {},
  }
}

describe('a wake while this tab’s own write is landing', () => {
  it('does not take back the entry that write replaces (its refresh token is not spent again)', async () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    const backing = new Map<string, string>()
    const spent: string[] = []
    const refresh = vi.fn(async ({ refreshToken }: RefreshContext): Promise<TokenSet> => {
      spent.push(refreshToken!)
      return { accessToken: token(300, { sub: 'alice', n: 9 }), refreshToken: 'rt-9' }
    })
    // Another tab's sign-in of alice (rt-0), stored; that tab renews it on (rt-0 is spent there).
    const other = createAuthClient({ storage: writeBehind(backing), storageKey: 'k' })
    await other.ready
    other.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    await wait()
    other.destroy()

    // A tab opened now: alice signs in anew there before its start-up read ended, and the page is
    // focused before that sign-in's write landed.
    const tab = createAuthClient({ storage: writeBehind(backing), storageKey: 'k', refresh })
    const events: string[] = []
    tab.on('login', () => events.push('login'))
    tab.on('refresh', () => events.push('refresh'))
    const mine = token(300, { sub: 'alice', n: 1 })
    tab.setTokens({ accessToken: mine, refreshToken: 'rt-1' })
    window.dispatchEvent(new Event('focus'))
    await tab.ready
    await wait()
    expect({
      held: tab.getState().accessToken === mine,
      events,
      stored: JSON.parse(backing.get('k')!).rt,
    }).toEqual({ held: true, events: [], stored: 'rt-1' })
    await tab.refresh()
    expect(spent).toEqual(['rt-1'])
    tab.destroy()
    vi.unstubAllGlobals()
  })
})
