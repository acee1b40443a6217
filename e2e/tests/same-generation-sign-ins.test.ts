import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Real Chromium: two signed-out tabs, and two users signing in, one in each, before either tab has
 * heard of the other's sign-in. Tab two is kept busy (a synchronous loop) while tab one signs in, then
 * signs in itself before its event loop delivers tab one's news. Both tabs must end up with the sign-in
 * stored last, which a reload finds, whatever order the news then comes in.
 */

const core = useCorePage({
  after: `
      const params = new URLSearchParams(location.search)
      window.auth = latchkey.createAuthClient({ storage: params.get('storage'), storageKey: 'race' })`,
  spend: (_, res) => res.writeHead(500).end(),
})

const held = (page: Page) => page.evaluate(() => (window as any).auth.getState().accessToken as string | null)

it.each(['localStorage', 'cookie'])('%s: both tabs keep the sign-in made last', async (storage) => {
  const context = await core.browser.newContext()
  const [one, two] = [await context.newPage(), await context.newPage()]
  for (const page of [one, two]) await page.goto(`${core.server.origin}/?storage=${storage}`)

  // Tab one signs in when tab two says it is busy (its listener is in place before tab two starts); tab
  // two stays busy for 1.5 s, then signs in at once.
  await one.evaluate(() => {
    const page = window as any
    page.signedIn = new Promise<number>((resolve) => {
      addEventListener('storage', (e) => {
        if (e.key !== 'busy') return
        page.auth.setTokens({ accessToken: 'alice-at', refreshToken: 'alice-rt', expiresIn: 3600 })
        resolve(Date.now())
      })
    })
  })
  const second = await two.evaluate(() => {
    const start = Date.now()
    localStorage.setItem('busy', String(start))
    while (Date.now() - start < 1_500) {
      // Busy: no task of this tab runs, so no news of tab one's sign-in comes in.
    }
    ;(window as any).auth.setTokens({ accessToken: 'bob-at', refreshToken: 'bob-rt', expiresIn: 3600 })
    return { start, at: Date.now() }
  })
  // The race happened: tab one signed in while tab two was busy, before tab two did.
  const signedIn = await one.evaluate(() => (window as any).signedIn as Promise<number>)
  expect(signedIn).toBeGreaterThan(second.start)
  expect(signedIn).toBeLessThan(second.at)

  await expect.poll(async () => [await held(one), await held(two)]).toEqual(['bob-at', 'bob-at'])
  // Still so once all the news is in; and a new tab (a reload) finds the same.
  await new Promise((resolve) => setTimeout(resolve, 500))
  expect([await held(one), await held(two)]).toEqual(['bob-at', 'bob-at'])
  const three = await context.newPage()
  await three.goto(`${core.server.origin}/?storage=${storage}`)
  expect(await held(three)).toBe('bob-at')
  await context.close()
})
