import { beforeEach, expect, it } from 'vitest'
import { openSignedInTabs, useCorePage } from '../support/corePage'

/**
 * Real Chromium, two tabs on the cookie and no BroadcastChannel, so that nothing tells tab A of tab B's
 * sign-in: A's refresh call is running when B signs in anew, and the server then rejects A's refresh
 * token (400), as a server that revokes a user's old refresh tokens at a new sign-in does. A must take
 * B's sign-in from the cookie. It used to sign out and remove the cookie: the user, just signed in,
 * was signed out on the next reload and in every tab that read the cookie.
 */
let held: Array<() => void> = []
const spends: string[] = []
const core = useCorePage({
  before: 'delete window.BroadcastChannel',
  after: `
      window.events = []
      window.auth = latchkey.createAuthClient({
        storage: 'cookie',
        refresh: async ({ refreshToken }) => {
          const res = await fetch('/spend?rt=' + refreshToken, { method: 'POST' })
          if (!res.ok) throw new latchkey.RefreshError('rejected', { status: res.status })
          return res.json()
        },
      })
      for (const type of ['login', 'refresh', 'logout']) auth.on(type, (e) => events.push(type + (e?.reason ? ': ' + e.reason : '')))`,
  spend(url, res) {
    spends.push(url.searchParams.get('rt')!)
    held.push(() =>
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}'),
    )
  },
})

type Page = Window & { auth: any; events: string[]; running: Promise<string> }

beforeEach(() => {
  held = []
  spends.length = 0
})

it('a refresh rejected after another tab signed in takes that sign-in, and leaves it stored', async () => {
  const { context, a, b } = await openSignedInTabs(core, {
    accessToken: 'old',
    expiresIn: 3600,
    refreshToken: 'rt-old',
  })
  await a.evaluate(() => {
    const w = window as unknown as Page
    w.running = w.auth.refresh().catch((e: { code: string }) => `rejected: ${e.code}`)
  })
  await expect.poll(() => spends).toEqual(['rt-old'])
  await b.evaluate(() =>
    (window as unknown as Page).auth.setTokens({
      accessToken: 'new',
      expiresIn: 3600,
      refreshToken: 'rt-new',
    }),
  )
  // A's document.cookie shows B's write a few ms later (no event tells A of it).
  await a.waitForFunction(() => document.cookie.includes('new'))
  for (const answer of held.splice(0)) answer()
  const outcome = await a.evaluate(async () => {
    const w = window as unknown as Page
    return { refreshed: await w.running, token: w.auth.getState().accessToken, events: w.events }
  })
  expect(outcome).toEqual({ refreshed: 'rejected: no_refresh', token: 'new', events: ['refresh'] })
  // The sign-in is still stored: a reload finds it.
  await a.reload()
  expect(await a.evaluate(() => (window as unknown as Page).auth.getState().accessToken)).toBe('new')
  expect(await b.evaluate(() => (window as unknown as Page).auth.getState().accessToken)).toBe('new')
  await context.close()
})
