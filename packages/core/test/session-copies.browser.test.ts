// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AuthClient, type AuthClientOptions, createAuthClient } from '../src'
import { countChannels } from './support/browser'
import { liveToken } from './support/clients'
import { createLocks } from './support/locks'

/**
 * A tab opened as a copy of another ("Duplicate tab", `window.open`) starts with a copy of its
 * sessionStorage, refresh token included. Here two clients of one page read one sessionStorage entry,
 * as such copies do: they hold one sign-in, and must spend its refresh token once between them. (Real
 * tabs, each with an area of its own, are in e2e/tests/session-copies.test.ts.)
 */
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  vi.unstubAllGlobals()
  sessionStorage.clear()
  localStorage.clear()
})

const sleep = (ms = 30) => new Promise((r) => setTimeout(r, ms))
/**
 * The refresh endpoint of a server that rotates refresh tokens (`alice-0`, `alice-1`, …; the user
 * first), recorded as spent.
 */
const rotating = () => {
  const spent: string[] = []
  let n = 0
  const refresh = async ({ refreshToken }: { refreshToken: string | null }) => {
    spent.push(refreshToken!)
    await sleep(10)
    const user = refreshToken!.split('-')[0]
    return { accessToken: liveToken(user), refreshToken: `${user}-${++n}` }
  }
  return { spent, refresh }
}
function tab(options: AuthClientOptions) {
  const auth = createAuthClient({ storage: 'sessionStorage', ...options })
  clients.push(auth)
  const events: string[] = []
  auth.on('refresh', () => events.push('refresh'))
  auth.on('logout', (e) => events.push(`logout: ${e.reason}`))
  return { auth, events }
}
/** Tab A signs in; tab B opens as its copy (reads the entry A stored). */
function copies(options: AuthClientOptions = {}) {
  vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
  const a = tab(options)
  a.auth.setTokens({ accessToken: liveToken(), refreshToken: 'alice-0' })
  const b = tab(options)
  expect(b.auth.getState().accessToken).toBe(a.auth.getState().accessToken)
  return { a, b }
}

