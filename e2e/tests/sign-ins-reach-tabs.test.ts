import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Real Chromium, three tabs: each sign-in made in one of them (users taking turns, in alternate tabs)
 * reaches all three. News of another sign-in than the one a tab holds is judged by what storage holds
 * when it comes; a tab whose copy of storage lagged the message (cookies have no storage event to bring
 * it again) would keep the old user. A probe of 40 sign-ins per storage missed none; this runs 12.
 */
const core = useCorePage({
  after: `
      const params = new URLSearchParams(location.search)
      window.auth = latchkey.createAuthClient({ storage: params.get('storage'), storageKey: 'turns' })`,
  spend: (_, res) => res.writeHead(500).end(),
})
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
const jwt = (sub: string, n: number) => {
  const iat = Math.floor(Date.now() / 1000)
  return `${b64({ alg: 'none' })}.${b64({ sub, iat, exp: iat + 3600, n })}.sig`
}
const held = (page: Page) => page.evaluate(() => (window as any).auth.getState().accessToken as string | null)

it.each(['cookie', 'localStorage'])(
  '%s: every sign-in reaches every tab, whoever held one',
  async (storage) => {
    const context = await core.browser.newContext()
    const [one, two, three] = [await context.newPage(), await context.newPage(), await context.newPage()]
    for (const page of [one, two, three]) await page.goto(`${core.server.origin}/?storage=${storage}`)
    const missed: string[] = []
    for (let i = 0; i < 12; i++) {
      const by = i % 2 ? two : one
      const at = jwt(i % 3 ? 'alice' : 'bob', i)
      await by.evaluate((at) => (window as any).auth.setTokens({ accessToken: at, refreshToken: 'rt' }), at)
      await new Promise((r) => setTimeout(r, 400))
      for (const p of [one, two, three])
        if ((await held(p)) !== at) missed.push(`sign-in ${i}, tab ${[one, two, three].indexOf(p) + 1}`)
    }
    expect(missed).toEqual([])
    await context.close()
  },
)
