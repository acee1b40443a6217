import type { AuthServerStats } from '@latchkey/example-auth-server'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { inject } from 'vitest'

export const appUrl: string = inject('appUrl')
export const authUrl: string = inject('authUrl')

/** The server's counters (`GET /__stats`, test-only). */
export async function serverStats(): Promise<AuthServerStats> {
  const res = await fetch(`${authUrl}/__stats`)
  return (await res.json()) as AuthServerStats
}

/** Zeroes the server's counters (`POST /__reset`). */
export async function resetStats(): Promise<void> {
  await fetch(`${authUrl}/__reset`, { method: 'POST' })
}

/** A fresh context (its own storage and cookies) and page, on the app. */
export async function openApp(
  browser: Browser,
): Promise<{ context: BrowserContext; page: Page; pageErrors: Error[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const page = await context.newPage()
  // Uncaught errors in the page; tests expect none.
  const pageErrors: Error[] = []
  page.on('pageerror', (e) => pageErrors.push(e))
  await page.goto(appUrl)
  await page.getByTestId('storage-mode').waitFor()
  return { context, page, pageErrors }
}

/** Picks a storage mode (the app signs out and creates a new client) and waits for the login form. */
export async function selectMode(page: Page, mode: 'memory' | 'localStorage' | 'cookie'): Promise<void> {
  await page.getByTestId('storage-mode').selectOption(mode)
  await page.getByTestId('login-form').waitFor()
}

export async function logIn(page: Page, username = 'alice', password = 'wonderland'): Promise<void> {
  await page.getByTestId('login-username').fill(username)
  await page.getByTestId('login-password').fill(password)
  await page.getByTestId('login-submit').click()
}

/** The status badge's text, once it shows `status`. */
export async function waitForStatus(page: Page, status: string, timeout = 10_000): Promise<void> {
  await page.locator(`[data-testid="status"][data-status="${status}"]`).waitFor({ timeout })
}

/** Event types in the log, oldest first. */
export async function loggedEvents(page: Page): Promise<string[]> {
  const types = await page
    .getByTestId('event-log-entry')
    .evaluateAll((items) => items.map((li) => li.getAttribute('data-type') ?? ''))
  return types.reverse()
}

/** The claims table as an object. */
export async function claimsTable(page: Page): Promise<Record<string, string>> {
  await page.getByTestId('claims-table').waitFor()
  const rows = await page
    .getByTestId('claims-table')
    .locator('tr')
    .evaluateAll((trs) =>
      trs.map((tr) => [tr.querySelector('th')?.textContent, tr.querySelector('td')?.textContent]),
    )
  return Object.fromEntries(rows.map(([k, v]) => [k ?? '', v ?? '']))
}
