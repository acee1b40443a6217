import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import {
  eventsOf,
  type LifecyclePage,
  signIn,
  sleep,
  stateOf,
  useLifecyclePages,
} from '../support/lifecyclePage'

/**
 * Real Chromium's back-forward cache: a tab that navigates away keeps its page, frozen, and `goBack()`
 * restores it (`pageshow` with `persisted`) with its client as it was, timers and all. The README says
 * the client re-reads shared storage on `pageshow`, so a restored page learns what other tabs did while
 * it was away. (Chromium fires `resume`, `visibilitychange` and `pageshow` then, in that order, and the
 * storage events queued for the page after them: an app's own `pageshow` handler must already see it.)
 *
 * What Chromium allows: an open BroadcastChannel (latchkey's, one per client) does not keep a page out
 * of the cache, but a message on it while the page is there evicts the page
 * (`BroadcastChannelOnMessage`). Every entry a client stores or removes is broadcast, so the client
 * closes its channel as the page enters the cache and opens it again on its return: a renewal or a
 * logout in another tab of the same key leaves the page there, and it takes it from storage on return.
 */
const world = useLifecyclePages()
const what = () => world.spends.map((s) => s.what)
const auth = (page: Page, method: 'refresh' | 'logout') =>
  page.evaluate((method) => (window as unknown as LifecyclePage).auth[method](), method)

/**
 * A and B on `key` (B with `bQuery`, A with `aQuery`), A in front: the tab that navigates. B signs in (valid `expiresIn`
 * seconds) only then, so A's own refresh cannot come due before it leaves; A hears of it (a broadcast,
 * or from B with `sync=0` the storage event).
 */
async function twoTabs(key: string, bQuery = '', expiresIn = 3600, aQuery = '') {
  const a = await world.open('A', `key=${key}&${aQuery}`)
  const b = await world.open('B', `key=${key}&${bQuery}`)
  await a.bringToFront()
  // Why Chromium did not restore A, when it did not (CDP's explanation of the last back navigation).
  const cdp = await a.context().newCDPSession(a)
  const notRestored: string[] = []
  cdp.on('Page.backForwardCacheNotUsed', (e) => {
    for (const x of e.notRestoredExplanations) notRestored.push(x.reason)
  })
  await cdp.send('Page.enable')
  const signedIn = Date.now()
  await signIn(b, expiresIn)
  await a.waitForFunction(() => (window as unknown as LifecyclePage).auth.getState().accessToken === 'at-0')
  return { a, b, notRestored, signedIn }
}

async function awayAndBack(a: Page, meanwhile: () => Promise<unknown>) {
  await a.goto(`${world.origin}/api/away`)
  await meanwhile()
  await sleep(200)
  await a.goBack({ waitUntil: 'commit' })
  await a.waitForFunction(() =>
    (window as unknown as LifecyclePage).events?.some((e) => e.startsWith('(pageshow')),
  )
}

it('a page restored from the back-forward cache takes the renewal another tab made while its token expired', async () => {
  // Valid 2 s: B (whose client stores without broadcasting, so nothing evicts A) renews after 1 s, by
  // its own timer; A comes back once its token has expired, its refresh overdue.
  const { a, notRestored, signedIn } = await twoTabs('restored-renewal', 'sync=0', 2)
  await awayAndBack(a, async () => {
    await expect.poll(what, { timeout: 3_000 }).toEqual(['rt-0:ok:B'])
    await sleep(signedIn + 2_100 - Date.now())
  })
  expect(notRestored).toEqual([])
  expect(await stateOf(a)).toEqual({ status: 'authenticated', accessToken: 'at-1' })
  const events = await eventsOf(a)
  // The same page, its client kept (`persisted`), told once, and before the app's own pageshow handler.
  expect(events).toContain('(pageshow persisted)')
  expect(events.filter((e) => !e.startsWith('('))).toEqual(['login at-0', 'refresh at-1'])
  expect(events.indexOf('refresh at-1')).toBeLessThan(events.indexOf('(pageshow persisted)'))
  // A did not spend rt-0 again: it took B's token from storage before its overdue timer ran.
  await sleep(500)
  expect(what()).toEqual(['rt-0:ok:B'])
})

