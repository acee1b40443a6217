import type { Route } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { authUrl, logIn, serverStats } from '../support/app'
import {
  allRefreshCalls,
  byCycle,
  configureServer,
  eventsOf,
  explained,
  openTabs,
  openTabsOf,
  report,
  type SharedMode,
  settle,
  type Tab,
  useTabsHarness,
  viewTab,
  waitFor,
  waitForOneSession,
  waitForStatusEverywhere,
} from '../support/tabs'

/** Seconds: latchkey refreshes at half of it (the app's 10 s leeway is capped at half the lifetime). */
const TTL = 5
const CYCLE = (TTL * 1000) / 2
const TABS = 5

const harness = useTabsHarness({ viewport: { width: 1000, height: 800 } })

/** Runs a test body with the tabs' state and the server's counters added to any failure. */
const withTabs = (body: () => Promise<void>) => explained(() => harness.tabs, body)

const statusesOf = (calls: { status: number | null }[]) => calls.map((c) => c.status)

describe.each<SharedMode>(['localStorage', 'cookie'])('five tabs sharing a session in %s mode', (mode) => {
  it('refresh once per cycle through 3 cycles of a 5 s token: one refresh per cycle, no reuse, one token in every tab', async () => {
    // No grace window: any second use of a refresh token shows up as refreshReuseDetected.
    await configureServer({ accessTtl: TTL, grace: 0 })
    harness.tabs = await openTabs(harness.context, TABS, mode)
    await withTabs(async () => {
      await logIn(harness.tabs[0]!.page)
      await waitForOneSession(harness.tabs)
      const loggedInAt = Date.now()
      await waitFor(
        '3 refreshes on the server',
        async () => (await serverStats()).refreshes >= 3,
        3 * CYCLE + 10_000,
      )
      const { stats, views, calls } = await settle(harness.tabs)
      const cycles = byCycle(calls)
      report(
        `${mode}, Web Locks, grace 0: ${stats.refreshes} refreshes in ${cycles.length} cycles over ` +
          `${((Date.now() - loggedInAt) / 1000).toFixed(1)} s; calls per cycle [${cycles.map((c) => c.length)}], ` +
          `sent by tabs [${calls.map((c) => c.tab)}]; reuse ${stats.refreshReuseDetected}`,
      )

      expect(stats.refreshReuseDetected).toBe(0)
      expect(stats.graceReplays).toBe(0)
      expect(stats.logins).toBe(1)
      expect(stats.refreshes).toBeGreaterThanOrEqual(3)
      // Every call the tabs sent was a rotation, each in a cycle of its own, each with a new token.
      expect(statusesOf(calls)).toEqual(calls.map(() => 200))
      expect(calls).toHaveLength(stats.refreshes)
      expect(cycles.map((c) => c.length)).toEqual(cycles.map(() => 1))
      expect(new Set(calls.map((c) => c.token)).size).toBe(stats.refreshes)
      // Every tab ends on the newest token, and saw each new token exactly once.
      for (const view of views) {
        expect(view.status).toBe('authenticated')
        expect(view.fingerprint).toBe(calls.at(-1)!.token)
        expect(eventsOf(view, 'refresh')).toHaveLength(stats.refreshes)
        expect(eventsOf(view, 'login')).toHaveLength(1)
        expect(eventsOf(view, 'logout')).toEqual([])
      }
    })
  })

  it('logout in one tab logs out all five, and login in one tab logs in the others', async () => {
    await configureServer({ accessTtl: TTL })
    harness.tabs = await openTabs(harness.context, TABS, mode)
    await withTabs(async () => {
      let started = Date.now()
      await logIn(harness.tabs[0]!.page)
      const first = await waitForOneSession(harness.tabs)
      const loginMs = Date.now() - started

      started = Date.now()
      await harness.tabs[2]!.page.getByTestId('logout-button').click()
      let views = await waitForStatusEverywhere(harness.tabs, 'unauthenticated')
      const logoutMs = Date.now() - started
      for (const view of views) {
        expect(eventsOf(view, 'logout')).toEqual([view.tab === 2 ? 'reason: user' : 'reason: other_tab'])
      }
      // Only the tab the user logged out in revokes the session on the server.
      await waitFor('the logout request', () => harness.tabs[2]!.logoutCalls === 1)
      expect(harness.tabs.map((t) => t.logoutCalls)).toEqual([0, 0, 1, 0, 0])
      const stored = await harness.tabs[0]!.page.evaluate(() => ({
        local: localStorage.getItem('latchkey'),
        cookie: document.cookie.split('; ').some((c) => c.startsWith('latchkey=')),
      }))
      expect(stored).toEqual({ local: null, cookie: false })

      started = Date.now()
      await logIn(harness.tabs[4]!.page)
      const second = await waitForOneSession(harness.tabs)
      const secondLoginMs = Date.now() - started
      expect(second).not.toBe(first)
      views = await Promise.all(harness.tabs.map(viewTab))
      for (const view of views) expect(eventsOf(view, 'login')).toHaveLength(2)
      expect((await serverStats()).logins).toBe(2)
      report(
        `${mode}: every tab signed in ${loginMs} ms after the click in tab 0, out ${logoutMs} ms after ` +
          `the click in tab 2, in again ${secondLoginMs} ms after the click in tab 4 (includes polling)`,
      )
    })
  })
})

