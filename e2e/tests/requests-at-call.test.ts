import type http from 'node:http'
import type { Page } from 'playwright-core'
import { beforeAll, beforeEach, expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Real Chromium: `auth.fetch` sends a request as it was at the call, as the browser's fetch does, on the
 * 401 replay too: the app reuses its FormData, URLSearchParams, buffer or URL object for the next
 * request right after the call. The API refuses the first token (401) and takes the refreshed one.
 */
let page: Page
const seen: Array<{ url: string; token: string; body: string }> = []

const core = useCorePage({
  after: `
      window.auth = latchkey.createAuthClient({
        syncTabs: false,
        refresh: async () => ({ accessToken: 'second', expiresIn: 600 }),
      })
      auth.setTokens({ accessToken: 'first', refreshToken: 'rt', expiresIn: 600 })`,
  spend: (_, res) => res.writeHead(404).end(),
  api(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const token = req.headers.authorization?.replace(/^Bearer /, '') ?? ''
      // A multipart body is recorded without its boundary (a new one on the replay).
      const boundary = /boundary=(.*)$/.exec(req.headers['content-type'] ?? '')?.[1]
      const body = Buffer.concat(chunks).toString()
      seen.push({ url: req.url!, token, body: boundary ? body.split(boundary).join('*') : body })
      res.writeHead(token === 'second' ? 200 : 401).end()
    })
  },
})
beforeAll(async () => {
  page = await core.browser.newPage()
  await page.goto(`${core.server.origin}/`)
})

beforeEach(async () => {
  seen.length = 0
  await page.evaluate(() => {
    const w = window as unknown as { auth: { setTokens(t: object): void } }
    w.auth.setTokens({ accessToken: 'first', refreshToken: 'rt', expiresIn: 600 })
  })
})

it('replays a FormData body (with a file) as first sent, though the app changed it after the call', async () => {
  const status = await page.evaluate(async () => {
    const w = window as unknown as { auth: { fetch: typeof fetch } }
    const form = new FormData()
    form.set('amount', '100')
    form.set('file', new File(['contents'], 'receipt.txt', { type: 'text/plain' }))
    const pending = w.auth.fetch('/api/pay', { method: 'POST', body: form })
    form.set('amount', '999')
    form.delete('file')
    return (await pending).status
  })
  expect(status).toBe(200)
  expect(seen.map((s) => s.token)).toEqual(['first', 'second'])
  expect(seen[1]!.body).toBe(seen[0]!.body)
  expect(seen[1]!.body).toContain('100')
  expect(seen[1]!.body).toContain('filename="receipt.txt"')
})

it('replays URLSearchParams and typed-array bodies and a URL object as they were at the call', async () => {
  const statuses = await page.evaluate(async () => {
    const w = window as unknown as { auth: { fetch: typeof fetch } }
    const params = new URLSearchParams({ amount: '100' })
    const bytes = new TextEncoder().encode('amount=100')
    const url = new URL('/api/items?id=1', location.href)
    const pending = [
      w.auth.fetch('/api/form', { method: 'POST', body: params }),
      w.auth.fetch('/api/bytes', { method: 'POST', body: bytes }),
      w.auth.fetch(url),
    ]
    params.set('amount', '999')
    bytes.set(new TextEncoder().encode('999'), 7)
    url.searchParams.set('id', '2')
    return Promise.all(pending.map((p) => p.then((r) => r.status)))
  })
  expect(statuses).toEqual([200, 200, 200])
  const by = (path: string) =>
    seen.filter((s) => s.url.startsWith(path)).map((s) => `${s.token} ${s.url} ${s.body}`)
  expect(by('/api/form')).toEqual(['first /api/form amount=100', 'second /api/form amount=100'])
  expect(by('/api/bytes')).toEqual(['first /api/bytes amount=100', 'second /api/bytes amount=100'])
  expect(by('/api/items')).toEqual(['first /api/items?id=1 ', 'second /api/items?id=1 '])
})
