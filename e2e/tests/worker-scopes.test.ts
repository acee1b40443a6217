import type http from 'node:http'
import type { BrowserContext, Page } from 'playwright-core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Real Chromium: @latchkey/core (built from source, `/lib.js`) in a dedicated worker, a SharedWorker and
 * a worker made from a `blob:` URL. None has `document`, `window` or `localStorage`; each has its own
 * `location` (the script's URL; a blob's carries its creator's origin), which is the default origin
 * rule there. Each test checks that nothing in the worker threw, rejected unhandled or logged a warning
 * or an error: the library must not touch a global the scope lacks.
 */
/** `Authorization` of each API request: `<host> <path> <header|->`. */
const seen: string[] = []
/** Each refresh token spent: `<rt>:<ok|reused>`. */
const spends: string[] = []
let current = 'rt-0'
let n = 0

// One script for all three kinds: a dedicated worker answers on its global scope, a shared one on the
// port of each page that connects. URLs are absolute (from location.origin): a blob worker has no base
// URL to resolve a path against.
const WORKER = `
  const problems = []
  self.addEventListener('error', (e) => problems.push('error ' + e.message))
  self.addEventListener('unhandledrejection', (e) => problems.push('unhandledrejection ' + e.reason))
  for (const level of ['warn', 'error']) {
    const log = console[level]
    console[level] = (...args) => {
      problems.push(level + ' ' + args.join(' '))
      log.apply(console, args)
    }
  }
  importScripts(location.origin + '/lib.js')
  let auth
  let listed
  const handlers = {
    make({ options, origins }) {
      auth = latchkey.createAuthClient({
        ...options,
        refresh: async ({ refreshToken, signal }) => {
          const res = await fetch(location.origin + '/spend?rt=' + refreshToken, { method: 'POST', signal })
          if (!res.ok) throw Object.assign(new Error('refused'), { status: res.status })
          return res.json()
        },
      })
      if (origins) listed = latchkey.createAuthFetch(auth, { origins })
      return auth.ready.then(() => null)
    },
    setTokens: (tokens) => void auth.setTokens(tokens),
    state: () => ({ status: auth.getState().status, accessToken: auth.getState().accessToken }),
    token: () => auth.getAccessToken(),
    fetch: (url) => auth.fetch(url).then((r) => r.status, (e) => 'rejected ' + e.name),
    fetchListed: (url) => listed(url).then((r) => r.status, (e) => 'rejected ' + e.name),
    scope: () => ({
      document: typeof document,
      window: typeof window,
      localStorage: typeof localStorage,
      origin: location.origin,
    }),
    problems: () => problems,
  }
  const serve = (port) => {
    port.onmessage = async ({ data: [id, command, argument] }) => {
      try {
        port.postMessage([id, await handlers[command](argument)])
      } catch (e) {
        port.postMessage([id, null, String((e && e.code) || e)])
      }
    }
  }
  if ('onconnect' in self) self.onconnect = (e) => serve(e.ports[0])
  else serve(self)`

function spend(url: URL, res: http.ServerResponse) {
  const rt = url.searchParams.get('rt')!
  const ok = rt === current
  spends.push(`${rt}:${ok ? 'ok' : 'reused'}`)
  if (!ok) return res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}')
  current = `rt-${++n}`
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ accessToken: `at-${n}`, expiresIn: 3600, refreshToken: current }))
}

function api(req: http.IncomingMessage, res: http.ServerResponse) {
  const path = new URL(req.url!, 'http://x').pathname
  if (path === '/api/worker.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(WORKER)
  // Other origins (localhost) are asked too: CORS lets a leaked header through, so it would be seen.
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization' }
  if (req.method === 'OPTIONS') return res.writeHead(204, cors).end()
  seen.push(`${req.headers.host?.split(':')[0]} ${path} ${req.headers.authorization ?? '-'}`)
  res.writeHead(200, cors).end('{}')
}

// The page starts workers (`start(kind, url)`, kind `dedicated`, `shared` or `blob`) and calls them
// (`call(i, command, argument)`), and records the errors the worker objects report.
const core = useCorePage({
  after: `
      window.workers = []
      window.workerErrors = []
      let calls = 0
      const pending = new Map()
      const answer = ({ data: [id, result, error] }) => {
        const [resolve, reject] = pending.get(id)
        pending.delete(id)
        error ? reject(new Error(error)) : resolve(result)
      }
      window.start = async (kind, url) => {
        if (kind === 'blob') {
          const script = await (await fetch(url)).text()
          url = URL.createObjectURL(new Blob([script], { type: 'text/javascript' }))
        }
        const worker = kind === 'shared' ? new SharedWorker(url) : new Worker(url)
        worker.onerror = (e) => workerErrors.push(kind + ' ' + (e.message || 'error'))
        const port = kind === 'shared' ? worker.port : worker
        port.onmessage = answer
        return workers.push(port) - 1
      }
      window.call = (i, command, argument) =>
        new Promise((resolve, reject) => {
          pending.set(++calls, [resolve, reject])
          workers[i].postMessage([calls, command, argument])
        })`,
  spend,
  api,
})

const contexts: BrowserContext[] = []
beforeEach(() => {
  seen.length = 0
  spends.length = 0
  current = 'rt-0'
  n = 0
})
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close()
})

