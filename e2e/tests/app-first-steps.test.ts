import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { appUrl, authUrl, logIn, resetStats, serverStats, waitForStatus } from '../support/app'
import { launchChromium } from '../support/browser'

// What someone trying the example app for the first time runs into: the app opened under another
// name than the one the auth server allows, and more than one tab.

let browser: Browser
let context: BrowserContext
let pageErrors: Error[]

beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
})
beforeEach(async () => {
  await resetStats()
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  pageErrors = []
  context.on('weberror', (e) => pageErrors.push(e.error()))
})
afterEach(async () => {
  await context?.close()
  expect(pageErrors.map(String)).toEqual([])
})

describe('react-spa, first steps', () => {
  it('says that the auth server refuses the page origin (CORS), not that it is down, on http://localhost', async () => {
    // `pnpm start` lets the auth server answer http://127.0.0.1:<port> only; localhost serves the same app.
    const elsewhere = appUrl.replace('127.0.0.1', 'localhost')
    const page = await context.newPage()
    await page.goto(elsewhere)
    await logIn(page)
    const error = page.getByTestId('login-error')
    await error.waitFor()
    const text = (await error.textContent()) ?? ''
    expect(text).not.toMatch(/is it running/i)
    expect(text).toContain(new URL(elsewhere).origin)
    // Where the sign-in works: the same page on 127.0.0.1.
    expect(text).toContain(appUrl)
    expect((await serverStats()).logins).toBe(0)
  })

  it('a storage mode chosen in one tab is the mode of every tab', async () => {
    const a = await context.newPage()
    await a.goto(appUrl)
    await a.getByTestId('storage-mode').waitFor()
    const b = await context.newPage()
    await b.goto(appUrl)
    await b.getByTestId('storage-mode').waitFor()
    await a.getByTestId('storage-mode').selectOption('localStorage')
    await logIn(a)
    await waitForStatus(b, 'authenticated')

    await a.getByTestId('storage-mode').selectOption('cookie')
    await waitForStatus(b, 'unauthenticated')
    // The choice is kept for the whole origin, so a reload of B would take it: B shows it now.
    await b
      .locator('[data-testid="storage-mode"] option[value="cookie"]:checked')
      .waitFor({ state: 'attached' })
    expect(await b.getByTestId('storage-mode').inputValue()).toBe('cookie')

    // A sign-in in A's cookie session is one B holds in the mode it shows, and keeps on reload.
    await logIn(a)
    await waitForStatus(b, 'authenticated')
    expect(await b.getByTestId('storage-mode').inputValue()).toBe('cookie')
    await b.reload()
    await waitForStatus(b, 'authenticated')
    expect(await b.getByTestId('storage-mode').inputValue()).toBe('cookie')
    expect((await serverStats()).logins).toBe(2)
  })

  it("does not show a signed-out user's API answer to the next user", async () => {
    const page = await context.newPage()
    await page.goto(appUrl)
    await logIn(page, 'alice', 'wonderland')
    await waitForStatus(page, 'authenticated')
    await page.getByTestId('call-admin-api').click()
    await page.locator('[data-testid="api-result"][data-status="200"]').waitFor()

    await page.getByTestId('logout-button').click()
    await waitForStatus(page, 'unauthenticated')
    await logIn(page, 'bob', 'builder')
    await waitForStatus(page, 'authenticated')
    // Alice's 200 from the admin API, under Bob's name, would read as Bob's.
    expect(await page.getByTestId('api-result').count()).toBe(0)

    await page.getByTestId('call-admin-api').click()
    await page.locator('[data-testid="api-result"][data-status="403"]').waitFor()
  })

  it('says that a failed refresh is retried, then waits for the network, instead of counting down to a time past', async () => {
    const page = await context.newPage()
    await page.goto(appUrl)
    await logIn(page)
    await waitForStatus(page, 'authenticated')
    // The network drops for the refresh calls only: every try fails as a network error.
    await context.route(`${authUrl}/auth/refresh`, (route) => route.abort('internetdisconnected'))
    const countdown = page.getByTestId('refresh-countdown')

    await page
      .locator('[data-testid="event-log-entry"][data-type="refreshError"]')
      .first()
      .waitFor({ timeout: 15_000 })
    await page.waitForTimeout(1_100) // a render after the failure, at a time past the one scheduled
    // Retries leave after a random delay (up to a second, then two): one may be in flight now, and the
    // countdown says `refreshing…` until it fails. Between tries it names the failure, never a time.
    await expect
      .poll(async () => countdown.textContent(), { timeout: 10_000, interval: 50 })
      .toMatch(/refresh_failed/)
    expect((await countdown.textContent()) ?? '').not.toMatch(/^\d+ s \(at /)

    // After the last try the client waits for `online` (or "Refresh now"): nothing is counting down.
    await page
      .locator('[data-testid="event-log-entry"][data-type="refreshError"]', { hasNotText: 'will retry' })
      .first()
      .waitFor({ timeout: 30_000 })
    await page.waitForTimeout(1_100)
    const stopped = (await countdown.textContent()) ?? ''
    expect(stopped).toMatch(/online/)
    expect(stopped).not.toMatch(/^\d+ s \(at /)

    await context.unroute(`${authUrl}/auth/refresh`)
    await page.getByTestId('refresh-button').click()
    await waitForStatus(page, 'authenticated')
    // The token may still be valid (within the leeway): then the status was authenticated already, and
    // the countdown says `refreshing…` until the refresh answers.
    await expect.poll(async () => countdown.textContent(), { timeout: 10_000 }).toMatch(/^\d+ s \(at /)
  })
})
