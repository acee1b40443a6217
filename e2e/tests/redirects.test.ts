import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Frame, Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { launchChromium } from '../support/browser'
import { type CorePageServer, serveCorePage } from '../support/corePage'

/**
 * Real Chromium: `createAuthFetch` and a 401 at the end of a redirect chain. The API is the page's own
 * origin (127.0.0.1); `localhost`, on another port, is another origin. Chromium drops Authorization on
 * the hop away and does not put it back, so a chain that comes back to the API (API → other origin →
 * API) ends in a 401 that says nothing about the token, though its final URL is the API's. fetch
 * reports only that URL, and the response's type: `cors` once a hop left the page's origin, which
 * tells such a chain apart for an API on the page's origin, and for no other.
 */
let browser: Browser
let server: CorePageServer
let other: http.Server
let OTHER = ''
let page: Page
const seen: string[] = []

beforeAll(async () => {
  server = await serveCorePage({
    after: `
      window.refreshes = 0
      window.auth = latchkey.createAuthClient({
        syncTabs: false,
        refresh: async () => (refreshes++, { accessToken: 'second', expiresIn: 600 }),
      })`,
    spend: (_, res) => res.writeHead(404).end(),
    api(req, res) {
      // The sandboxed frame's requests are cross-origin (its origin is opaque): Authorization is preflighted.
      if (req.method === 'OPTIONS')
        return res
          .writeHead(204, {
            'Access-Control-Allow-Origin': '*',
            'Access-Control-Allow-Headers': 'authorization',
          })
          .end()
      const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '-'
      seen.push(`${req.url} ${token}`)
      // The request that comes back has a tainted (null) origin: its answer needs CORS to be read.
      res.setHeader('Access-Control-Allow-Origin', '*')
      if (req.url === '/api/out') return res.writeHead(302, { Location: `${OTHER}/bounce` }).end()
      if (req.url === '/api/here') return res.writeHead(302, { Location: '/api/denied' }).end()
      if (req.url === '/api/back') return res.writeHead(302, { Location: `${OTHER}/denied` }).end()
      res.writeHead(token === 'second' ? 200 : 401).end()
    },
  })
  // Another origin: one the API's chain passes through, or an API of its own (for the page, which
  // sends it the token through a createAuthFetch that allows it).
  other = http.createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*')
    if (req.method === 'OPTIONS')
      return res.writeHead(204, { 'Access-Control-Allow-Headers': 'authorization' }).end()
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '-'
    seen.push(`other ${req.url} ${token}`)
    if (req.url === '/bounce') return res.writeHead(302, { Location: `${server.origin}/api/denied` }).end()
    if (req.url === '/out') return res.writeHead(302, { Location: `${server.origin}/api/back` }).end()
    res.writeHead(token === 'second' ? 200 : 401).end()
  })
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
  OTHER = `http://localhost:${(other.address() as AddressInfo).port}`
  browser = await launchChromium()
  page = await browser.newPage()
  await page.goto(`${server.origin}/`)
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  other?.closeAllConnections()
  other?.close()
})

beforeEach(async () => {
  seen.length = 0
  await page.evaluate(() => {
    const w = window as unknown as { auth: { setTokens(t: object): void }; refreshes: number }
    w.auth.setTokens({ accessToken: 'first', refreshToken: 'rt', expiresIn: 600 })
    w.refreshes = 0
  })
})

/**
 * Sends `url` `times` times through a `createAuthFetch` (in `on`, the page or a frame) that allows the
 * page's origin, or `origin`: each answer's status, type and path, and the refreshes.
 */
const send = (url: string, times = 1, origin?: string, on: Page | Frame = page) =>
  on.evaluate(
    async ([url, times, origin]) => {
      const w = window as unknown as {
        auth: object
        refreshes: number
        latchkey: { createAuthFetch(auth: object, options: object): typeof fetch }
      }
      const f = w.latchkey.createAuthFetch(w.auth, { origins: [origin ?? location.origin] })
      const answers: string[] = []
      for (let i = 0; i < times; i++) {
        const r = await f(url)
        answers.push(`${r.status} ${r.type} ${new URL(r.url).pathname}`)
      }
      return { answers, refreshes: w.refreshes }
    },
    [url, times, origin] as const,
  )

it('a 401 from the API after a chain that left it and came back costs no refresh', async () => {
  expect(await send('/api/out', 3)).toEqual({
    answers: Array(3).fill('401 cors /api/denied'),
    refreshes: 0,
  })
  expect(seen).toEqual(Array(3).fill(['/api/out first', 'other /bounce -', '/api/denied -']).flat())
})

it('a 401 after a redirect within the API (the token went along) is refreshed and replayed', async () => {
  expect(await send('/api/here')).toEqual({ answers: ['200 basic /api/denied'], refreshes: 1 })
  expect(seen).toEqual(['/api/here first', '/api/denied first', '/api/here second', '/api/denied second'])
})

it('to an API on another origin than the page, such a chain still costs a refresh (a known limit)', async () => {
  // Every answer from there is `cors`, whether the chain left the API or not: nothing tells them apart.
  expect(await send(`${OTHER}/out`, 1, OTHER)).toEqual({ answers: ['401 cors /denied'], refreshes: 1 })
  expect(seen).toEqual([
    'other /out first',
    '/api/back -',
    'other /denied -',
    'other /out second',
    '/api/back -',
    'other /denied -',
  ])
})

it('in a sandboxed iframe, whose every answer is cors, a 401 after a redirect within the API is refreshed and replayed', async () => {
  // sandbox without allow-same-origin: the frame's origin is opaque (self.origin is 'null'), so fetch
  // taints every answer `cors`, though location.origin still names the URL's origin, the API's. The
  // token went along to the 401 (a redirect within the API): it is worth a refresh.
  await page.evaluate(
    (src) =>
      new Promise((resolve) => {
        const frame = document.createElement('iframe')
        frame.sandbox.add('allow-scripts')
        frame.onload = resolve
        frame.src = src
        document.body.append(frame)
      }),
    `${server.origin}/sandboxed`,
  )
  const frame = page.frames().find((f) => f.url().endsWith('/sandboxed'))!
  await frame.evaluate(() => {
    const w = window as unknown as { auth: { setTokens(t: object): void } }
    w.auth.setTokens({ accessToken: 'first', refreshToken: 'rt', expiresIn: 600 })
  })
  expect(await frame.evaluate(() => [self.origin, location.origin])).toEqual(['null', server.origin])
  expect(await send('/api/here', 1, undefined, frame)).toEqual({
    answers: ['200 cors /api/denied'],
    refreshes: 1,
  })
  expect(seen).toEqual(['/api/here first', '/api/denied first', '/api/here second', '/api/denied second'])
  await page.evaluate(() => document.querySelector('iframe')?.remove())
})
