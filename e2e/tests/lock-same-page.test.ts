import type { Page } from 'playwright-core'
import { afterAll, expect, it } from 'vitest'
import { RECORD_LOCKS, rotatingEndpoint, useCorePage } from '../support/corePage'

/**
 * Real Chromium: page X runs two clients of the same storageKey (x1, x2), page B one. Web Locks report
 * one clientId per page, so x1's hold and x2's look alike. x1 holds the lock; its refresh hangs and
 * times out after refreshTimeout; x2 (queued before B) then refreshes, slowly. When B's wait, begun
 * while x1 held the lock, runs out, the lock is held by a hold that began since: B must not take it
 * over from x2 mid-refresh (that spent rt-0 twice and signed every tab out).
 */
const { spends, release, spend } = rotatingEndpoint()

const core = useCorePage({
  before: RECORD_LOCKS,
  after: `
      window.events = []
      window.make = (label, refreshTimeout, hang) => {
        const auth = latchkey.createAuthClient({
          storage: 'localStorage',
          refreshTimeout,
          refresh: async ({ refreshToken, signal }) => {
            events.push(label + ' refresh ' + refreshToken)
            if (hang) return new Promise(() => {})
            const res = await fetch('/spend?rt=' + refreshToken + '&tab=' + label, { method: 'POST', signal })
            if (!res.ok) throw Object.assign(new Error('refresh failed'), { status: res.status })
            return res.json()
          },
        })
        for (const type of ['refresh', 'refreshError', 'logout'])
          auth.on(type, (e) => events.push(label + ' ' + type + ' ' + (e.error?.code ?? e.reason ?? e.accessToken)))
        return auth
      }`,
  spend,
})

afterAll(async () => {
  for (const answer of release.splice(0)) answer()
})

const holders = (page: Page) =>
  page.evaluate(async () =>
    ((await navigator.locks.query()).held ?? []).map((l) => `${l.name}@${l.clientId?.slice(0, 8)}`),
  )

it('a waiting tab does not take the lock from the second client of a page while it refreshes', async () => {
  const context = await core.browser.newContext()
  const x = await context.newPage()
  const b = await context.newPage()
  for (const p of [x, b]) await p.goto(`${core.server.origin}/`)
  // refreshTimeout 8 s everywhere: waits are bounded at 13 s.
  await x.evaluate(() => {
    const w = window as any
    w.x1 = w.make('x1', 8_000, true) // its refresh hangs: times out after 8 s
    w.x2 = w.make('x2', 8_000, false)
  })
  await b.evaluate(() => ((window as any).b = (window as any).make('b', 8_000, false)))
  await x.evaluate(() =>
    (window as any).x1.setTokens({ accessToken: 'opaque-0', expiresIn: 3600, refreshToken: 'rt-0' }),
  )
  await x.waitForFunction(() => (window as any).x2.getState().accessToken === 'opaque-0')
  await b.waitForFunction(() => (window as any).b.getState().accessToken === 'opaque-0')
  await x.evaluate(() => void (window as any).x1.refresh().catch(() => {}))
  await x.waitForFunction(() => (window as any).events.includes('x1 refresh rt-0'))
  const first = await holders(b)
  await x.evaluate(() => void (window as any).x2.refresh().catch(() => {})) // queued first
  await new Promise((r) => setTimeout(r, 200))
  await b.evaluate(
    () => void ((window as any).pending = (window as any).b.refresh().catch((e: any) => e.code)),
  )
  // x1 times out at ~8 s, x2 takes the lock and spends rt-0 (held back); B's wait ends at ~13 s.
  await expect.poll(() => spends.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1)
  const second = await holders(b)
  await new Promise((r) => setTimeout(r, 6_500))
  const spentWhileX2Refreshed = [...spends]
  for (const answer of release.splice(0)) answer()
  await new Promise((r) => setTimeout(r, 1_500))
  const diag = JSON.stringify(
    {
      first,
      second,
      x: await x.evaluate(() => ({ events: (window as any).events, lockLog: (window as any).lockLog })),
      b: await b.evaluate(() => ({ events: (window as any).events, lockLog: (window as any).lockLog })),
    },
    null,
    1,
  )
  expect(
    { sameClientId: first[0]!.split('@')[1] === second[0]!.split('@')[1], spends: spentWhileX2Refreshed },
    diag,
  ).toEqual({
    sameClientId: true,
    spends: ['rt-0:ok:x2'],
  })
  await context.close()
})
