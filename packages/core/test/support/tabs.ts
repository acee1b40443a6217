import { afterEach, vi } from 'vitest'
import { type AuthClient, createAuthClient, type RefreshContext, type TokenSet } from '../../src'
import { token } from '../helpers'
import { clearCookies } from './browser'
import { createLocks } from './locks'

export const wait = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Tabs sharing a session under `key` in one happy-dom window, for the cross-tab tests: `track(client)`
 * destroys the client after the test, which also undoes global stubs and clears localStorage and
 * cookies. `deliver(value)` is the storage event a browser fires in the other tabs when the entry
 * changes; `stored()` is the entry.
 */
export function useTabs(key: string) {
  const clients: AuthClient[] = []
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
    vi.unstubAllGlobals()
    localStorage.clear()
    clearCookies()
  })
  const track = (auth: AuthClient) => {
    clients.push(auth)
    return auth
  }

  /**
   * Two tabs on localStorage without BroadcastChannel, so the test hands each tab's news to the other
   * itself, in the order it wants: A signed in (alice, `rt-0`), B opened on it. Their refresh waits
   * for `answer()`. Events land in `events` as `a: login`, `b: logout user`, …
   *
   * As the answer comes, the refreshing tab reads storage once more: a sign-out stored meanwhile ends its
   * refresh there. In Chromium, a tab in another process can still read the entry as it was (the other
   * tab's removal has not reached its copy of the area), and stores its result over the removal:
   * `answer()` puts back the entry a removal took (one window has one area), for that read to find.
   */
  const racingTabs = () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    let answer = () => {}
    const refresh = vi.fn(({ signal }: RefreshContext) => {
      const began = localStorage.getItem(key)
      return new Promise<TokenSet>((resolve, reject) => {
        answer = () => {
          unseen(began)
          resolve({ accessToken: token(300, { sub: 'alice', n: 2 }), refreshToken: 'rt-1' })
        }
        signal.addEventListener('abort', () => reject(signal.reason))
      })
    })
    const a = track(createAuthClient({ storage: 'localStorage', storageKey: key, refresh }))
    a.setTokens({ accessToken: token(300, { sub: 'alice' }), refreshToken: 'rt-0' })
    const b = track(createAuthClient({ storage: 'localStorage', storageKey: key, refresh }))
    const events: string[] = []
    logEvents(events, 'a', a)
    logEvents(events, 'b', b)
    return { a, b, events, refresh, answer: () => answer() }
  }

  /** A removal the refreshing tab has not seen yet: it reads the entry as it was (see racingTabs). */
  const unseen = (began: string | null) => {
    if (began !== null && localStorage.getItem(key) === null) localStorage.setItem(key, began)
  }

  return {
    track,
    racingTabs,
    unseen,
    deliver: (newValue: string | null) =>
      window.dispatchEvent(new StorageEvent('storage', { key, newValue, storageArea: localStorage })),
    stored: () => localStorage.getItem(key),
  }
}

/** Records a tab's `login`, `refresh` and `logout` events as `<name>: login`, `<name>: logout user`, … */
export function logEvents(events: string[], name: string, tab: AuthClient): void {
  tab.on('login', () => events.push(`${name}: login`))
  tab.on('refresh', () => events.push(`${name}: refresh`))
  tab.on('logout', (e) => events.push(`${name}: logout ${e.reason}`))
}
