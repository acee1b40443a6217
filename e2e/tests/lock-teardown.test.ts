import { afterAll, expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Real Chromium tabs (Web Locks, BroadcastChannel, localStorage) on a page of their own: a tab torn
 * down (React unmount, HMR: `destroy()`) while it waits for the refresh lock must leave the lock to
 * the tab that is refreshing. Taking it over would make that tab's lock request reject, and the
 * refresh token be spent twice.
 */
const spends: string[] = []
const release: Array<() => void> = []

let n = 0
const core = useCorePage({
  before: `
      window.lockLog = []
      const request = navigator.locks.request.bind(navigator.locks)
      navigator.locks.request = (name, options, fn) => {
        // A hold's own mark has a random name: logged without it.
        lockLog.push('request ' + name.replace(/^latchkey-hold:[^:]*/, 'latchkey-hold') + ' ' + JSON.stringify({ steal: options.steal }))
        const p = request(name, options, fn)
        p.catch((e) => lockLog.push('rejected ' + e.name))
        return p
      }`,
  after: `
      window.auth = latchkey.createAuthClient({
        storage: 'localStorage',
        refresh: async ({ refreshToken }) => (await fetch('/spend?rt=' + refreshToken, { method: 'POST' })).json(),
      })`,
  spend(url, res) {
    const rt = url.searchParams.get('rt')!
    spends.push(rt)
    // The refresh endpoint answers when the test says so.
    release.push(() =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accessToken: `opaque-${++n}`, expiresIn: 3600, refreshToken: `${rt}+` })),
    )
  },
})

afterAll(async () => {
  for (const answer of release.splice(0)) answer()
})

type Page = Window & { auth: any; lockLog: string[]; pending: Promise<unknown> }

it('a tab destroyed while it waits for the refresh lock leaves it to the tab refreshing (r1 spent once)', async () => {
  const context = await core.browser.newContext()
  const a = await context.newPage()
  await a.goto(`${core.server.origin}/`)
  const b = await context.newPage()
  await b.goto(`${core.server.origin}/`)
  await a.evaluate(() =>
    (window as unknown as Page).auth.setTokens({
      accessToken: 'opaque-0',
      expiresIn: 3600,
      refreshToken: 'r1',
    }),
  )
  await b.waitForFunction(() => (window as unknown as Page).auth.getState().accessToken === 'opaque-0')
  await a.evaluate(() => void (window as unknown as Page).auth.refresh()) // A takes the lock, spends r1
  await expect.poll(() => spends.length).toBe(1)
  await b.evaluate(() => {
    const page = window as unknown as Page
    page.pending = page.auth.refresh().catch((e: { code: string }) => e.code) // B waits for the lock
  })
  await new Promise((resolve) => setTimeout(resolve, 100))
  await b.evaluate(() => (window as unknown as Page).auth.destroy())
  await new Promise((resolve) => setTimeout(resolve, 500))
  const lockLogOfA = await a.evaluate(() => (window as unknown as Page).lockLog)
  const spentWhileALocked = [...spends]
  for (const answer of release.splice(0)) answer()
  expect(await b.evaluate(() => (window as unknown as Page).pending)).toBe('destroyed')
  // A's lock (and its hold's mark) were never taken from it: requested once each, never rejected.
  expect({ spentWhileALocked, lockLogOfA }).toEqual({
    spentWhileALocked: ['r1'],
    lockLogOfA: ['request latchkey:latchkey {}', 'request latchkey-hold:latchkey {}'],
  })
  await context.close()
})
