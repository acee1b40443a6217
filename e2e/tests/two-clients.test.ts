import type { Page } from 'playwright-core'
import { afterAll, expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Real Chromium: two tabs, each with two clients of two APIs (`api-a` in localStorage, `api-b` in a
 * cookie). Each API's session follows its own client in the other tab, its refresh lock is its own
 * (A's hung refresh does not hold B's up), and a sign-out of one leaves the other signed in.
 */
const spends: string[] = []
const hung: Array<() => void> = []

const core = useCorePage({
  after: `
      window.events = []
      const make = (api, storage, label) => {
        const auth = latchkey.createAuthClient({
          storage,
          storageKey: 'api-' + api,
          refreshTimeout: 20_000,
          refresh: async ({ refreshToken, signal }) => {
            const res = await fetch('/spend?api=' + api + '&rt=' + refreshToken + '&tab=' + label, { method: 'POST', signal })
            return res.json()
          },
        })
        for (const type of ['login', 'refresh', 'logout'])
          auth.on(type, (e) => events.push(api + ' ' + type + ' ' + (e.reason ?? e.accessToken)))
        return auth
      }
      window.a = make('a', 'localStorage', name)
      window.b = make('b', 'cookie', name)`,
  spend(url, res) {
    const api = url.searchParams.get('api')
    const rt = url.searchParams.get('rt')
    spends.push(`${api}:${rt}:${url.searchParams.get('tab')}`)
    const n = spends.length
    const tokens = { accessToken: `${api}-at-${n}`, expiresIn: 3600, refreshToken: `${api}-rt-${n}` }
    const answer = () =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tokens))
    if (api === 'a') hung.push(answer)
    else answer()
  },
})

afterAll(async () => {
  for (const answer of hung.splice(0)) answer()
})

const state = (page: Page) =>
  page.evaluate(() => {
    const w = window as any
    return [w.a.getState().accessToken, w.b.getState().accessToken]
  })

it('keeps two APIs’ sessions, locks and sign-outs apart across tabs', async () => {
  const context = await core.browser.newContext()
  const one = await context.newPage()
  const two = await context.newPage()
  await one.goto(`${core.server.origin}/`)
  await one.evaluate(() => (window.name = 'one'))
  await one.reload()
  await two.goto(`${core.server.origin}/`)
  await two.evaluate(() => (window.name = 'two'))
  await two.reload()
  await one.evaluate(() => {
    const w = window as any
    w.a.setTokens({ accessToken: 'a-at-0', expiresIn: 3600, refreshToken: 'a-rt-0' })
    w.b.setTokens({ accessToken: 'b-at-0', expiresIn: 3600, refreshToken: 'b-rt-0' })
  })
  await expect.poll(() => state(two)).toEqual(['a-at-0', 'b-at-0'])

  // A's refresh hangs in tab one, holding A's lock; B's refresh in tab two goes through at once.
  await one.evaluate(() => void (window as any).a.refresh().catch(() => {}))
  await expect.poll(() => spends).toEqual(['a:a-rt-0:one'])
  const b = await two.evaluate(() => (window as any).b.refresh())
  expect(b).toBe('b-at-2')
  await expect.poll(() => state(one)).toEqual(['a-at-0', 'b-at-2'])
  for (const answer of hung.splice(0)) answer()
  await expect.poll(() => state(two)).toEqual(['a-at-1', 'b-at-2'])

  // A sign-out of A in tab two: A is signed out in both tabs, B in neither.
  await two.evaluate(() => (window as any).a.logout())
  await expect.poll(() => state(one)).toEqual([null, 'b-at-2'])
  expect(await state(two)).toEqual([null, 'b-at-2'])
  const events = await one.evaluate(() => (window as any).events)
  expect(events).toEqual(['b refresh b-at-2', 'a refresh a-at-1', 'a logout other_tab'])
  expect(spends).toEqual(['a:a-rt-0:one', 'b:b-rt-0:two'])
  await context.close()
})
