import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { appUrl, logIn, resetStats, serverStats } from '../support/app'
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
})
