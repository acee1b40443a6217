import { afterEach, beforeEach, vi } from 'vitest'
import { type AuthClient, createAuthClient, type TokenSet } from '../../src'
import { T0, token } from '../helpers'
import { createLocks } from './locks'
import { logEvents } from './tabs'

/**
 * A BroadcastChannel stand-in for tests on fake timers: Node's BroadcastChannel delivers on its own
 * event loop, which fake timers do not drive. Each message is posted as a timer task, in order.
 */
const open = new Set<Channel>()
export class Channel {
  onmessage: ((e: { data: unknown }) => void) | null = null
  constructor(readonly name: string) {
    open.add(this)
  }
  postMessage(data: unknown) {
    for (const c of open)
      if (c !== this && c.name === this.name) setTimeout(() => open.has(c) && c.onmessage?.({ data }), 0)
  }
  close() {
    open.delete(this)
  }
}

/** A channel of the default storageKey, as another tab's client holds it. */
export const otherTab = () => new Channel('latchkey:latchkey')
export const online = () => window.dispatchEvent(new Event('online'))

/**
 * Tabs of one session in one happy-dom window through an outage of the refresh endpoint: fake timers
 * from T0, the channel above, fake Web Locks, and a seeded Math.random (the jitter, and the ids of
 * sign-ins and lock holds, differ between tabs yet repeat per run). Returns the list of clients to
 * destroy after each test.
 */
export function useOutageTabs(): AuthClient[] {
  const clients: AuthClient[] = []
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 })
    let seed = 7
    vi.spyOn(Math, 'random').mockImplementation(
      () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647,
    )
    vi.stubGlobal('BroadcastChannel', Channel)
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
    vi.useRealTimers()
    vi.unstubAllGlobals()
    vi.restoreAllMocks()
    localStorage.clear()
    sessionStorage.clear()
  })
  return clients
}

/**
 * Tabs on localStorage (added to `clients`) whose refresh is `refresh(tab)`; the first signs in with a
 * 300 s token (due at 240 s). `calls` records `<tab> <ms since T0>`; events as `a: logout refresh_rejected`,
 * and failures as `a: refreshError refresh_failed 503 #1 true taken` (`taken`: from another tab).
 */
export function signedInTabs(
  clients: AuthClient[],
  names: string[],
  refresh: (tab: string) => Promise<TokenSet>,
  options = {},
) {
  const calls: string[] = []
  const events: string[] = []
  const list = names.map((name, i) => {
    const tab = createAuthClient({
      storage: 'localStorage',
      ...options,
      refresh: () => {
        calls.push(`${name} ${Date.now() - T0}`)
        return refresh(name)
      },
    })
    clients.push(tab)
    if (i === 0) tab.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    logEvents(events, name, tab)
    tab.on('refreshError', (e) =>
      events.push(
        `${name}: refreshError ${e.error.code} ${e.error.status} #${e.attempt} ${e.willRetry}${/another tab/.test(e.error.message) ? ' taken' : ''}`,
      ),
    )
    return tab
  })
  return { list, calls, events }
}
