import type http from 'node:http'
import type { BrowserContext, Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Real Chromium: @latchkey/core in a dedicated worker, which the README says is a tab like a page
 * (`BroadcastChannel`, Web Locks, `online`) but has no `document`, `window` or `localStorage`. The
 * worker loads the library with `importScripts` and runs what the page asks it over `postMessage`.
 */
/** `Authorization` of each API request, by path and host: `<host> <path> <header|->`. */
const seen: string[] = []
/** Each refresh token spent: `<rt>:<ok|refused|failed>`. */
const spends: string[] = []
let failing = false
let current = 'rt-0'
let n = 0

const WORKER = `
  importScripts('/lib.js')
  const events = []
  let auth
  const handlers = {
    make(options) {
      auth = latchkey.createAuthClient({
        ...options,
        refresh: async ({ refreshToken, signal }) => {
          const res = await fetch('/spend?rt=' + refreshToken, { method: 'POST', signal })
          if (!res.ok) throw Object.assign(new Error('refresh failed'), { status: res.status })
          return res.json()
        },
      })
      for (const type of ['login', 'refresh', 'refreshError', 'logout', 'error'])
        auth.on(type, (e) => events.push(type + ' ' + (e.error?.code ?? e.code ?? e.reason ?? e.accessToken)))
      return auth.ready.then(() => null)
    },
    setTokens: (tokens) => void auth.setTokens(tokens),
    state: () => {
      const { status, accessToken, error } = auth.getState()
      return { status, accessToken, error: error?.code ?? null }
    },
    events: () => events,
    refresh: () => auth.refresh(),
    fetch: (url) => auth.fetch(url).then((r) => r.status, (e) => 'rejected ' + e.name),
    logout: () => auth.logout(),
    destroy: () => auth.destroy(),
  }
  self.onmessage = async ({ data: [id, command, argument] }) => {
    try {
      postMessage([id, await handlers[command](argument)])
    } catch (e) {
      postMessage([id, null, String(e?.code ?? e)])
    }
  }`

/** The refresh endpoint: rotates `rt-0`, `rt-1`, …, refuses a spent one, answers 503 while `failing`. */
function spend(url: URL, res: http.ServerResponse) {
  const rt = url.searchParams.get('rt')!
  if (failing) {
    spends.push(`${rt}:failed`)
    return res.writeHead(503).end()
  }
  if (rt !== current) {
    spends.push(`${rt}:refused`)
    return res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}')
  }
  spends.push(`${rt}:ok`)
  current = `rt-${++n}`
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ accessToken: `opaque-${n}`, expiresIn: 3600, refreshToken: current }))
}

function api(req: http.IncomingMessage, res: http.ServerResponse) {
  const path = new URL(req.url!, 'http://x').pathname
  if (path === '/api/worker.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(WORKER)
  // Another origin (localhost) may be asked too: CORS lets a leaked header through, so it would be seen.
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': 'authorization',
  }
  if (req.method === 'OPTIONS') return res.writeHead(204, cors).end()
  seen.push(`${req.headers.host?.split(':')[0]} ${path} ${req.headers.authorization ?? '-'}`)
  res.writeHead(200, cors).end('{}')
}

const core = useCorePage({
  after: `
      window.worker = new Worker('/api/worker.js')
      let calls = 0
      const pending = new Map()
      worker.onmessage = ({ data: [id, result, error] }) => {
        const [resolve, reject] = pending.get(id)
        pending.delete(id)
        error ? reject(new Error(error)) : resolve(result)
      }
      window.call = (command, argument) =>
        new Promise((resolve, reject) => {
          pending.set(++calls, [resolve, reject])
          worker.postMessage([calls, command, argument])
        })`,
  spend,
  api,
})

const reset = () => {
  seen.length = 0
  spends.length = 0
  failing = false
  current = 'rt-0'
  n = 0
}

async function open(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await core.browser.newContext()
  const page = await context.newPage()
  await page.goto(`${core.server.origin}/`)
  return { context, page }
}

const call = (page: Page, command: string, argument?: unknown) =>
  page.evaluate(([c, a]) => (window as any).call(c, a), [command, argument] as const)

