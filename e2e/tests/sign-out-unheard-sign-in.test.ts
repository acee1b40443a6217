import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Real Chromium: a sign-out in one tab made after a sign-in in another, before the signing-out tab
 * heard of it. Tab one is kept busy (a synchronous loop) while tab two signs in, then signs out at
 * once: its sign-out is stored last, so every tab must end signed out, tab one too when the news of
 * the sign-in reaches it afterwards.
 */

const core = useCorePage({
  after: `
      const params = new URLSearchParams(location.search)
      window.auth = latchkey.createAuthClient({ storage: params.get('storage'), storageKey: 'unheard' })`,
  spend: (_, res) => res.writeHead(500).end(),
})

const held = (page: Page) => page.evaluate(() => (window as any).auth.getState().accessToken as string | null)

// With cookies the signing-out tab reads the new entry as it removes it, and ends that sign-in too. In
// localStorage, Chromium's copy of the area in the busy tab has not received the other tab's write yet:
// the tab removes an entry it has not seen, and when the news of it comes, its copy still shows the
// removal, so it takes none of it.
it.each(['localStorage', 'cookie'])(
  '%s: a sign-out made after an unheard sign-in signs every tab out',
  async (storage) => {
    const context = await core.browser.newContext()
    const [one, two, three] = [await context.newPage(), await context.newPage(), await context.newPage()]
    for (const page of [one, two, three]) await page.goto(`${core.server.origin}/?storage=${storage}`)
    await one.evaluate(() =>
      (window as any).auth.setTokens({ accessToken: 'alice-at', refreshToken: 'alice-rt', expiresIn: 3600 }),
    )
    for (const page of [two, three]) await expect.poll(() => held(page)).toBe('alice-at')

    // Tab two signs in when tab one says it is busy; tab one stays busy for 1 s, then signs out at once.
    const signedIn = two.evaluate(
      () =>
        new Promise<number>((resolve) => {
          addEventListener('storage', (e) => {
            if (e.key !== 'busy') return
            ;(window as any).auth.setTokens({
              accessToken: 'bob-at',
              refreshToken: 'bob-rt',
              expiresIn: 3600,
            })
            resolve(Date.now())
          })
        }),
    )
    const signedOut = await one.evaluate(() => {
      const start = Date.now()
      localStorage.setItem('busy', String(start))
      while (Date.now() - start < 1_000) {
        // Busy: no task of this tab runs, so no news of tab two's sign-in comes in.
      }
      ;(window as any).auth.logout()
      return { start, at: Date.now() }
    })
    // The race happened: tab two signed in while tab one was busy, before tab one signed out.
    const at = await signedIn
    expect(at).toBeGreaterThan(signedOut.start)
    expect(at).toBeLessThan(signedOut.at)

    const all = async () => [await held(one), await held(two), await held(three)]
    await expect.poll(all).toEqual([null, null, null])
    // Still so once all the news is in; and a new tab (a reload) finds nobody signed in.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await all()).toEqual([null, null, null])
    const four = await context.newPage()
    await four.goto(`${core.server.origin}/?storage=${storage}`)
    expect(await held(four)).toBeNull()
    await context.close()
  },
)

// The other side of that rule: a tab whose last act was its own sign-out still follows sign-ins made
// after it, though its copy of storage may lag the message that tells it (cookies have no storage event
// to bring them again).
it.each(['localStorage', 'cookie'])('%s: sign-ins made after a tab signed out reach it', async (storage) => {
  const context = await core.browser.newContext()
  const [one, two] = [await context.newPage(), await context.newPage()]
  for (const page of [one, two]) await page.goto(`${core.server.origin}/?storage=${storage}`)
  const signIn = (page: Page, at: string) =>
    page.evaluate(
      (at) => (window as any).auth.setTokens({ accessToken: at, refreshToken: 'rt', expiresIn: 3600 }),
      at,
    )
  for (let i = 0; i < 10; i++) {
    await signIn(two, `alice-${i}`)
    await expect.poll(() => held(one)).toBe(`alice-${i}`)
    await one.evaluate(() => (window as any).auth.logout())
    await expect.poll(() => held(two)).toBeNull()
    await signIn(two, `bob-${i}`)
    await expect.poll(() => held(one), { timeout: 1_000 }).toBe(`bob-${i}`)
  }
  await context.close()
})