describe('createAuthClient: copies of one sessionStorage sign-in', () => {
  it('refresh once for both, cycle after cycle, and both take the new tokens', async () => {
    const { spent, refresh } = rotating()
    const { a, b } = copies({ refresh })
    for (let cycle = 0; cycle < 3; cycle++) {
      const [ta, tb] = await Promise.all([a.auth.refresh(), b.auth.refresh()])
      expect(ta).toBe(tb)
    }
    expect(spent).toEqual(['alice-0', 'alice-1', 'alice-2'])
    const now = a.auth.getState().accessToken
    expect(b.auth.getState().accessToken).toBe(now)
    expect(JSON.parse(sessionStorage.getItem('latchkey')!).at).toBe(now)
    // Each told of each new token once, whichever tab spent it.
    expect([a.events, b.events]).toEqual([Array(3).fill('refresh'), Array(3).fill('refresh')])
  })

  it('a copy that signs in anew leaves the other on its session: they refresh apart', async () => {
    const { spent, refresh } = rotating()
    const { a, b } = copies({ refresh })
    const alice = b.auth.getState().accessToken
    a.auth.setTokens({ accessToken: liveToken('bob'), refreshToken: 'bob-0' })
    const bob = a.auth.getState().accessToken
    await sleep()
    expect(b.auth.getState().accessToken).toBe(alice)
    const [ta, tb] = await Promise.all([a.auth.refresh(), b.auth.refresh()])
    expect(ta).not.toBe(tb)
    expect(spent.sort()).toEqual(['alice-0', 'bob-0'])
    await sleep()
    expect([a.auth.getState().claims?.sub, b.auth.getState().claims?.sub]).toEqual(['bob', 'alice'])
    expect(a.auth.getState().accessToken).not.toBe(bob)
    expect(b.events).toEqual(['refresh'])
  })

  it("a sign-out in one copy signs the other out (it holds the refresh token the sign-out ends); another sign-in's tab stays", async () => {
    const { refresh } = rotating()
    const { a, b } = copies({ refresh })
    const c = tab({ refresh, storageKey: 'latchkey' })
    // C stands for a tab signed in apart: its own sign-in (another user), as a sign-in in its own tab is.
    c.auth.setTokens({ accessToken: liveToken('carol'), refreshToken: 'carol-0' })
    await b.auth.refresh()
    await sleep()
    await a.auth.logout()
    await sleep()
    expect(b.auth.getState().status).toBe('unauthenticated')
    expect(b.events).toEqual(['refresh', 'logout: other_tab'])
    expect(c.auth.getState().claims?.sub).toBe('carol')
    expect(c.events).toEqual([])
  })

  it('a copy opened while the other renewed the session asks for it, and spends nothing', async () => {
    const { spent, refresh } = rotating()
    vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
    const a = tab({ refresh })
    a.auth.setTokens({ accessToken: liveToken(), refreshToken: 'alice-0' })
    const copied = sessionStorage.getItem('latchkey')!
    await a.auth.refresh()
    // B starts from the entry as it was copied, before the renewal (its news went out before B was there).
    sessionStorage.setItem('latchkey', copied)
    const b = tab({ refresh })
    await sleep()
    expect(b.auth.getState().accessToken).toBe(a.auth.getState().accessToken)
    await b.auth.refresh()
    expect(spent).toEqual(['alice-0', 'alice-1'])
  })

  it('a refresh waiting for the lock when its tab signs in another user ends with no_refresh, spending nothing', async () => {
    const { spent, refresh } = rotating()
    let release!: () => void
    const slow = async (context: { refreshToken: string | null }) => {
      await new Promise<void>((resolve) => {
        release = resolve
      })
      return refresh(context)
    }
    const { a, b } = copies({ refresh: slow })
    const first = a.auth.refresh()
    await sleep()
    const waiting = b.auth.refresh().catch((e: { code: string }) => e.code)
    await sleep()
    b.auth.setTokens({ accessToken: liveToken('bob'), refreshToken: 'bob-0' })
    expect(await waiting).toBe('no_refresh')
    release()
    await first
    await sleep()
    expect(spent).toEqual(['alice-0'])
    expect(b.auth.getState().claims?.sub).toBe('bob')
  })

  it('with syncTabs: false copies stay apart, as before (each spends the token it holds)', async () => {
    const { spent, refresh } = rotating()
    const { a, b } = copies({ refresh, syncTabs: false })
    await Promise.all([a.auth.refresh(), b.auth.refresh()])
    expect(spent).toEqual(['alice-0', 'alice-0'])
  })

  for (const webLocks of [true, false]) {
    const mode = webLocks ? 'Web Locks' : 'the localStorage lease'
    it(`sign-ins, refreshes and sign-outs in a loop leave one channel at most, and no lease behind (${mode})`, async () => {
      const channels = countChannels()
      vi.stubGlobal('navigator', { ...navigator, locks: webLocks ? createLocks() : undefined })
      const { spent, refresh } = rotating()
      let n = 0
      const login = async () => ({ accessToken: liveToken(`u${++n}`), refreshToken: `u${n}-0` })
      const { auth } = tab({ refresh, login })
      const seen: string[] = []
      for (let i = 0; i < 5; i++) {
        // Two sign-ins of other users in a row: the second leaves the first one's channel.
        await auth.login({})
        await auth.login({})
        await auth.refresh()
        seen.push(`${channels.open} open, ${localStorage.length} in localStorage`)
        await auth.logout()
        seen.push(`${channels.open} open, ${localStorage.length} in localStorage`)
      }
      expect(spent).toHaveLength(5)
      expect(seen).toEqual(Array(5).fill(['1 open, 0 in localStorage', '0 open, 0 in localStorage']).flat())
      await auth.login({})
      auth.destroy()
      expect(channels.open).toBe(0)
    })

    // The channel carries the tokens to whoever is on it. The names of the locks are seen by any script
    // of the origin (navigator.locks.query(), the lease in localStorage, its storage events): they must
    // not name the channel, or a script in any tab of the origin could join it and ask for the session.
    it(`a script of the origin that sees the refresh lock cannot tell the channel and get the tokens (${mode})`, async () => {
      const locks = createLocks()
      vi.stubGlobal('navigator', { ...navigator, locks: webLocks ? locks : undefined })
      let release!: () => void
      const { auth } = tab({
        refresh: async () => {
          await new Promise<void>((resolve) => {
            release = resolve
          })
          return { accessToken: liveToken(), refreshToken: 'alice-1' }
        },
      })
      auth.setTokens({ accessToken: liveToken(), refreshToken: 'alice-0' })
      const refreshing = auth.refresh()
      // The lease is taken after up to 260 ms.
      await sleep(400)
      const names = webLocks ? (await locks.query()).held.map((l) => l.name) : Object.keys(localStorage)
      expect(names.length).toBeGreaterThan(0)
      const heard: unknown[] = []
      const joined: BroadcastChannel[] = []
      for (const name of names)
        for (const guess of [
          name,
          name.replace(/:lock$/, ''),
          `latchkey:${name.split(':').slice(2).join(':')}`,
        ]) {
          const channel = new BroadcastChannel(guess)
          channel.onmessage = ({ data }) => heard.push(data)
          channel.postMessage(0)
          joined.push(channel)
        }
      await sleep()
      release()
      await refreshing
      await sleep()
      for (const channel of joined) channel.close()
      expect(heard.filter((d) => typeof d === 'string' && d.includes('alice-'))).toEqual([])
    })
  }
})
