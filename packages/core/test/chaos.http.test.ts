import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuthClient, createAuthFetch, oauth2Refresh } from '../src'
import { rawJwt } from './helpers'

// The chaos harness over real HTTP: a node:http server on 127.0.0.1 whose token endpoint fails in
// every way a network and a server can (reset connections, 500, 429, hangs, HTML, malformed and
// expired tokens, invalid_grant) and whose API answers 401 at random. Real timers, short timings.
const RUNS = Number(process.env.CHAOS_HTTP_RUNS ?? 25)
type Fault = 'ok' | 'reset' | '500' | '429' | 'hang' | 'html' | 'malformed' | 'expired' | 'invalid_grant'
const PERMANENT: Fault[] = ['malformed', 'expired', 'invalid_grant']

let server: Server
let base = ''
let faults: Fault[] = []
let api401 = 0
let refreshes = 0
// Refresh calls in flight, counted around the refresh function: the server cannot tell, as a timed-out
// request's socket may close only after the retry (backoff from 0 ms) has reached it.
let concurrent = 0
let maxConcurrent = 0
const valid = new Set<string>()

const issue = (life: number) => {
  const iat = Math.floor(Date.now() / 1000)
  return rawJwt({ alg: 'HS256' }, { sub: 'u', iat, exp: iat + life, j: Math.random() })
}
const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/token') {
      refreshes++
      const fault = faults.shift() ?? 'ok'
      if (fault === 'reset') return req.socket.destroy()
      if (fault === 'hang') return
      if (fault === '500' || fault === '429') return json(res, Number(fault), { error: 'server_error' })
      if (fault === 'html')
        return res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>Bad gateway</html>')
      if (fault === 'invalid_grant') return json(res, 400, { error: 'invalid_grant' })
      const token = fault === 'malformed' ? 'a.b' : issue(fault === 'expired' ? 0 : 2)
      valid.add(token)
      return json(res, 200, { access_token: token, refresh_token: `rt-${refreshes}`, expires_in: 2 })
    }
    const token = req.headers.authorization?.slice(7) ?? ''
    if (!valid.has(token) || Math.random() < 0.2) {
      api401++
      return res.writeHead(401).end()
    }
    res.writeHead(200).end('ok')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('chaos over real HTTP (property-based)', () => {
  it(
    `keeps the invariants over ${RUNS} runs against a faulty token endpoint`,
    async () => {
      const unhandled: unknown[] = []
      const onUnhandled = (e: unknown) => unhandled.push(e)
      process.on('unhandledRejection', onUnhandled)
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.constantFrom<Fault>(
              'ok',
              'ok',
              'reset',
              '500',
              '429',
              'hang',
              'html',
              'malformed',
              'expired',
              'invalid_grant',
            ),
            {
              maxLength: 8,
            },
          ),
          fc.array(fc.integer({ min: 0, max: 150 }), { minLength: 1, maxLength: 14 }),
          async (plan, gaps) => {
            faults = [...plan]
            maxConcurrent = 0
            const permanentPlanned = plan.some((f) => PERMANENT.includes(f))
            const first = issue(1)
            valid.add(first)
            const exchange = oauth2Refresh({ tokenEndpoint: `${base}/token`, clientId: 'chaos' })
            const auth = createAuthClient({
              refresh: async (context) => {
                maxConcurrent = Math.max(maxConcurrent, ++concurrent)
                try {
                  return await exchange(context)
                } finally {
                  concurrent--
                }
              },
              refreshTimeout: 150,
              retry: { attempts: 3, baseDelay: 10, maxDelay: 40 },
              refreshLeeway: 0.5,
            })
            const reasons: string[] = []
            auth.on('logout', (e) => reasons.push(e.reason))
            auth.setTokens({ accessToken: first, refreshToken: 'rt-0' })
            const api = createAuthFetch(auth, { origins: [base] })
            const requests: Array<Promise<number>> = []
            for (const gap of gaps) {
              requests.push(api(`${base}/api`).then((r) => r.status))
              await sleep(gap)
            }
            const statuses = await Promise.all(requests)
            const state = auth.getState()
            auth.destroy()
            expect(statuses.every((s) => s === 200 || s === 401)).toBe(true)
            expect(maxConcurrent).toBeLessThanOrEqual(1)
            expect(['authenticated', 'expired', 'unauthenticated']).toContain(state.status)
            if (reasons.includes('refresh_rejected')) expect(permanentPlanned).toBe(true)
          },
        ),
        { numRuns: RUNS },
      )
      process.off('unhandledRejection', onUnhandled)
      expect(unhandled).toEqual([])
      console.info(`[chaos-http] ${RUNS} runs, ${refreshes} token requests, ${api401} API 401s`)
      expect(refreshes).toBeGreaterThan(RUNS / 2)
    },
    60_000 + RUNS * 2_000,
  )
})
