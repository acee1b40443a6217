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
 * Real Chromium tabs frozen with CDP (`Page.setWebLifecycleState`), as Chromium freezes background
 * tabs: hidden, then no timer or task of the page runs until it resumes. The README says the client
 * "survives timers in background tabs": frozen past its token's expiry, a tab must renew at once when
 * it resumes, and a tab whose sibling renewed meanwhile must take that token, not spend the refresh
 * token again (the endpoint refuses a spent one, which would sign both out).
 */
const world = useLifecyclePages()
const what = () => world.spends.map((s) => s.what)

it('a tab frozen past its token’s expiry renews as soon as it resumes, and getAccessToken() resolves the new token', async () => {
  const a = await world.open('A', 'key=alone')
  // Valid 3 s: the leeway is capped at half of that, so the refresh is due after 1.5 s.
  await signIn(a, 3)
  const frozen = await freeze(a)
  await sleep(3_500)
  // Nothing ran while it was frozen: its refresh timer, due 2 s ago, slept with it.
  expect(what()).toEqual([])
  const resumed = Date.now()
  await frozen.thaw()
  // Renewed by the client itself (nothing here asks the page anything until it has spent).
  await expect.poll(what, { timeout: 3_000 }).toEqual(['rt-0:ok:A'])
  // At the `resume` event, not at the overdue timer: Chromium runs a hidden tab's timers only on the
  // next whole second, up to a second later.
  expect(world.spends[0]!.at - resumed).toBeLessThan(500)
  expect(await a.evaluate(() => (window as unknown as LifecyclePage).auth.getAccessToken())).toBe('at-1')
  expect(await stateOf(a)).toEqual({ status: 'authenticated', accessToken: 'at-1' })
  // As the page resumed, the client already said its token had expired (API.md: `authenticated` is a
  // token that has not expired), rather than `authenticated` until its sleeping timer fired.
  expect(await eventsOf(a)).toEqual([
    '(pageshow)',
    '(freeze) authenticated',
    'expired at-0',
    '(resume) expired',
    'refresh at-1',
  ])
})

it('a tab frozen while the other tab renews takes that token when it resumes and spends nothing', async () => {
  const a = await world.open('A', 'key=two')
  // B opens in front (A is now a background tab) and signs in; A hears of it, and freezes at once, long
  // before its refresh is due.
  const b = await world.open('B', 'key=two')
  const signedIn = Date.now()
  await signIn(b, 3)
  await a.waitForFunction(() => (window as unknown as LifecyclePage).auth.getState().accessToken === 'at-0')
  const frozen = await freeze(a)
  // B renews at 1.5 s; A's token and its refresh timer run out while it is frozen.
  await expect.poll(what, { timeout: 3_000 }).toEqual(['rt-0:ok:B'])
  await sleep(signedIn + 3_200 - Date.now())
  await frozen.thaw()
  expect(await a.evaluate(() => (window as unknown as LifecyclePage).auth.getAccessToken())).toBe('at-1')
  // Any timer it armed before it froze, overdue at resume, has had time to fire (a hidden tab's run on
  // the next whole second): rt-0 was spent once.
  await sleep(1_100)
  expect(what()).toEqual(['rt-0:ok:B'])
  expect(await stateOf(a)).toEqual({ status: 'authenticated', accessToken: 'at-1' })
  expect(await stateOf(b)).toEqual({ status: 'authenticated', accessToken: 'at-1' })
  // The news of B's renewal (its BroadcastChannel message) may reach A while it is frozen: Chromium
  // runs those tasks then. Either way A was told once, and never found its token expired.
  const events = await eventsOf(a)
  expect(events.filter((e) => !e.startsWith('(resume)'))).toEqual([
    '(pageshow)',
    'login at-0',
    '(freeze) authenticated',
    'refresh at-1',
  ])
  expect(events).toContain('(resume) authenticated')
})
