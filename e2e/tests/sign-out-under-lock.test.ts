import { afterAll, beforeEach, expect, it } from 'vitest'
import { openSignedInTabs, useCorePage } from '../support/corePage'

/**
 * Real Chromium tabs sharing a session through the cookie, in a browser without BroadcastChannel: a
 * sign-out in one tab reaches the others by no event. The next refresh in another tab reads the
 * cookie under the refresh lock and must follow the sign-out there. Refreshing instead would spend
 * the refresh token and store a new session: with a server that does not revoke refresh tokens at
 * logout (this one), the user would be signed back in, in every tab and on the next reload.
 */
const spends: string[] = []
// While set, the refresh endpoint's answers wait here until the test sends them.
let held: Array<() => void> | null = null

let n = 0
const core = useCorePage({
  before: 'delete window.BroadcastChannel',
  after: `
      window.events = []
      window.auth = latchkey.createAuthClient({
        storage: 'cookie',
        refresh: async ({ refreshToken }) => (await fetch('/spend?rt=' + refreshToken, { method: 'POST' })).json(),
      })
      auth.on('logout', (e) => events.push('logout: ' + e.reason))
      auth.on('refresh', () => events.push('refresh'))
      auth.on('login', () => events.push('login'))`,
  spend(url, res) {
    spends.push(url.searchParams.get('rt')!)
    const answer = () =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accessToken: `opaque-${++n}`, expiresIn: 3600, refreshToken: `rt-${n}` }))
    if (held) held.push(answer)
    else answer()
  },
})

afterAll(async () => {
  for (const answer of held?.splice(0) ?? []) answer()
})

type Page = Window & { auth: any; events: string[] }
const SIGNED_IN = { accessToken: 'opaque-0', expiresIn: 3600, refreshToken: 'rt-0' }

beforeEach(() => {
  spends.length = 0
  held = null
})

it('a sign-out in another tab is followed by the next refresh here: nothing spent, nobody signed back in', async () => {
  // B opens with the session from the cookie, and signs out.
  const { context, a, b } = await openSignedInTabs(core, SIGNED_IN)
  expect(await a.evaluate(() => typeof BroadcastChannel)).toBe('undefined')
  expect(await b.evaluate(() => (window as unknown as Page).auth.getState().accessToken)).toBe('opaque-0')
  await b.evaluate(() => (window as unknown as Page).auth.logout())
  // A heard nothing of it.
  expect(await a.evaluate(() => (window as unknown as Page).auth.getState().accessToken)).toBe('opaque-0')
  const refreshed = await a.evaluate(() =>
    (window as unknown as Page).auth.refresh().catch((e: { code: string }) => `rejected: ${e.code}`),
  )
  const state = await a.evaluate(() => {
    const { auth, events } = window as unknown as Page
    return { status: auth.getState().status, events, cookie: document.cookie }
  })
  expect({ refreshed, spends, ...state }).toEqual({
    refreshed: 'rejected: no_refresh',
    spends: [],
    status: 'unauthenticated',
    events: ['logout: other_tab'],
    cookie: '',
  })
  // A reload signs nobody in.
  await b.reload()
  expect(await b.evaluate(() => (window as unknown as Page).auth.getState().status)).toBe('unauthenticated')
  await context.close()
})

it('a refresh whose answer comes just after a sign-out in another tab is dropped, not stored over it', async () => {
  const { context, a, b } = await openSignedInTabs(core, SIGNED_IN)
  // A's refresh is on the wire when B signs out; its answer comes after. A reads the cookie as the
  // answer comes, finds the sign-out, and follows it instead of storing the renewed session over it
  // (which B would then have to remove when it next looks).
  held = []
  await a.evaluate(() => {
    const page = window as unknown as Page & { refreshing: Promise<unknown> }
    page.refreshing = page.auth.refresh()
  })
  await expect.poll(() => spends).toEqual(['rt-0'])
  await b.evaluate(() => (window as unknown as Page).auth.logout())
  held.splice(0)[0]!()
  held = null
  const result = await a.evaluate(() =>
    (window as unknown as Page & { refreshing: Promise<unknown> }).refreshing.then(
      () => 'stored',
      (e: { code: string }) => `rejected: ${e.code}`,
    ),
  )
  const stateOf = (page: typeof a) =>
    page.evaluate(() => {
      const { auth, events } = window as unknown as Page
      return { status: auth.getState().status, events, cookie: document.cookie }
    })
  expect(result).toBe('rejected: no_refresh')
  expect(await stateOf(a)).toEqual({ status: 'unauthenticated', events: ['logout: other_tab'], cookie: '' })
  await b.evaluate(() => window.dispatchEvent(new Event('focus')))
  expect(await stateOf(b)).toEqual({ status: 'unauthenticated', events: ['logout: user'], cookie: '' })
  expect(spends).toEqual(['rt-0'])
  await b.reload()
  expect(await b.evaluate(() => (window as unknown as Page).auth.getState().status)).toBe('unauthenticated')
  await context.close()
})
