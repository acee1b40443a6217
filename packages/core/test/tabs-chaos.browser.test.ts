// @vitest-environment happy-dom
import fc from 'fast-check'
import { afterEach, describe, it, vi } from 'vitest'
import { T0 } from './helpers'
import { type Action, createTabWorld, type Outcome } from './support/tabWorld'

/**
 * A model-based chaos test of tabs: random interleavings of sign-ins, sign-outs, refreshes and token
 * reads in 2–3 tabs, of the news between them (storage events and channel messages, each in order per
 * sender, the two in any order), of the refresh endpoint's answers (ok, 503, lost, hung) and of time.
 * Once everything settles, every tab must hold what storage holds, no refresh token may have been
 * spent twice (unless its answer was lost), nothing may reject unhandled and no error message may
 * quote a token; and throughout, no tab may take back a sign-in a logout ended once it heard so.
 * fast-check prints the seed and the shrunk actions of a failure; `log` tells what each tab did and
 * heard. Runs that reach a known, unfixed gap would be counted, not checked (see `excluded` in
 * support/tabWorld); none is known today. The two there were (a removal heard after storage took an entry
 * since; with three tabs, a logout removing a sign-in its tab had not heard of, whose news a third tab
 * heard before what the logout ended) are checked since removals name what they removed (a StorageEvent's
 * oldValue, a `[-1, g, id]` message): see the findings file.
 */
const RUNS = Number(process.env.TABS_CHAOS_RUNS ?? 1000)
// The storage the tabs share: sync (localStorage), `async` (a custom one whose calls answer 1 ms later,
// writes landing at once) or `lag` (async, writes landing only as they are acknowledged, 3 ms later: an
// encrypting store). `TABS_CHAOS_ASYNC=0` (sync), `=1` (async) or `=lag` runs that one alone, for long
// runs. Seeds 2, 11 and 14, which failed before (a refresh token spent twice) until a write over a found
// entry moved into the refresh lock, pass; so does seed 41 (`lag`), since the model waits for every call
// lost or hung to time out before it judges a run settled (see settle() in support/tabWorld, and the
// findings file's last case). The seeds run here pass in every mode.
const MODES = { '': ['sync', 'async', 'lag'], '0': ['sync'], '1': ['async'], lag: ['lag'] }[
  process.env.TABS_CHAOS_ASYNC ?? ''
]!
const SEEDS = process.env.TABS_CHAOS_SEED ? [Number(process.env.TABS_CHAOS_SEED)] : [20_301, 7]

const tab = fc.integer({ min: 0, max: 2 })
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('setTokens' as const),
      tab,
      user: fc.constantFrom('alice' as const, 'bob' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('logout' as const), tab }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('refresh' as const), tab }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('getAccessToken' as const), tab }) },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      tab,
      source: fc.constantFrom('storage' as const, 'channel' as const),
      pick: fc.nat(3),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('resolve' as const),
      pick: fc.nat(3),
      outcome: fc.constantFrom<Outcome>('ok', 'ok', 'ok', '503', 'lost', 'hang'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      // Mostly a lock's turn or less; now and then past a token's refresh point (240 s of 300).
      ms: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(0, 1, 10, 50, 60, 200, 1_000, 5_000) },
        { weight: 1, arbitrary: fc.constant(241_000) },
      ),
    }),
  },
)

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

const totals = { runs: 0, calls: 0, rotations: 0, rejections: 0, excluded: {} as Record<string, number> }

async function scenario(mode: string, tabs: number, signedIn: boolean, actions: Action[], order: number[]) {
  vi.useFakeTimers({ now: T0 })
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  const world = createTabWorld(tabs, 1, { async: mode !== 'sync', lag: mode === 'lag' })
  try {
    // Most runs start signed in, every tab told: refreshes need a session.
    if (signedIn) {
      await world.act({ kind: 'setTokens', tab: 0, user: 'alice' })
      await world.settle()
    }
    for (const a of actions) if (!('tab' in a) || a.tab < tabs) await world.act(a)
    await world.settle(order)
    const excluded = world.excluded()
    totals.runs++
    totals.calls += world.stats.calls
    totals.rotations += world.stats.rotations
    totals.rejections += world.stats.rejections
    if (excluded) totals.excluded[excluded] = (totals.excluded[excluded] ?? 0) + 1
    const found = excluded ? [] : world.check(unhandled)
    return { found, log: world.log }
  } finally {
    await world.destroy()
    process.off('unhandledRejection', onUnhandled)
    vi.useRealTimers()
    vi.unstubAllGlobals()
    vi.restoreAllMocks()
  }
}

describe.each(MODES)('tabs (model-based chaos), %s storage', (mode) => {
  it.each(SEEDS)(
    `keep one session between them over ${RUNS} random interleavings (seed %i)`,
    async (seed) => {
      Object.assign(totals, { runs: 0, calls: 0, rotations: 0, rejections: 0, excluded: {} })
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 2, max: 3 }),
          fc.boolean(),
          fc.array(action, { minLength: 1, maxLength: 40 }),
          fc.array(fc.nat(20), { minLength: 1, maxLength: 8 }),
          async (tabs, signedIn, actions, order) => {
            const { found, log } = await scenario(mode, tabs, signedIn, actions, order)
            if (found.length) throw new Error(`${found.join('\n')}\n--- log ---\n${log.join('\n')}`)
          },
        ),
        { seed, numRuns: RUNS, path: process.env.TABS_CHAOS_PATH ?? '' },
      )
      console.info(`[tabs-chaos ${mode}] ${JSON.stringify(totals)}`)
    },
    120_000,
  )
})
