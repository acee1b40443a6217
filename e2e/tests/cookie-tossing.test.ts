import type { BrowserContext, Page } from 'playwright-core'
import { afterEach, expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Cookie mode in real Chromium against cookie tossing: a sibling subdomain (a user-content host, a
 * compromised subdomain) sets a cookie named like latchkey's for the parent domain and a deeper path.
 * Chromium lists the longer path first in `document.cookie`, so a client reading the first cookie of
 * its name would take the planted session for its own.
 */
let context: BrowserContext

/** An unsigned JWT for `sub`, valid ten minutes. */
const jwt = (sub: string) => {
  const b = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const iat = Math.floor(Date.now() / 1000)
  return `${b({ alg: 'HS256', typ: 'JWT' })}.${b({ sub, iat, exp: iat + 600 })}.c2ln`
}

// No refresh here: nothing is spent. Two hosts of one site, both served by this server.
const core = useCorePage({ spend: (_, res) => res.writeHead(404).end() }, [
  '--host-resolver-rules=MAP *.example.test 127.0.0.1',
])
const port = () => new URL(core.server.origin).port
afterEach(async () => {
  await context?.close()
})
type Page$ = Window & { latchkey: any; auth: any; log: string[] }
/** The app at app.example.test/app/, and the sibling that plants cookies. */
async function open() {
  context = await core.browser.newContext()
  const app = await context.newPage()
  await app.goto(`http://app.example.test:${port()}/app/`)
  const evil = await context.newPage()
  await evil.goto(`http://evil.example.test:${port()}/`)
  return { app, evil }
}
const start = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as Page$
    w.log = []
    w.auth = w.latchkey.createAuthClient({ storage: 'cookie', syncTabs: false })
    for (const type of ['login', 'refresh', 'logout', 'error'])
      w.auth.on(type, (e: any) => w.log.push(`${type}:${e?.code ?? e?.reason ?? e?.claims?.sub}`))
  })
const signIn = (page: Page, sub: string) =>
  page.evaluate(
    (t) => (window as unknown as Page$).auth.setTokens({ accessToken: t, refreshToken: 'rt' }),
    jwt(sub),
  )
const state = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as Page$
    const s = w.auth.getState()
    const cookies = document.cookie.split('; ').filter((c) => c.startsWith('latchkey=')).length
    return { status: s.status, sub: s.claims?.sub ?? null, error: s.error?.code ?? null, cookies, log: w.log }
  })
const plant = (evil: Page, value: string) =>
  evil.evaluate((v) => {
    document.cookie = `latchkey=${encodeURIComponent(v)}; Domain=example.test; Path=/app; Max-Age=3600`
  }, value)
const planted = () => JSON.stringify({ v: 1, at: jwt('attacker'), rt: 'attacker-rt', sk: 0, g: 1e6 })

it('an open tab keeps its user when a sibling plants a session, and removes the planted cookie', async () => {
  const { app, evil } = await open()
  await start(app)
  await signIn(app, 'victim')
  await plant(evil, planted())
  // A cookie set in one tab reaches another's document.cookie a few ms later: the app must see it first.
  await app.waitForFunction(
    () => document.cookie.split('; ').filter((c) => c.startsWith('latchkey=')).length === 2,
  )
  await app.evaluate(() => window.dispatchEvent(new Event('focus')))
  expect(await state(app)).toEqual({
    status: 'authenticated',
    sub: 'victim',
    error: 'storage_corrupt',
    cookies: 1, // its own, written back
    log: ['error:storage_corrupt'],
  })
  // The cookie left is the victim's: a reload restores the victim.
  await app.reload()
  await start(app)
  expect(await state(app)).toMatchObject({ status: 'authenticated', sub: 'victim', error: null })
})

it('a reload with a planted session beside the own one signs nobody in: neither can be trusted', async () => {
  const { app, evil } = await open()
  await start(app)
  await signIn(app, 'victim')
  await plant(evil, planted())
  await app.reload()
  await start(app)
  expect(await state(app)).toEqual({
    status: 'unauthenticated',
    sub: null,
    error: 'storage_corrupt',
    cookies: 0, // both expired
    log: ['error:storage_corrupt'],
  })
  // The next sign-in is stored again.
  await signIn(app, 'victim')
  await app.reload()
  await start(app)
  expect(await state(app)).toMatchObject({ status: 'authenticated', sub: 'victim', error: null, cookies: 1 })
})

it('junk planted before sign-in does not keep the session out of the cookie', async () => {
  const { app, evil } = await open()
  await plant(evil, 'junk')
  await start(app)
  expect(await state(app)).toMatchObject({ status: 'unauthenticated', error: 'storage_corrupt' })
  await signIn(app, 'victim')
  expect(await state(app)).toMatchObject({ status: 'authenticated', error: null, cookies: 1 })
  await app.reload()
  await start(app)
  expect(await state(app)).toMatchObject({ status: 'authenticated', sub: 'victim', error: null })
})

// The client expires its own cookie at its own Path and Domain; one planted elsewhere is read all the
// same (nothing tells it apart), so removing the entry must expire that one too.
const seeOne = (app: Page) =>
  app.waitForFunction(() => document.cookie.split('; ').filter((c) => c.startsWith('latchkey=')).length === 1)

it('junk planted alone is removed at start-up: the next page load finds nothing corrupt', async () => {
  const { app, evil } = await open()
  await plant(evil, 'junk')
  await seeOne(app)
  await start(app)
  expect(await state(app)).toEqual({
    status: 'unauthenticated',
    sub: null,
    error: 'storage_corrupt',
    cookies: 0,
    log: ['error:storage_corrupt'],
  })
  await app.reload()
  await start(app)
  expect(await state(app)).toEqual({ status: 'unauthenticated', sub: null, error: null, cookies: 0, log: [] })
})

it('logout() removes a session planted for the parent domain: a reload signs nobody in', async () => {
  const { app, evil } = await open()
  await plant(evil, planted())
  await seeOne(app)
  await start(app)
  // Alone, the planted cookie reads as a session (SECURITY.md: use `__Host-` on https); a sign-out ends it.
  expect(await state(app)).toMatchObject({ status: 'authenticated', sub: 'attacker' })
  await app.evaluate(() => (window as unknown as Page$).auth.logout())
  expect(await state(app)).toMatchObject({ status: 'unauthenticated', cookies: 0 })
  await app.reload()
  await start(app)
  expect(await state(app)).toEqual({ status: 'unauthenticated', sub: null, error: null, cookies: 0, log: [] })
})