it('a page restored from the back-forward cache learns of a logout another tab made while it was away', async () => {
  const { a, b, notRestored } = await twoTabs('restored-logout', 'sync=0')
  await awayAndBack(a, () => auth(b, 'logout'))
  expect(notRestored).toEqual([])
  expect(await stateOf(a)).toEqual({ status: 'unauthenticated', accessToken: null })
  const events = await eventsOf(a)
  expect(events).toContain('(pageshow persisted)')
  expect(events.filter((e) => !e.startsWith('('))).toEqual(['login at-0', 'logout other_tab'])
  expect(events.indexOf('logout other_tab')).toBeLessThan(events.indexOf('(pageshow persisted)'))
  expect(what()).toEqual([])
})

it.each([
  ['renewal', 'refresh', { status: 'authenticated', accessToken: 'at-1' }, 'refresh at-1'],
  ['logout', 'logout', { status: 'unauthenticated', accessToken: null }, 'logout other_tab'],
] as const)(
  'a %s broadcast by another tab of the same key leaves a page in the back-forward cache, which takes it on return',
  async (_, method, state, told) => {
    const { a, b, notRestored } = await twoTabs(`broadcast-${method}`)
    await awayAndBack(a, () => auth(b, method))
    // The page closed its channel as it left: the broadcast did not reach it, and evicted nothing.
    expect(notRestored).toEqual([])
    expect(await stateOf(a)).toEqual(state)
    const events = await eventsOf(a)
    expect(events).toContain('(pageshow persisted)')
    expect(events.filter((e) => !e.startsWith('('))).toEqual(['login at-0', told])
    // Its channel is open again: a sign-in in B now reaches A as before.
    await signIn(b, 3600)
    await a.waitForFunction(
      () => (window as unknown as LifecyclePage).auth.getState().accessToken === 'at-0' || undefined,
      undefined,
      { timeout: 3_000 },
    )
    expect(what()).toEqual(method === 'refresh' ? ['rt-0:ok:B'] : [])
  },
)

it.each([
  ['renewal', 'refresh', { status: 'authenticated', accessToken: 'at-1' }],
  ['logout', 'logout', { status: 'unauthenticated', accessToken: null }],
] as const)(
  'a memory session shared over the channel: a %s in another tab evicts the page, which comes back reloaded and asks the tabs',
  async (_, method, state) => {
    // No shared storage holds what B did: restored as it left, A would hold the session B renewed (its
    // spent refresh token) or ended. It keeps its channel, so B's broadcast evicts it, as before.
    const memory = 'storage=memory&sync=memory'
    const { a, b, notRestored } = await twoTabs(`memory-${method}`, memory, 3600, memory)
    await awayAndBack(a, () => auth(b, method))
    await expect.poll(() => stateOf(a), { timeout: 3_000 }).toEqual(state)
    // A new page: it started signed out and asked the open tabs, which answered with what they hold.
    expect(notRestored).toContain('BroadcastChannelOnMessage')
    expect(await eventsOf(a)).not.toContain('(pageshow persisted)')
    expect(what()).toEqual(method === 'refresh' ? ['rt-0:ok:B'] : [])
  },
)

it('a logout an app makes in its own pagehide handler reaches the cookie tabs, and leaves the page in the cache', async () => {
  // Tabs that keep the session in a cookie hear of it by the channel alone: no storage event comes. The
  // client closed its channel as the page left (its pagehide listener runs before the app's), so the
  // news goes on a channel opened for it and closed at once, which hears nothing and evicts nothing.
  const cookie = 'storage=cookie'
  const { a, b, notRestored } = await twoTabs('pagehide-logout', cookie, 3600, cookie)
  await a.evaluate(() =>
    addEventListener('pagehide', (e) => {
      if (e.persisted) void (window as unknown as LifecyclePage).auth.logout()
    }),
  )
  await awayAndBack(a, () =>
    expect
      .poll(() => stateOf(b), { timeout: 3_000 })
      .toEqual({ status: 'unauthenticated', accessToken: null }),
  )
  expect((await eventsOf(b)).filter((e) => !e.startsWith('('))).toEqual(['logout other_tab'])
  expect(notRestored).toEqual([])
  expect(await stateOf(a)).toEqual({ status: 'unauthenticated', accessToken: null })
  expect((await eventsOf(a)).filter((e) => !e.startsWith('('))).toEqual(['login at-0', 'logout user'])
  expect(what()).toEqual([])
})
