import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { launchChromium } from '../support/browser'

/**
 * Real Chromium tabs (Web Locks, BroadcastChannel, localStorage) on a page of their own: a tab torn
 * down (React unmount, HMR: `destroy()`) while it waits for the refresh lock must leave the lock to
 * the tab that is refreshing. Taking it over would make that tab's lock request reject, and the
 * refresh token be spent twice.
 */
const entry = fileURLToPath(new URL('../../packages/core/src/index.ts', import.meta.url))
let browser: Browser
let server: http.Server
let origin = ''
const spends: string[] = []
const release: Array<() => void> = []

beforeAll(async () => {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    globalName: 'latchkey',
    write: false,
  })
  const lib = out.outputFiles[0]!.text
  let n = 0
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x')
    if (url.pathname === '/lib.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(lib)
    if (url.pathname === '/spend') {
      const rt = url.searchParams.get('rt')!
      spends.push(rt)
      // The refresh endpoint answers when the test says so.
      release.push(() =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ accessToken: `opaque-${++n}`, expiresIn: 3600, refreshToken: `${rt}+` })),
      )
      return
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><script>
      window.lockLog = []
      const request = navigator.locks.request.bind(navigator.locks)
      navigator.locks.request = (name, options, fn) => {
        lockLog.push('request ' + JSON.stringify({ steal: options.steal }))
        const p = request(name, options, fn)
        p.catch((e) => lockLog.push('rejected ' + e.name))
        return p
      }
    </script><script src="/lib.js"></script><script>
      window.auth = latchkey.createAuthClient({
        storage: 'localStorage',
        refresh: async ({ refreshToken }) => (await fetch('/spend?rt=' + refreshToken, { method: 'POST' })).json(),
      })
    </script>`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await launchChromium()
})

afterAll(async () => {
  for (const answer of release.splice(0)) answer()
  await browser?.close()
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
})

type Page = Window & { auth: any; lockLog: string[]; pending: Promise<unknown> }

it('a tab destroyed while it waits for the refresh lock leaves it to the tab refreshing (r1 spent once)', async () => {
  const context = await browser.newContext()
  const a = await context.newPage()
  await a.goto(`${origin}/`)
  const b = await context.newPage()
  await b.goto(`${origin}/`)
  await a.evaluate(() =>
    (window as unknown as Page).auth.setTokens({
      accessToken: 'opaque-0',
      expiresIn: 3600,
      refreshToken: 'r1',
    }),
  )
  await b.waitForFunction(() => (window as unknown as Page).auth.getState().accessToken === 'opaque-0')
  await a.evaluate(() => void (window as unknown as Page).auth.refresh()) // A takes the lock, spends r1
  await expect.poll(() => spends.length).toBe(1)
  await b.evaluate(() => {
    const page = window as unknown as Page
    page.pending = page.auth.refresh().catch((e: { code: string }) => e.code) // B waits for the lock
  })
  await new Promise((resolve) => setTimeout(resolve, 100))
  await b.evaluate(() => (window as unknown as Page).auth.destroy())
  await new Promise((resolve) => setTimeout(resolve, 500))
  const lockLogOfA = await a.evaluate(() => (window as unknown as Page).lockLog)
  const spentWhileALocked = [...spends]
  for (const answer of release.splice(0)) answer()
  expect(await b.evaluate(() => (window as unknown as Page).pending)).toBe('destroyed')
  expect({ spentWhileALocked, lockLogOfA }).toEqual({ spentWhileALocked: ['r1'], lockLogOfA: ['request {}'] })
  await context.close()
})