it('a worker asked for localStorage keeps its session in memory, refreshes on time and sends its token to its own origin only', async () => {
  reset()
  const { context, page } = await open()
  await call(page, 'make', { storage: 'localStorage' })
  // Workers have no localStorage: the client says so and goes on in memory.
  expect(await call(page, 'events')).toEqual(['error storage_unavailable'])
  // Valid 4 s: the leeway is capped at half of that, so it refreshes after about 2 s.
  await call(page, 'setTokens', { accessToken: 'opaque-0', refreshToken: 'rt-0', expiresIn: 4 })
  await expect
    .poll(() => call(page, 'state'), { timeout: 10_000 })
    .toMatchObject({ status: 'authenticated', accessToken: 'opaque-1' })
  expect(spends).toEqual(['rt-0:ok'])
  const port = new URL(core.server.origin).port
  expect(await call(page, 'fetch', '/api/data')).toBe(200)
  expect(await call(page, 'fetch', `${core.server.origin}/api/absolute`)).toBe(200)
  expect(await call(page, 'fetch', `http://localhost:${port}/api/elsewhere`)).toBe(200)
  expect(seen).toEqual([
    '127.0.0.1 /api/data Bearer opaque-1',
    '127.0.0.1 /api/absolute Bearer opaque-1',
    'localhost /api/elsewhere -',
  ])
  await context.close()
})

it("a worker with syncTabs: 'memory' receives the page's session, shares its refresh and follows its logout", async () => {
  reset()
  const { context, page } = await open()
  await page.evaluate(() => {
    const w = window as any
    w.pageEvents = []
    w.auth = w.latchkey.createAuthClient({
      syncTabs: 'memory',
      refresh: async ({ refreshToken }: { refreshToken: string }) => {
        const res = await fetch(`/spend?rt=${refreshToken}`, { method: 'POST' })
        if (!res.ok) throw Object.assign(new Error('refresh failed'), { status: res.status })
        return res.json()
      },
    })
    for (const type of ['login', 'refresh', 'logout'])
      w.auth.on(type, (e: any) => w.pageEvents.push(`${type} ${e.reason ?? e.accessToken}`))
    w.auth.setTokens({ accessToken: 'opaque-0', refreshToken: 'rt-0', expiresIn: 3600 })
  })
  // A new tab (here the worker) starts signed out and asks the open ones.
  await call(page, 'make', { syncTabs: 'memory' })
  await expect.poll(() => call(page, 'events'), { timeout: 5_000 }).toEqual(['login opaque-0'])
  // Both ask for a refresh at once: one of them spends rt-0 (Web Locks span the page and its
  // worker), the other takes the result.
  const both = await page.evaluate(() => {
    const w = window as any
    return Promise.all([w.auth.refresh(), w.call('refresh')])
  })
  expect({ both, spends }).toEqual({ both: ['opaque-1', 'opaque-1'], spends: ['rt-0:ok'] })
  await page.evaluate(() => (window as any).auth.logout())
  await expect
    .poll(() => call(page, 'state'))
    .toEqual({ status: 'unauthenticated', accessToken: null, error: null })
  expect((await call(page, 'events')).at(-1)).toBe('logout other_tab')
  await context.close()
})

it('a worker whose retries are spent refreshes when the network returns', async () => {
  reset()
  const { context, page } = await open()
  await call(page, 'make', { retry: { attempts: 1 } })
  failing = true
  // Expired: its first attempt fails and no retry is left.
  await call(page, 'setTokens', { accessToken: 'opaque-0', refreshToken: 'rt-0', expiresIn: 0 })
  await expect.poll(() => call(page, 'events'), { timeout: 5_000 }).toEqual(['refreshError refresh_failed'])
  expect(spends).toEqual(['rt-0:failed'])
  failing = false
  // Chromium fires no `online` in workers; the client watches navigator.onLine, once a second.
  await context.setOffline(true)
  await new Promise((r) => setTimeout(r, 1_500))
  await context.setOffline(false)
  await expect
    .poll(() => call(page, 'state'), { timeout: 5_000 })
    .toMatchObject({
      status: 'authenticated',
      accessToken: 'opaque-1',
    })
  expect(spends).toEqual(['rt-0:failed', 'rt-0:ok'])
  await context.close()
})
