import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { appUrl, logIn, serverStats } from '../support/app'
import { histogram, measureHandOff, measureLeaseRace } from '../support/hazards'
import {
  byCycle,
  configureServer,
  eventsOf,
  explained,
  openTabs,
  report,
  settle,
  useTabsHarness,
  waitFor,
  waitForOneSession,
} from '../support/tabs'

// Figures, not timed assertions: each test prints what it measured ([latchkey-tabs] lines) and asserts
// only what must hold whatever the timing.

const TTL = 5
const CYCLE = (TTL * 1000) / 2

const harness = useTabsHarness()

/** Blank pages of the app's origin (for its localStorage, Web Locks and BroadcastChannel). */
async function pagesOfTheOrigin(count: number): Promise<Page[]> {
  await harness.context.route(`${appUrl}/__blank`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>measure</title>' }),
  )
  const pages: Page[] = []
  for (let i = 0; i < count; i++) {
    const page = await harness.context.newPage()
    await page.goto(`${appUrl}/__blank`)
    pages.push(page)
  }
  return pages
}

/** How many renderer processes Chromium runs now: pages sharing one also share localStorage's cache. */
async function rendererProcesses(): Promise<number> {
  const cdp = await harness.browser.newBrowserCDPSession()
  try {
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as {
      processInfo: { type: string }[]
    }
    return processInfo.filter((p) => p.type === 'renderer').length
  } finally {
    await cdp.detach()
  }
}

const count = <T>(items: readonly T[], test: (item: T) => boolean) => items.filter(test).length

describe('measured in Chromium: the hazards behind the cross-tab design', () => {
  it('Web Locks hand-off: the tab granted the lock may read stale localStorage; the broadcast sent before release beats it', async () => {
    const [holder, waiter] = await pagesOfTheOrigin(2)
    const renderers = await rendererProcesses()
    const immediate = await measureHandOff(holder!, waiter!, 200, 0)
    const held = await measureHandOff(holder!, waiter!, 40, 50)
    const figures = (r: typeof immediate) =>
      `stale localStorage ${count(r, (t) => t.stale)}/${r.length}, broadcast not yet received ` +
      `${count(r, (t) => t.late)}/${r.length}, both (a stale read no broadcast can rescue) ` +
      `${count(r, (t) => t.stale && t.late)}/${r.length}`
    report(
      `hand-off, lock released at once after the write (${renderers} renderer processes): ${figures(immediate)}`,
    )
    report(`hand-off, lock kept 50 ms after the write, as latchkey does: ${figures(held)}`)
    expect(immediate).toHaveLength(200)
    expect(held).toHaveLength(40)
  })

  it('a localStorage lease taken by five tabs at the same instant: read-check-write, and write-wait-verify as latchkey does', async () => {
    const pages = await pagesOfTheOrigin(5)
    const rounds = 30
    const runs = {
      'read-check-write, same instant': await measureLeaseRace(pages, { trials: rounds, verify: 0 }),
      'write + 20 ms + re-check (latchkey), same instant': await measureLeaseRace(pages, {
        trials: rounds,
        verify: 20,
      }),
    }
    for (const [name, owners] of Object.entries(runs)) {
      report(`lease race, ${name}: {tabs holding it: rounds} ${JSON.stringify(histogram(owners))}`)
      expect(owners).toHaveLength(rounds)
    }
  })

  it('latchkey without Web Locks (the localStorage lease), five tabs, grace 5 s: double spends per cycle, and every tab ends on one session', async () => {
    // The server-side practice latchkey recommends: a double spend inside the grace window is answered
    // with the same set (counted as graceReplays) instead of a reuse-detected logout, so the session
    // survives every cycle and each one can be counted.
    await configureServer({ accessTtl: TTL, grace: 5 })
    harness.tabs = await openTabs(harness.context, 5, 'localStorage', { withoutWebLocks: true })
    await explained(
      () => harness.tabs,
      async () => {
        await logIn(harness.tabs[0]!.page)
        await waitForOneSession(harness.tabs)
        await waitFor('4 rotations', async () => (await serverStats()).refreshes >= 4, 4 * CYCLE + 10_000)
        const { stats, views, calls } = await settle(harness.tabs)
        const cycles = byCycle(calls)
        const spread = cycles.map((c) => c.at(-1)!.at - c[0]!.at)
        report(
          `lease fallback, 5 tabs: ${cycles.length} cycles, refresh calls per cycle [${cycles.map((c) => c.length)}] ` +
            `(tabs ${cycles.map((c) => c.map((x) => x.tab).join('+')).join(', ')}; spread ms [${spread}]); ` +
            `rotations ${stats.refreshes}, double spends answered by the grace window ${stats.graceReplays}, ` +
            `reuse detected ${stats.refreshReuseDetected}; aborted calls ${count(calls, (c) => c.status === null)}; ` +
            `'refresh' events per tab [${views.map((v) => eventsOf(v, 'refresh').length)}] for ${stats.refreshes} new tokens`,
        )

        // What holds whatever the timing, given the grace window. A tab that adopts another tab's
        // token while its own call is in flight aborts that call (the token may be spent already).
        expect(stats.refreshReuseDetected).toBe(0)
        const answered = calls.filter((c) => c.status !== null)
        expect(answered.map((c) => c.status)).toEqual(answered.map(() => 200))
        expect(calls.filter((c) => c.status === null).map((c) => c.failure)).toEqual(
          calls.filter((c) => c.status === null).map(() => 'net::ERR_ABORTED'),
        )
        // One rotation per cycle; every other spend in a cycle was a replay of that rotation.
        expect(stats.refreshes).toBe(cycles.length)
        expect(stats.refreshes + stats.graceReplays).toBeGreaterThanOrEqual(answered.length)
        expect(stats.refreshes + stats.graceReplays).toBeLessThanOrEqual(calls.length)
        for (const view of views) {
          expect(view.status).toBe('authenticated')
          expect(view.fingerprint).toBe(answered.findLast((c) => c.token)!.token)
          expect(eventsOf(view, 'logout')).toEqual([])
        }
      },
    )
  })
})
