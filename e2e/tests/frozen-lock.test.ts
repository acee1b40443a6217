import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { freeze } from '../support/lifecycle'
import {
  eventsOf,
  type LifecyclePage,
  signIn,
  sleep,
  stateOf,
  useLifecyclePages,
} from '../support/lifecyclePage'

/**
 * Real Chromium tabs, one of them frozen with CDP (`Page.setWebLifecycleState`) while it holds the refresh
 * lock: its refresh has started, and nothing of the page runs until it resumes, though the network goes on.
 * The endpoint rotates refresh tokens as a request arrives and refuses a spent one (`invalid_grant`, a
 * sign-out); `world.hold` keeps its answers back until the test lets them go. With `refreshTimeout` 2 s the
 * other tab waits for the lock at most 2 + 5 s, then takes it over (see tabSync.ts).
 */
const world = useLifecyclePages()
const what = () => world.spends.map((s) => s.what)
const log = (...args: unknown[]) => console.log('[latchkey-frozenlock]', ...args)
const TIMEOUT = 2_000
const WAIT = TIMEOUT + 5_000

type Tab = LifecyclePage & { pending: Promise<string>; go(): void }

/** Tabs A (in the background) and B (in front) of one key, signed in with at-0 / rt-0 for an hour. */
async function twoTabs(key: string, queryOfA = '') {
  const q = `key=${key}&timeout=${TIMEOUT}`
  const a = await world.open('A', `${q}&${queryOfA}`)
  const b = await world.open('B', q)
  await signIn(a, 3600)
  await b.waitForFunction(() => (window as unknown as Tab).auth.getState().accessToken === 'at-0')
  return { a, b, key }
}

/** Starts a refresh in A, which takes the lock: `pending` is what it resolves, or its error's code. */
const startRefresh = (page: Page) =>
  page.evaluate(() => {
    const tab = window as unknown as Tab
    tab.pending = tab.auth.refresh().catch((e: { code: string }) => `error ${e.code}`)
  })

/** What B's `getAccessToken()` settles with, asked for a token valid longer than the one held, and when. */
async function tokenOfB(b: Page) {
  const asked = Date.now()
  const token = await b.evaluate(() =>
    (window as unknown as Tab).auth
      .getAccessToken({ minValidity: 7200 })
      .catch((e: { code: string }) => `error ${e.code}`),
  )
  return { token, after: Date.now() - asked }
}

/** Status and token of each tab and what storage holds, with each tab's events (for messages). */
async function outcome(a: Page, b: Page, key: string) {
  const raw = await b.evaluate((key) => localStorage.getItem(key), key)
  const stored = raw && (JSON.parse(raw) as { at?: string }).at
  return {
    a: await stateOf(a),
    b: await stateOf(b),
    stored: stored ?? raw,
    events: { a: await eventsOf(a), b: await eventsOf(b) },
  }
}

it('a tab frozen holding the lock after its answer came takes that answer as it resumes, and spends nothing again', async () => {
  const { a, b, key } = await twoTabs('answered')
  world.hold = true
  await startRefresh(a)
  await expect.poll(what).toEqual(['rt-0:ok:A'])
  const frozen = await freeze(a)
  // The answer (at-1 / rt-1) reaches the frozen page's network stack; its own refresh timeout runs out
  // meanwhile, so at resume its refresh is overdue.
  for (const answer of world.held.splice(0)) answer()
  await sleep(TIMEOUT + 500)
  const resumed = Date.now()
  await frozen.thaw()
  expect(await a.evaluate(() => (window as unknown as Tab).pending)).toBe('at-1')
  log('answer taken', Date.now() - resumed, 'ms after the resume')
  // Any timer armed before the freeze has fired by now (a hidden tab's run on the next whole second).
  await sleep(1_100)
  const end = await outcome(a, b, key)
  expect(what(), JSON.stringify(end)).toEqual(['rt-0:ok:A'])
  expect({ a: end.a, b: end.b, stored: end.stored }).toEqual({
    a: { status: 'authenticated', accessToken: 'at-1' },
    b: { status: 'authenticated', accessToken: 'at-1' },
    stored: 'at-1',
  })
  // Not timed out, then renewed: the answer was taken as it came.
  expect(end.events.a).toEqual([
    '(pageshow)',
    '(freeze) authenticated',
    '(resume) authenticated',
    'refresh at-1',
  ])
}, 30_000)

it('a tab frozen holding the lock before its request left: the other takes the lock over, and the frozen one takes its token', async () => {
  const { a, b, key } = await twoTabs('unsent', 'gate=1')
  await startRefresh(a)
  // A holds the lock, and its request waits for go().
  await a.waitForFunction(() => typeof (window as unknown as Tab).go === 'function')
  const frozen = await freeze(a)
  const { token, after } = await tokenOfB(b)
  log('B’s getAccessToken() settled after', after, 'ms (its wait for the lock:', WAIT, 'ms) with', token)
  expect(token).toBe('at-1')
  expect(after).toBeGreaterThanOrEqual(WAIT)
  expect(what()).toEqual(['rt-0:ok:B'])
  await frozen.thaw()
  // Its refresh function goes on: the request it would send now carries rt-0, spent by B.
  await a.evaluate(() => (window as unknown as Tab).go())
  log('A’s refresh resolved', await a.evaluate(() => (window as unknown as Tab).pending))
  await sleep(1_100)
  const end = await outcome(a, b, key)
  log('A’s events', end.events.a)
  expect(what(), JSON.stringify(end)).toEqual(['rt-0:ok:B'])
  expect({ a: end.a, b: end.b, stored: end.stored }).toEqual({
    a: { status: 'authenticated', accessToken: 'at-1' },
    b: { status: 'authenticated', accessToken: 'at-1' },
    stored: 'at-1',
  })
  expect(end.events.a.filter((e) => /^(refreshError|logout|expired)/.test(e))).toEqual([])
}, 30_000)

it('a tab frozen holding the lock after the server rotated: the other tab does not wait for ever, and the tabs end as one', async () => {
  const { a, b, key } = await twoTabs('rotated')
  world.hold = true
  await startRefresh(a)
  await expect.poll(what).toEqual(['rt-0:ok:A'])
  const frozen = await freeze(a)
  const { token, after } = await tokenOfB(b)
  log('B’s getAccessToken() settled after', after, 'ms with', token, '; spends', what())
  // Bounded: the wait, the takeover and B's own call (its refresh timeout).
  expect(after).toBeLessThan(WAIT + TIMEOUT + 3_000)
  // A's answer reaches it while it is frozen; then it resumes.
  for (const answer of world.held.splice(0)) answer()
  await sleep(500)
  await frozen.thaw()
  log('A’s refresh resolved', await a.evaluate(() => (window as unknown as Tab).pending))
  await sleep(1_100)
  const end = await outcome(a, b, key)
  log('outcome', JSON.stringify(end))
  // A spent rt-0 once, before it froze: nothing after it resumed.
  expect(
    world.spends.filter((s) => s.what.endsWith(':A')).map((s) => s.what),
    JSON.stringify(end),
  ).toEqual(['rt-0:ok:A'])
  // Whatever B's takeover did, both tabs hold what storage holds, and it is no older session than the
  // newest the server gave out to a tab that kept it.
  expect(end.a, JSON.stringify(end)).toEqual(end.b)
  expect(end.stored ?? null, JSON.stringify(end)).toBe(end.a.accessToken)
  expect(end.a.status).not.toBe('expired')
  for (const tab of [end.events.a, end.events.b])
    expect(tab.filter((e) => e.startsWith('logout')).length).toBeLessThanOrEqual(1)
}, 30_000)
