import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AuthState, createAuthClient, createAuthFetch, type TokenSet } from '../src'
import { rawJwt } from './helpers'

// A chaos harness: random interleavings of time, requests, refreshes, logins, logouts and server-side
// revocations, against a refresh endpoint that randomly fails every way the refresh rules know, and
// an API that randomly answers 401. Invariants are checked on every state change and at the end.
// fast-check prints the seed and the shrunk counterexample of any failing run.
const RUNS = Number(process.env.CHAOS_RUNS ?? 300)
const REPLAY = process.env.CHAOS_SEED

type Outcome = 'ok' | 'network' | '500' | '429' | 'hang' | 'malformed' | 'expired' | '401'
const PERMANENT: Outcome[] = ['malformed', 'expired', '401']

type Action =
  | { kind: 'advance'; ms: number }
  | { kind: 'request'; revoke: boolean }
  | { kind: 'getAccessToken' }
  | { kind: 'refresh' }
  | { kind: 'login' }
  | { kind: 'logout' }

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 120_000 }) }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('request' as const), revoke: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'getAccessToken' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'refresh' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'login' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'logout' as const }) },
)
const outcome = fc.constantFrom<Outcome>(
  'ok',
  'ok',
  'ok',
  'network',
  '500',
  '429',
  'hang',
  'malformed',
  'expired',
  '401',
)

const totals = { runs: 0, refreshes: 0, requests: 0, permanent: 0 }

afterEach(() => {
  vi.useRealTimers()
})

