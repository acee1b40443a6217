// @vitest-environment happy-dom
import { afterEach, expect, it, vi } from 'vitest'
import { type AuthClient, type AuthClientOptions, createAuthClient } from '../src'
import { expiredToken, liveToken } from './support/clients'
import { createLocks } from './support/locks'

/**
 * sessionStorage copies of one sign-in (a duplicated tab) share its refresh. A copy made while its
 * original renewed the session starts with the old refresh token, already spent, and the renewal's news
 * went out before the copy listened: its first refresh waits for the answer of the copies open, or it
 * would spend that token again (a server that detects reuse then ends the session).
 */
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  vi.unstubAllGlobals()
  sessionStorage.clear()
})
const sleep = (ms = 30) => new Promise((r) => setTimeout(r, ms))

/** A server that rotates the refresh token and refuses one spent before (reuse detection). */
function rotating() {
  const spent: string[] = []
  let current = 'alice-0'
  let n = 0
  const refresh = vi.fn(async ({ refreshToken }: { refreshToken: string | null }) => {
    spent.push(refreshToken!)
    await sleep(10)
    if (refreshToken !== current) throw Object.assign(new Error('reused'), { status: 401 })
    current = `alice-${++n}`
    return { accessToken: liveToken('alice'), refreshToken: current }
  })
  return { spent, refresh }
}
function tab(options: AuthClientOptions) {
  const auth = createAuthClient({ storage: 'sessionStorage', ...options })
  clients.push(auth)
  return auth
}
/** A BroadcastChannel whose messages take `ms` to arrive (another process, a busy background tab). */
const slowChannel = (ms: number) =>
  class extends globalThis.BroadcastChannel {
    override postMessage(data: unknown) {
      setTimeout(() => super.postMessage(data), ms)
    }
  }

/** Tab A renews a due token; the copy it had of its storage before that is what a duplicate starts with. */
async function renewedAfterCopy(refresh: ReturnType<typeof rotating>['refresh']) {
  vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
  vi.stubGlobal('BroadcastChannel', slowChannel(20))
  const a = tab({ refresh })
  a.setTokens({ accessToken: expiredToken(), refreshToken: 'alice-0' })
  const copied = sessionStorage.getItem('latchkey')!
  await a.refresh()
  await sleep(100)
  return { a, copied }
}

it('a copy made just before its original renewed a due token spends nothing: it takes the renewal', async () => {
  const { spent, refresh } = rotating()
  const { a, copied } = await renewedAfterCopy(refresh)
  sessionStorage.setItem('latchkey', copied)
  const b = tab({ refresh })
  expect(b.getState().status).toBe('expired')
  await sleep(300)
  expect(spent).toEqual(['alice-0'])
  expect(b.getState()).toMatchObject({ status: 'authenticated', accessToken: a.getState().accessToken })
  expect(a.getState().status).toBe('authenticated')
})

/** The stored entry, with its access token replaced by one that has expired (the refresh token kept). */
const due = () => {
  const { x: _measured, l: _life, ...entry } = JSON.parse(sessionStorage.getItem('latchkey')!)
  sessionStorage.setItem('latchkey', JSON.stringify({ ...entry, at: expiredToken() }))
}

it('waits for the answer only when another copy is open: a reload refreshes at once', async () => {
  const { spent, refresh } = rotating()
  vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
  // The page before the reload, gone (its locks with it) before the new one runs.
  tab({ refresh }).setTokens({ accessToken: liveToken('alice'), refreshToken: 'alice-0' })
  clients.pop()!.destroy()
  await sleep()
  due()
  const b = tab({ refresh })
  expect(b.getState().status).toBe('expired')
  // One refresh call takes 10 ms here: well under the 500 ms a copy waits for an answer.
  await vi.waitFor(() => expect(b.getState().status).toBe('authenticated'), { timeout: 200, interval: 5 })
  expect(spent).toEqual(['alice-0'])
})

it('a copy whose other copies do not answer (a frozen tab) refreshes after the wait', async () => {
  const { spent, refresh } = rotating()
  vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })
  vi.stubGlobal('BroadcastChannel', slowChannel(2_000))
  // The original, open, answers 2 s late.
  tab({ refresh }).setTokens({ accessToken: liveToken('alice'), refreshToken: 'alice-0' })
  due()
  const b = tab({ refresh })
  expect(b.getState().status).toBe('expired')
  await sleep(300)
  expect(spent).toEqual([])
  await vi.waitFor(() => expect(b.getState().status).toBe('authenticated'), { timeout: 1_000, interval: 10 })
  expect(spent).toEqual(['alice-0'])
})
