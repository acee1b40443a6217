import type http from 'node:http'
import type { Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { type CorePageServer, serveCorePage } from './corePage'
import { type LifecycleBrowser, launchLifecycleChromium } from './lifecycle'

/**
 * The core page for tests of tabs that sleep (frozen, in the back-forward cache): `/?tab=<name>&key=<k>`
 * creates a client in localStorage mode under `storageKey` k (`&sync=0`: `syncTabs: false`; `&storage=memory
 * &sync=memory`: a memory session the tabs share over the channel; `&timeout=<ms>`: its `refreshTimeout`;
 * `&gate=1`: each refresh waits for `go()` before its request) that spends
 * refresh tokens at `/spend`, and records its events, the page's freeze/resume (with the status then) and its pageshows in
 * `events`. `/api/away` is a page without latchkey to navigate to.
 */
const AFTER = `
  const q = new URLSearchParams(location.search)
  window.tab = q.get('tab')
  window.events = []
  window.auth = latchkey.createAuthClient({
    storage: q.get('storage') || 'localStorage',
    storageKey: q.get('key') || 'latchkey',
    syncTabs: q.get('sync') === 'memory' ? 'memory' : q.get('sync') !== '0',
    refreshTimeout: Number(q.get('timeout')) || undefined,
    refresh: async ({ refreshToken, signal }) => {
      // &gate=1: the request waits for the test's go() before it leaves, as an app's refresh that awaits
      // something first (a CSRF token, say) does.
      if (q.get('gate')) await new Promise((resolve) => (window.go = resolve))
      const res = await fetch('/spend?rt=' + refreshToken + '&tab=' + tab, { method: 'POST', signal })
      if (!res.ok) throw Object.assign(new Error('refused'), { status: res.status })
      return res.json()
    },
  })
  for (const type of ['login', 'refresh', 'logout', 'expired', 'refreshError'])
    auth.on(type, (e) => events.push(type + ' ' + (e.reason || (e.error && e.error.code) || e.accessToken || '')))
  // With the status the client reports as the page freezes and resumes (its own listeners ran first).
  for (const type of ['freeze', 'resume'])
    document.addEventListener(type, () => events.push('(' + type + ') ' + auth.getState().status))
  addEventListener('pageshow', (e) => events.push('(pageshow' + (e.persisted ? ' persisted' : '') + ')'))`

export interface Spend {
  /** `<rt>:<ok|reused>:<tab>` */
  what: string
  /** When the server got it (`Date.now()` in the test's process). */
  at: number
}

/**
 * The server, a lifecycle Chromium (see lifecycle.ts) for the file, and a refresh endpoint that rotates
 * refresh tokens (`rt-0`, `rt-1`, …) and refuses a spent one (`invalid_grant`), so a double spend shows
 * and signs the tabs out. Access tokens are opaque (`at-<n>`), valid `ttl` seconds. Pages a test opens
 * are closed after it, and `spends` emptied before the next.
 */
export function useLifecyclePages() {
  const spends: Spend[] = []
  const pages: Page[] = []
  let current = 'rt-0'
  let n = 0
  const world = {
    spends,
    /** Lifetime of the access tokens the endpoint gives, in seconds. */
    ttl: 3600,
    /**
     * Set, the endpoint still spends (rotates) a refresh token as the request arrives, but holds its
     * answer back in `held` until the test calls it.
     */
    hold: false,
    held: [] as Array<() => void>,
    origin: '',
    /** Opens `/?tab=<tab>&<query>` in a new tab of the default context (it comes to the front). */
    async open(tab: string, query = ''): Promise<Page> {
      const page = await lifecycle.context.newPage()
      pages.push(page)
      await page.goto(`${server.origin}/?tab=${tab}&${query}`)
      return page
    },
  }
  const spend = (url: URL, res: http.ServerResponse) => {
    const rt = url.searchParams.get('rt')!
    const ok = rt === current
    spends.push({ what: `${rt}:${ok ? 'ok' : 'reused'}:${url.searchParams.get('tab')}`, at: Date.now() })
    if (!ok)
      return res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}')
    current = `rt-${++n}`
    const body = JSON.stringify({ accessToken: `at-${n}`, refreshToken: current, expiresIn: world.ttl })
    const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(body)
    if (world.hold) world.held.push(answer)
    else answer()
  }
  let server: CorePageServer
  let lifecycle: LifecycleBrowser
  beforeAll(async () => {
    server = await serveCorePage({
      after: AFTER,
      spend,
      api: (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html>away'),
    })
    world.origin = server.origin
    lifecycle = await launchLifecycleChromium()
  })
  beforeEach(() => {
    spends.length = 0
    current = 'rt-0'
    n = 0
    world.ttl = 3600
    world.hold = false
  })
  // Closed after each test, also a failed one: a tab left open would go on refreshing into the next.
  afterEach(async () => {
    for (const answer of world.held.splice(0)) answer()
    for (const page of pages.splice(0)) await page.close()
  })
  afterAll(async () => {
    await lifecycle?.close()
    await server?.close()
  })
  return world
}

export type LifecyclePage = Window & {
  auth: any
  events: string[]
}

/** The page's client state that tests compare: status and token. */
export const stateOf = (page: Page) =>
  page.evaluate(() => {
    const { status, accessToken } = (window as unknown as LifecyclePage).auth.getState()
    return { status, accessToken }
  })

/** Signs the page in with `at-0` / `rt-0`, an opaque token that lives `expiresIn` seconds. */
export const signIn = (page: Page, expiresIn: number) =>
  page.evaluate(
    (expiresIn) =>
      void (window as unknown as LifecyclePage).auth.setTokens({
        accessToken: 'at-0',
        refreshToken: 'rt-0',
        expiresIn,
      }),
    expiresIn,
  )

export const eventsOf = (page: Page) => page.evaluate(() => (window as unknown as LifecyclePage).events)

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
