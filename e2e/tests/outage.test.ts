import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Real Chromium: four tabs on localStorage while the refresh endpoint answers 503. The tabs try, retry
 * (one tab's failure counts for the others) and then wait for `online`, spending nothing; when `online`
 * reaches every tab at once and the endpoint is back, one tab spends the refresh token and the others
 * adopt its tokens. The endpoint rotates refresh tokens and refuses a second spend of one (reuse
 * detection), which must never trip.
 */
/** `<answer>:<refresh token>:<tab>` for every refresh call. */
const calls: string[] = []
let down = false
let current = 'rt-0'

const core = useCorePage({
  after: `
      window.events = []
      window.auth = latchkey.createAuthClient({
        storage: 'localStorage',
        retry: { attempts: 3, baseDelay: 200, maxDelay: 1_000 },
        refresh: async ({ refreshToken, signal }) => {
          const res = await fetch('/spend?rt=' + refreshToken + '&tab=' + name, { method: 'POST', signal })
          const body = await res.json()
          if (!res.ok) throw Object.assign(new Error('refused'), { status: res.status, error: body.error })
          return body
        },
      })
      for (const type of ['refresh', 'logout', 'expired'])
        auth.on(type, (e) => events.push(type + (e && e.reason ? ' ' + e.reason : '')))
      auth.on('refreshError', (e) => events.push('refreshError ' + e.error.status + ' ' + e.willRetry))`,
  spend(url, res) {
    const rt = url.searchParams.get('rt')!
    const answer = down ? '503' : rt === current ? 'ok' : 'reused'
    calls.push(`${answer}:${rt}:${url.searchParams.get('tab')}`)
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (answer === '503') return json(503, { error: 'temporarily_unavailable' })
    if (answer === 'reused') return json(400, { error: 'invalid_grant' })
    const n = Number(rt.slice(3)) + 1
    current = `rt-${n}`
    // Valid an hour: nothing more is due while the test looks.
    json(200, { accessToken: `at-${n}`, refreshToken: current, expiresIn: 3600 })
  },
})

const view = (page: Page) =>
  page.evaluate(() => {
    const { auth, events } = window as unknown as { auth: any; events: string[] }
    const s = auth.getState()
    return { status: s.status, token: s.accessToken, refreshing: s.isRefreshing, events: [...events] }
  })

it('four tabs through a 503 outage: nothing spent while it lasts, one spend when online comes back', async () => {
  const context = await core.browser.newContext()
  const pages: Page[] = []
  for (const name of ['a', 'b', 'c', 'd']) {
    const page = await context.newPage()
    await page.goto(`${core.server.origin}/`)
    await page.evaluate((n) => (window.name = n), name)
    pages.push(page)
  }
  down = true
  // Due after 2 s (half its lifetime), expired after 4 s.
  await pages[0]!.evaluate(() =>
    (window as any).auth.setTokens({ accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 4 }),
  )
  const views = () => Promise.all(pages.map(view))
  // Every tab spent its tries and waits for `online`, its token expired.
  await expect
    .poll(
      async () =>
        (await views()).every(
          (v) => v.status === 'expired' && !v.refreshing && v.events.includes('refreshError 503 false'),
        ),
      { timeout: 20_000 },
    )
    .toBe(true)
  expect(calls.every((c) => c.startsWith('503:rt-0:'))).toBe(true)
  const during = calls.length
  // The tabs tell each other their failures: about one call per round of retries (3 or 4 here), not one
  // per tab and round (12). Tabs whose tries fall out of step may add a call or two.
  expect(during, calls.join(' ')).toBeLessThanOrEqual(6)

  down = false
  // The network comes back: every tab hears `online` at once.
  await Promise.all(pages.map((p) => p.evaluate(() => dispatchEvent(new Event('online')))))
  await expect
    .poll(async () => (await views()).map((v) => [v.status, v.token, v.refreshing]), { timeout: 10_000 })
    .toEqual(Array(4).fill(['authenticated', 'at-1', false]))
  const after = calls.slice(during)
  const report = JSON.stringify({ calls, views: await views() })
  // One call, spending rt-0: the other tabs adopted its tokens, and nothing was reused.
  expect(after, report).toHaveLength(1)
  expect(after[0], report).toMatch(/^ok:rt-0:/)
  // Every tab told of the expiry and then of the renewal, once each.
  for (const v of await views())
    expect(
      v.events.filter((e) => !e.startsWith('refreshError')),
      report,
    ).toEqual(['expired', 'refresh'])
  await context.close()
})
