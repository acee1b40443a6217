import { expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Real Chromium, two tabs on localStorage taking turns to sign in and out. Each logout tells the other
 * tabs which sign-ins have ended; a tab kept every id it heard again each time, and told them all at
 * its own next logout, so the list doubled every few rounds: by the 23rd sign-out a message carried
 * about 200,000 ids, and the tab that heard it threw a RangeError (the news was lost). Each id is told
 * once now, and the last 64 at most.
 */
const core = useCorePage({
  before: `
      window.told = []
      const post = BroadcastChannel.prototype.postMessage
      BroadcastChannel.prototype.postMessage = function (data) {
        if (Array.isArray(data) && data[0] === 0) told.push(data.slice(1))
        return post.call(this, data)
      }`,
  after: `window.auth = latchkey.createAuthClient({ storage: 'localStorage', storageKey: 'rounds' })`,
  spend: (_, res) => res.writeHead(500).end(),
})
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
const jwt = (sub: string, n: number) => {
  const iat = Math.floor(Date.now() / 1000)
  return `${b64({ alg: 'none' })}.${b64({ sub, iat, exp: iat + 3600, n })}.sig`
}

it('30 rounds of sign-in and sign-out in alternate tabs: each ended sign-in told once, no error', async () => {
  const context = await core.browser.newContext()
  const tabs = [await context.newPage(), await context.newPage()]
  const errors: string[] = []
  for (const page of tabs) {
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${core.server.origin}/`)
  }
  for (let i = 0; i < 30; i++) {
    const [by, other] = i % 2 ? [tabs[1]!, tabs[0]!] : [tabs[0]!, tabs[1]!]
    const at = jwt(i % 4 < 2 ? 'alice' : 'bob', i)
    await by.evaluate((at) => (window as any).auth.setTokens({ accessToken: at, refreshToken: 'rt' }), at)
    await other.waitForFunction((at) => (window as any).auth.getState().accessToken === at, at)
    await by.evaluate(() => (window as any).auth.logout())
    await other.waitForFunction(() => (window as any).auth.getState().status === 'unauthenticated')
  }
  const told = [
    ...(await tabs[0]!.evaluate(() => (window as any).told as unknown[][])),
    ...(await tabs[1]!.evaluate(() => (window as any).told as unknown[][])),
  ]
  expect(errors).toEqual([])
  expect(told).toHaveLength(30)
  // Each sign-in ended once: lists of distinct ids, one more each round.
  expect(told.every((ids) => new Set(ids).size === ids.length)).toBe(true)
  expect(told.map((ids) => ids.length).sort((a, b) => a - b)).toEqual(
    Array.from({ length: 30 }, (_, i) => i + 1),
  )
  await context.close()
})