async function open(context?: BrowserContext): Promise<Page> {
  if (!context) contexts.push((context = await core.browser.newContext()))
  const page = await context.newPage()
  await page.goto(`${core.server.origin}/`)
  return page
}

const start = (page: Page, kind: 'dedicated' | 'shared' | 'blob', url = '/api/worker.js') =>
  page.evaluate(([k, u]) => (window as any).start(k, u), [kind, url] as const)
const call = (page: Page, worker: number, command: string, argument?: unknown) =>
  page.evaluate(([w, c, a]) => (window as any).call(w, c, a), [worker, command, argument] as const)

/** Nothing thrown, rejected unhandled or logged in the worker, nor reported by the page's worker object. */
async function expectNoProblems(page: Page, worker: number) {
  expect({
    inWorker: await call(page, worker, 'problems'),
    onPage: await page.evaluate(() => (window as any).workerErrors),
  }).toEqual({ inWorker: [], onPage: [] })
}

const NO_PAGE = { document: 'undefined', window: 'undefined', localStorage: 'undefined' }

it('a dedicated worker keeps its session in memory, refreshes it, and sends the token only to the origins it is given', async () => {
  const page = await open()
  const port = new URL(core.server.origin).port
  const elsewhere = `http://localhost:${port}`
  const w = await start(page, 'dedicated')
  expect(await call(page, w, 'scope')).toEqual({ ...NO_PAGE, origin: core.server.origin })
  // `origins` lists the other origin only: the worker's own gets nothing from that fetch.
  await call(page, w, 'make', { options: { storage: 'memory' }, origins: [elsewhere] })
  // Expired: the client refreshes at once.
  await call(page, w, 'setTokens', { accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 0 })
  await expect.poll(() => call(page, w, 'state')).toEqual({ status: 'authenticated', accessToken: 'at-1' })
  expect(await call(page, w, 'token')).toBe('at-1')
  expect(spends).toEqual(['rt-0:ok'])
  for (const url of [`${elsewhere}/api/listed`, `${core.server.origin}/api/unlisted`, '/api/unlisted-path'])
    expect(await call(page, w, 'fetchListed', url)).toBe(200)
  // The client's own fetch has the default rule: the worker's origin (its script's), and no other.
  for (const url of ['/api/default-path', `${elsewhere}/api/default-elsewhere`])
    expect(await call(page, w, 'fetch', url)).toBe(200)
  expect(seen).toEqual([
    'localhost /api/listed Bearer at-1',
    '127.0.0.1 /api/unlisted -',
    '127.0.0.1 /api/unlisted-path -',
    '127.0.0.1 /api/default-path Bearer at-1',
    'localhost /api/default-elsewhere -',
  ])
  await expectNoProblems(page, w)
})

it('a SharedWorker holds one session for the pages connected to it: one refresh, and its own origin only', async () => {
  const one = await open()
  const two = await open(one.context())
  const w1 = await start(one, 'shared')
  const w2 = await start(two, 'shared')
  expect(await call(one, w1, 'scope')).toEqual({ ...NO_PAGE, origin: core.server.origin })
  // No storage given: memory, held by the one worker both pages talk to.
  await call(one, w1, 'make', {})
  await call(one, w1, 'setTokens', { accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 0 })
  // Both pages ask at once; the worker refreshes once.
  const tokens = await Promise.all([call(one, w1, 'token'), call(two, w2, 'token')])
  expect({ tokens, spends }).toEqual({ tokens: ['at-1', 'at-1'], spends: ['rt-0:ok'] })
  const port = new URL(core.server.origin).port
  expect(await call(two, w2, 'fetch', '/api/shared-path')).toBe(200)
  expect(await call(two, w2, 'fetch', `http://localhost:${port}/api/shared-elsewhere`)).toBe(200)
  expect(seen).toEqual(['127.0.0.1 /api/shared-path Bearer at-1', 'localhost /api/shared-elsewhere -'])
  await expectNoProblems(one, w1)
  await expectNoProblems(two, w2)
})

it('a worker made from a blob: URL takes its creator’s origin as the default rule', async () => {
  const page = await open()
  const w = await start(page, 'blob')
  // A blob's origin is the page's, though its location is `blob:http://…`.
  expect(await call(page, w, 'scope')).toEqual({ ...NO_PAGE, origin: core.server.origin })
  await call(page, w, 'make', {})
  await call(page, w, 'setTokens', { accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 3600 })
  const port = new URL(core.server.origin).port
  expect(await call(page, w, 'fetch', `${core.server.origin}/api/blob-own`)).toBe(200)
  expect(await call(page, w, 'fetch', `http://localhost:${port}/api/blob-elsewhere`)).toBe(200)
  expect(seen).toEqual(['127.0.0.1 /api/blob-own Bearer at-0', 'localhost /api/blob-elsewhere -'])
  expect(spends).toEqual([])
  await expectNoProblems(page, w)
})
