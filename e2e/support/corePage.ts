import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { launchChromium } from './browser'

const entry = fileURLToPath(new URL('../../packages/core/src/index.ts', import.meta.url))

export interface CorePageServer {
  /** `http://127.0.0.1:<port>`: a secure context, so the page has Web Locks. */
  origin: string
  close(): Promise<void>
}

export interface CorePageOptions {
  /** A script run before the library loads (e.g. one that records `navigator.locks` calls). */
  before?: string
  /** A script run after it (e.g. one that creates the client). */
  after?: string
  /** Handles `POST /spend?rt=…`, the refresh endpoint: it answers `res` when the test says so. */
  spend(url: URL, res: http.ServerResponse): void
  /** Handles requests to `/api/…`, an API the test records. */
  api?(req: http.IncomingMessage, res: http.ServerResponse): void
}

/**
 * A page with @latchkey/core and no app around it, for tests of the library's own cross-tab rules in
 * real Chromium: `/lib.js` is core built from source as an IIFE (global `latchkey`), `/` a page that
 * runs `before`, loads it and runs `after`, and `/spend` the refresh endpoint the test controls.
 */
export async function serveCorePage({
  before = '',
  after = '',
  spend,
  api,
}: CorePageOptions): Promise<CorePageServer> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    globalName: 'latchkey',
    write: false,
  })
  const lib = out.outputFiles[0]!.text
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x')
    if (url.pathname === '/lib.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(lib)
    if (url.pathname === '/spend') return spend(url, res)
    if (api && url.pathname.startsWith('/api/')) return api(req, res)
    if (url.pathname === '/favicon.ico') return res.writeHead(404).end()
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(
        `<!doctype html><script>${before}</script><script src="/lib.js"></script><script>${after}</script>`,
      )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/**
 * The page server and a headless Chromium for one test file: both started before its tests, and closed
 * after them (after the file's own `afterAll` hooks, which run first). `chromiumArgs` go to the browser.
 */
export function useCorePage(options: CorePageOptions, chromiumArgs?: string[]) {
  const core = {} as { browser: Browser; server: CorePageServer }
  beforeAll(async () => {
    core.server = await serveCorePage(options)
    core.browser = await launchChromium(chromiumArgs)
  })
  afterAll(async () => {
    await core.browser?.close()
    await core.server?.close()
  })
  return core
}

/**
 * Two tabs of one browser context on the core page: A signs in with `tokens` (`auth.setTokens`), then B
 * opens, and finds that session in storage. Close `context` at the end.
 */
export async function openSignedInTabs(
  core: ReturnType<typeof useCorePage>,
  tokens: { accessToken: string; refreshToken: string; expiresIn: number },
) {
  const context = await core.browser.newContext()
  const a = await context.newPage()
  await a.goto(`${core.server.origin}/`)
  await a.evaluate(
    (t) => (window as unknown as { auth: { setTokens(t: unknown): void } }).auth.setTokens(t),
    tokens,
  )
  const b = await context.newPage()
  await b.goto(`${core.server.origin}/`)
  return { context, a, b }
}

/** A `before` script: records every lock request (`request <name>[ steal]`) and every one that rejects. */
export const RECORD_LOCKS = `
  window.lockLog = []
  const request = navigator.locks.request.bind(navigator.locks)
  navigator.locks.request = (name, ...args) => {
    lockLog.push('request ' + name + (args.length > 1 && args[0].steal ? ' steal' : ''))
    const p = request(name, ...args)
    p.catch((e) => lockLog.push('rejected ' + name + ' ' + e.name))
    return p
  }`

/**
 * A refresh endpoint for `spend`: it rotates refresh tokens (`rt-0`, `rt-1`, …) and refuses a second
 * spend of one (`invalid_grant`), recording `<rt>:<ok|reused>:<tab>` in `spends`; every answer waits
 * in `release` until the test calls it. Tokens are opaque, valid an hour.
 */
export function rotatingEndpoint() {
  const spends: string[] = []
  const release: Array<() => void> = []
  let current = 'rt-0'
  let n = 0
  const spend = (url: URL, res: http.ServerResponse) => {
    const rt = url.searchParams.get('rt')!
    const ok = rt === current
    spends.push(`${rt}:${ok ? 'ok' : 'reused'}:${url.searchParams.get('tab')}`)
    const next = ok ? `rt-${++n}` : ''
    if (ok) current = next
    const token = `opaque-${n}`
    release.push(() =>
      ok
        ? res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ accessToken: token, expiresIn: 3600, refreshToken: next }))
        : res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}'),
    )
  }
  return { spends, release, spend }
}