async function runScenario(actions: Action[], outcomes: Outcome[], ttl: number) {
  vi.useFakeTimers({ now: Date.UTC(2030, 0, 1) })
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  let serial = 0
  const issue = (life = ttl) => {
    const iat = Math.floor(Date.now() / 1000)
    return rawJwt({ alg: 'HS256' }, { sub: 'u', iat, exp: iat + life, n: ++serial })
  }
  const expiry = new Map<string, number>() // token → server-side expiry (ms)
  const revoked = new Set<string>()
  const login = (): TokenSet => {
    const accessToken = issue()
    expiry.set(accessToken, Date.now() + ttl * 1000)
    return { accessToken, refreshToken: `rt-${serial}` }
  }

  let inFlight = 0
  let maxInFlight = 0
  let permanentSeen = 0
  const queue = [...outcomes]
  const refresh = async ({ signal }: { signal: AbortSignal }): Promise<TokenSet> => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    try {
      const next = queue.shift() ?? 'ok'
      if (PERMANENT.includes(next)) permanentSeen++
      switch (next) {
        case 'network':
          throw new TypeError('Failed to fetch')
        case '500':
        case '429':
          throw Object.assign(new Error(`HTTP ${next}`), { status: Number(next) })
        case '401':
          throw Object.assign(new Error('HTTP 401'), { status: 401 })
        case 'hang':
          return await new Promise<TokenSet>((_, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason)),
          )
        case 'malformed':
          return { accessToken: 'not.a.token' }
        case 'expired':
          return { accessToken: issue(0) }
        default: {
          const accessToken = issue()
          expiry.set(accessToken, Date.now() + ttl * 1000)
          return { accessToken, refreshToken: `rt-${serial}` }
        }
      }
    } finally {
      inFlight--
    }
  }

  const auth = createAuthClient({
    refresh,
    refreshTimeout: 5_000,
    retry: { attempts: 3, baseDelay: 500, maxDelay: 4_000 },
  })
  const violations: string[] = []
  const check = (s: AuthState, where: string) => {
    if (!['authenticated', 'expired', 'unauthenticated'].includes(s.status))
      violations.push(`${where}: status ${s.status}`)
    if (s.isAuthenticated !== (s.status === 'authenticated')) violations.push(`${where}: isAuthenticated`)
    if ((s.accessToken === null) !== (s.status === 'unauthenticated'))
      violations.push(`${where}: token/status`)
    if (s.status === 'expired' && !s.canRefresh) violations.push(`${where}: expired without canRefresh`)
    if (s.status === 'unauthenticated' && (s.claims !== null || s.expiresAt !== null))
      violations.push(`${where}: leftovers`)
  }
  auth.subscribe((s) => check(s, 'change'))
  let permanentBeforeLogout = 0
  auth.on('logout', (e) => {
    // Transient failures never log the user out: only a permanent outcome (or the user) does.
    if (e.reason === 'refresh_rejected' && permanentSeen <= permanentBeforeLogout) {
      violations.push('logged out without a permanent failure')
    }
    permanentBeforeLogout = permanentSeen
  })
  auth.on('refreshError', (e) => {
    if (e.error.permanent && auth.getState().status !== 'unauthenticated')
      violations.push('permanent failure kept the session')
  })

  const api = createAuthFetch(auth, {
    origins: ['https://api.test'],
    fetch: async (_input, init) => {
      const header = new Headers(init?.headers).get('authorization')
      const sent = header?.slice('Bearer '.length) ?? ''
      const localExpiry = auth.getState().accessToken === sent ? auth.getState().expiresAt : null
      // No request leaves with a token the client knew had expired.
      if (localExpiry !== null && Date.now() >= localExpiry) violations.push('sent an expired token')
      const ok = sent && !revoked.has(sent) && (expiry.get(sent) ?? 0) > Date.now()
      return new Response(null, { status: ok ? 200 : 401 })
    },
  })

  const pending: Array<Promise<unknown>> = []
  let settled = 0
  const track = (p: Promise<unknown>) =>
    pending.push(
      p.then(
        () => settled++,
        () => settled++,
      ),
    )
  auth.setTokens(login())
  for (const a of actions) {
    switch (a.kind) {
      case 'advance':
        await vi.advanceTimersByTimeAsync(a.ms)
        break
      case 'request': {
        const current = auth.getState().accessToken
        if (a.revoke && current) revoked.add(current)
        track(api('https://api.test/data'))
        break
      }
      case 'getAccessToken':
        track(auth.getAccessToken())
        break
      case 'refresh':
        track(auth.refresh())
        break
      case 'login':
        auth.setTokens(login())
        break
      case 'logout':
        track(auth.logout())
        break
    }
    check(auth.getState(), a.kind)
  }
  // Everything settles: nothing is left waiting on a refresh.
  await vi.advanceTimersByTimeAsync(600_000)
  await Promise.all(pending)
  const leftover = pending.length - settled
  auth.destroy()
  const timers = vi.getTimerCount()

  process.off('unhandledRejection', onUnhandled)
  vi.useRealTimers()
  totals.runs++
  totals.refreshes += serial
  totals.requests += pending.length
  totals.permanent += permanentSeen
  return { violations, maxInFlight, leftover, timers, unhandled }
}

describe('chaos (property-based)', () => {
  it(
    `keeps every invariant over ${RUNS} random runs of faults and interleavings`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(action, { minLength: 1, maxLength: 40 }),
          fc.array(outcome, { maxLength: 30 }),
          fc.integer({ min: 2, max: 600 }),
          async (actions, outcomes, ttl) => {
            const r = await runScenario(actions, outcomes, ttl)
            expect(r.violations).toEqual([])
            expect(r.maxInFlight).toBeLessThanOrEqual(1)
            expect(r.leftover).toBe(0)
            expect(r.timers).toBe(0)
            expect(r.unhandled).toEqual([])
          },
        ),
        // CHAOS_SEED and CHAOS_PATH replay a failure fast-check printed.
        REPLAY ? { seed: Number(REPLAY), path: process.env.CHAOS_PATH ?? '' } : { numRuns: RUNS },
      )
      // The harness really exercised the client (a figure for the README's Reliability section).
      console.info(`[chaos] ${JSON.stringify(totals)}`)
      if (!REPLAY) {
        expect(totals.refreshes).toBeGreaterThan(RUNS)
        expect(totals.permanent).toBeGreaterThan(0)
      }
    },
    60_000 + RUNS * 100,
  )
})