describe('closing the tab that holds the refresh lock mid-refresh (localStorage, Web Locks)', () => {
  it('before its request left the browser: the lock dies with the tab and another tab refreshes with the unspent token (no wedge)', async () => {
    await configureServer({ accessTtl: TTL, grace: 0 })
    harness.tabs = await openTabs(harness.context, TABS, 'localStorage')
    let held: { tab: Tab; route: Route; at: number } | undefined
    for (const tab of harness.tabs) {
      await tab.page.route(`${authUrl}/auth/refresh`, (route: Route) => {
        if (route.request().method() !== 'POST' || held) return route.continue().catch(() => {})
        // Not continued: the first refresh (sent by the lock holder) waits in the browser.
        held = { tab, route, at: Date.now() }
      })
    }
    await withTabs(async () => {
      await logIn(harness.tabs[0]!.page)
      await waitForOneSession(harness.tabs)
      const {
        tab: lockHolder,
        route,
        at: heldAt,
      } = await waitFor('the lock holder to send its refresh', () => held, CYCLE + 5_000)
      // While it is held, the other tabs wait for the lock instead of refreshing.
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(allRefreshCalls(harness.tabs)).toHaveLength(1)
      expect((await serverStats()).refreshes).toBe(0)

      // Chromium lets a paused request go on when its tab closes (it then reaches the server: the
      // orphan case below), so it is failed in the same breath as the close, never reaching the server.
      const closedAt = Date.now()
      void route.abort('aborted').catch(() => {})
      await lockHolder.page.close()
      const takeover = await waitFor(
        'another tab to refresh',
        () => allRefreshCalls(openTabsOf(harness.tabs))[0],
      )
      await waitForOneSession(harness.tabs)
      const { stats, views, calls } = await settle(harness.tabs)
      report(
        `orphan-free close: tab ${lockHolder.index} held the lock ${closedAt - heldAt} ms with its request ` +
          `held; tab ${takeover.tab} refreshed ${takeover.at - closedAt} ms after the close; ` +
          `stats ${JSON.stringify(stats)}`,
      )
      expect(stats.refreshReuseDetected).toBe(0)
      expect(stats.graceReplays).toBe(0)
      // One tab spent the unspent token; the other three adopted what it stored and broadcast.
      expect(statusesOf(calls)).toEqual([200])
      expect(stats.refreshes).toBe(1)
      for (const view of views) {
        expect(view.status).toBe('authenticated')
        expect(view.fingerprint).toBe(calls[0]!.token)
        expect(eventsOf(view, 'logout')).toEqual([])
      }
    })
  })

  /** Logs in five tabs, delays the server's answer to the first refresh and closes its sender once the token is spent. */
  async function orphanTheFirstRefresh(grace: number): Promise<{ orphaner: Tab; closedAt: number }> {
    await configureServer({ accessTtl: TTL, grace })
    harness.tabs = await openTabs(harness.context, TABS, 'localStorage')
    await logIn(harness.tabs[0]!.page)
    await waitForOneSession(harness.tabs)
    // Long enough to close the tab after the rotation, whatever the load; only this answer waits.
    await configureServer({ refreshDelay: 3_000 })
    const first = await waitFor(
      'the first refresh call',
      () => allRefreshCalls(harness.tabs)[0],
      CYCLE + 5_000,
    )
    await waitFor('the server to spend the token', async () => (await serverStats()).refreshes === 1)
    await configureServer({ refreshDelay: 0 })
    const orphaner = harness.tabs[first.tab]!
    // The server has rotated, its answer is still on hold: closing now loses the new tokens.
    expect(first.status).toBeNull()
    const closedAt = Date.now()
    await orphaner.page.close()
    expect(first.status).toBeNull()
    return { orphaner, closedAt }
  }

  it('after the server rotated (the orphan hazard): the next tab spends the old token and the grace window answers it with the same new set', async () => {
    await withTabs(async () => {
      const { orphaner, closedAt } = await orphanTheFirstRefresh(5)
      await waitFor('a grace replay', async () => (await serverStats()).graceReplays >= 1, 8_000)
      // The server may count the replay before the browser reports the request to this process.
      const replayer = await waitFor('the replaying call', () => allRefreshCalls(openTabsOf(harness.tabs))[0])
      await waitForOneSession(harness.tabs)
      // The replayed set is live: the next cycle rotates it as usual.
      await waitFor('the next cycle', async () => (await serverStats()).refreshes >= 2, CYCLE + 5_000)
      const { stats, views, calls } = await settle(harness.tabs)
      report(
        `orphan with grace 5 s: tab ${orphaner.index} closed after the server rotated; tab ${replayer.tab} ` +
          `spent the old token ${replayer.at - closedAt} ms later → grace replay; stats ${JSON.stringify(stats)}`,
      )
      expect(stats.refreshReuseDetected).toBe(0)
      // One tab spent the orphaned token; the other three adopted what it stored and broadcast.
      expect(stats.graceReplays).toBe(1)
      expect(statusesOf(calls)).toEqual(calls.map(() => 200))
      expect(byCycle(calls).map((c) => c.length)).toEqual(byCycle(calls).map(() => 1))
      for (const view of views) {
        expect(view.status).toBe('authenticated')
        expect(eventsOf(view, 'logout')).toEqual([])
      }
    })
  })

  it('after the server rotated, without a grace window (the orphan hazard no client can fix alone): reuse is detected and every tab logs out exactly once', async () => {
    await withTabs(async () => {
      const { closedAt } = await orphanTheFirstRefresh(0)
      const views = await waitForStatusEverywhere(harness.tabs, 'unauthenticated', 8_000)
      const { stats, calls } = await settle(harness.tabs)
      report(
        `orphan with grace 0: ${calls.length} tab(s) spent the old token after the close ` +
          `(first ${calls[0] ? calls[0].at - closedAt : '?'} ms after); stats ${JSON.stringify(stats)}`,
      )
      expect(stats.refreshes).toBe(1)
      expect(stats.refreshReuseDetected).toBe(1)
      // One tab spent the old token and was refused; the others learnt the session ended while they
      // waited for the lock, so they do not call the server.
      expect(statusesOf(calls)).toEqual([401])
      const reasons = views.map((v) => eventsOf(v, 'logout'))
      for (const r of reasons) expect(r).toHaveLength(1)
      expect(reasons.flat().sort()).toEqual([
        'reason: other_tab',
        'reason: other_tab',
        'reason: other_tab',
        'reason: refresh_rejected',
      ])
    })
  })
})
