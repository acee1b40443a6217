import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Real Chromium: garbage over the shared entry that the tab holding the session has not seen (a script
 * of that tab wrote it, which makes no storage event there; a cookie, which has none at all), then a new
 * tab opens. The new tab finds the garbage, reports it and removes it. That removal is no sign-out: the
 * open tab keeps its session and writes it back, and the new tab takes it, as a reload would.
 */

const core = useCorePage({
  after: `
      const params = new URLSearchParams(location.search)
      window.log = []
      window.auth = latchkey.createAuthClient({ storage: params.get('storage'), storageKey: 'garbage' })
      for (const type of ['login', 'logout', 'error'])
        window.auth.on(type, (e) => window.log.push(type + ':' + (e?.code ?? e?.reason ?? '')))`,
  spend: (_, res) => res.writeHead(500).end(),
})

const seen = (page: Page) =>
  page.evaluate(() => {
    const w = window as any
    const { status, accessToken } = w.auth.getState()
    return { status, accessToken, log: w.log }
  })

it.each(['localStorage', 'cookie'])(
  '%s: a new tab that removes garbage the open tab has not seen signs nobody out',
  async (storage) => {
    const context = await core.browser.newContext()
    const one = await context.newPage()
    await one.goto(`${core.server.origin}/?storage=${storage}`)
    await one.evaluate(() =>
      (window as any).auth.setTokens({ accessToken: 'alice-at', refreshToken: 'alice-rt', expiresIn: 3600 }),
    )
    // Written by a script of tab one: no storage event there.
    await one.evaluate((mode) => {
      if (mode === 'cookie') document.cookie = 'garbage=not%20a%20session; Path=/; SameSite=Strict'
      else localStorage.setItem('garbage', 'not a session')
    }, storage)

    const two = await context.newPage()
    await two.goto(`${core.server.origin}/?storage=${storage}`)
    await expect
      .poll(() => seen(two))
      .toEqual({
        status: 'authenticated',
        accessToken: 'alice-at',
        log: ['error:storage_corrupt', 'login:'],
      })
    // Tab one wakes up (focus re-reads storage): its session is there.
    await one.evaluate(() => window.dispatchEvent(new Event('focus')))
    expect(await seen(one)).toEqual({ status: 'authenticated', accessToken: 'alice-at', log: [] })
    const stored = await one.evaluate(
      (mode) =>
        mode === 'cookie'
          ? decodeURIComponent(
              document.cookie
                .split('; ')
                .find((c) => c.startsWith('garbage='))!
                .slice(8),
            )
          : localStorage.getItem('garbage'),
      storage,
    )
    expect(JSON.parse(stored!)).toMatchObject({ at: 'alice-at', rt: 'alice-rt' })
    await context.close()
  },
)
