import { mkdir } from 'node:fs/promises'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  authUrl,
  claimsTable,
  loggedEvents,
  logIn,
  openApp,
  resetStats,
  selectMode,
  serverStats,
  waitForStatus,
} from '../support/app'
import { launchChromium } from '../support/browser'

const SCREENSHOT = new URL('../screenshots/logged-in.png', import.meta.url)
const DAY = 86_400

let browser: Browser
let context: BrowserContext
let page: Page
let pageErrors: Error[]

beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
})
beforeEach(async () => {
  await resetStats()
  ;({ context, page, pageErrors } = await openApp(browser))
})
afterEach(async () => {
  await context?.close()
  expect(pageErrors.map(String)).toEqual([])
})

describe('react-spa with the example auth server', () => {
  it('logs in, shows the claims, calls the API with a Bearer token, refreshes for real and logs out', async () => {
    await selectMode(page, 'localStorage')
    await logIn(page)
    await waitForStatus(page, 'authenticated')

    const claims = await claimsTable(page)
    expect(claims.sub).toBe('alice')
    expect(claims.roles).toBe('user, admin')
    expect(claims.iss).toBe('latchkey-example-auth-server')
    expect(await loggedEvents(page)).toContain('login')
    const firstToken = await page.getByTestId('token-fingerprint').textContent()

    // "Call API": createAuthFetch attaches the token; the API answers 200 only to a valid Bearer.
    const request = page.waitForRequest((r) => r.url() === `${authUrl}/api/data` && r.method() === 'GET')
    await page.getByTestId('call-api').click()
    const authorization = (await (await request).allHeaders()).authorization ?? ''
    expect(authorization.startsWith('Bearer ')).toBe(true)
    const result = page.getByTestId('api-result')
    await result.waitFor()
    expect(await result.getAttribute('data-status')).toBe('200')
    expect(await result.getAttribute('data-bearer')).toBe('yes')
    expect(await result.textContent()).toContain('serverTime')

    // A real refresh: the 6 s token is refreshed about 3 s in.
    await page
      .locator('[data-testid="event-log-entry"][data-type="refresh"]')
      .first()
      .waitFor({ timeout: 20_000 })
    await waitForStatus(page, 'authenticated')
    expect((await serverStats()).refreshes).toBeGreaterThanOrEqual(1)
    expect(await page.getByTestId('token-fingerprint').textContent()).not.toBe(firstToken)

    // Wait for this call's own response: the first call's result is still on the page.
    const second = page.waitForResponse(
      (r) => r.url() === `${authUrl}/api/data` && r.request().method() === 'GET',
    )
    await page.getByTestId('call-api').click()
    expect((await second).status()).toBe(200)
    const stats = await serverStats()
    expect(stats.apiCalls).toBe(2)
    expect(stats.api401).toBe(0)

    // The page never shows a token: only a fingerprint of its last 6 characters.
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('latchkey') ?? '{}'))
    expect(stored).toMatchObject({ v: 1, at: expect.any(String), rt: expect.any(String) })
    const text = (await page.locator('body').textContent()) ?? ''
    for (const token of [stored.at, stored.rt, authorization.slice('Bearer '.length)]) {
      expect(text).not.toContain(token.slice(0, -6))
    }

    await mkdir(new URL('.', SCREENSHOT), { recursive: true })
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true })

    await page.getByTestId('logout-button').click()
    await waitForStatus(page, 'unauthenticated')
    await page.getByTestId('login-form').waitFor()
    expect(await page.evaluate(() => localStorage.getItem('latchkey'))).toBeNull()
    expect(
      await page.locator('[data-testid="event-log-entry"][data-type="logout"]').first().textContent(),
    ).toContain('reason: user')
  })

  it('shows an error for a wrong password and stays signed out', async () => {
    await logIn(page, 'bob', 'not-the-password')
    const error = page.getByTestId('login-error')
    await error.waitFor()
    expect(await error.textContent()).toMatch(/wrong username or password/i)
    expect(await page.getByTestId('status').getAttribute('data-status')).toBe('unauthenticated')
    expect((await serverStats()).logins).toBe(0)
  })

  it('answers 403 to a user without the admin role on the admin API', async () => {
    await logIn(page, 'bob', 'builder')
    await waitForStatus(page, 'authenticated')
    await page.getByTestId('call-admin-api').click()
    const result = page.getByTestId('api-result')
    await result.waitFor()
    expect(await result.getAttribute('data-status')).toBe('403')
    expect(await result.getAttribute('data-bearer')).toBe('yes')
  })

  it('keeps the session across a reload in localStorage mode', async () => {
    await selectMode(page, 'localStorage')
    await logIn(page)
    await waitForStatus(page, 'authenticated')
    await page.reload()
    await waitForStatus(page, 'authenticated')
    expect(await page.getByTestId('storage-mode').inputValue()).toBe('localStorage')
    expect((await claimsTable(page)).sub).toBe('alice')
    expect((await serverStats()).logins).toBe(1)
  })

  it('keeps the session across a reload in cookie mode, in a Strict first-party cookie', async () => {
    await selectMode(page, 'cookie')
    await logIn(page)
    await waitForStatus(page, 'authenticated')
    await page.reload()
    await waitForStatus(page, 'authenticated')
    expect(await page.getByTestId('storage-mode').inputValue()).toBe('cookie')
    expect((await serverStats()).logins).toBe(1)
    expect(await page.evaluate(() => localStorage.getItem('latchkey'))).toBeNull()

    const cookie = (await context.cookies()).find((c) => c.name === 'latchkey')
    expect(cookie).toBeDefined()
    expect(cookie).toMatchObject({ sameSite: 'Strict', path: '/', secure: false, httpOnly: false })
    expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000 + 30 * DAY - 120)
    expect(cookie!.expires).toBeLessThan(Date.now() / 1000 + 30 * DAY + 120)
  })

  it('drops the session on reload in memory mode, and keeps the chosen mode', async () => {
    await selectMode(page, 'memory')
    await logIn(page)
    await waitForStatus(page, 'authenticated')
    await page.reload()
    await page.getByTestId('login-form').waitFor()
    expect(await page.getByTestId('status').getAttribute('data-status')).toBe('unauthenticated')
    expect(await page.getByTestId('storage-mode').inputValue()).toBe('memory')
    expect(await page.evaluate(() => localStorage.getItem('latchkey'))).toBeNull()
    expect((await context.cookies()).filter((c) => c.name === 'latchkey')).toEqual([])
  })
})
