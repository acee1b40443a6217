// 3. Refresh storms: N concurrent requests against a real node:http server on 127.0.0.1 that signs
// HS256 tokens and counts refresh calls. One fresh client process (and server process) per run.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { alternate, fmt, isMain, median, report, runChild, table } from './lib/runner.mjs'

const TIMEOUT_MS = 10_000

/** `server` configures lib/server.mjs; `spreadMs`: half the requests start at once, half over that time. */
export const SCENARIOS = {
  expired: {
    label: 'token expired',
    server: { session: 'expired', refreshDelay: 25 },
    canSucceed: true,
  },
  revoked: {
    label: 'token revoked, unexpired (every request gets 401)',
    server: { session: 'revoked', refreshDelay: 25 },
    canSucceed: true,
  },
  slow: {
    label: 'token expired, refresh takes 2 s, half the requests arrive during it',
    server: { session: 'expired', refreshDelay: 2000 },
    spreadMs: 1900,
    canSucceed: true,
  },
  // From an expired token, so every client reaches its refresh: axios-jwt calls it only when its own
  // exp check says so, never on a 401.
  refresh401: {
    label: 'token expired, refresh endpoint answers 401',
    server: { session: 'expired', refreshDelay: 25, refreshStatus: 401 },
    canSucceed: false,
  },
  jitter: {
    label: 'token revoked, API answers after 0–50 ms jitter (401s spread out)',
    server: { session: 'revoked', refreshDelay: 25, apiJitter: 50 },
    canSucceed: true,
  },
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** 'ok', 'failed', or 'hanging' when the request has not settled after TIMEOUT_MS. */
function settle(promise) {
  let timer
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, TIMEOUT_MS, 'hanging')))
  const outcome = promise.then(
    (ok) => (ok ? 'ok' : 'failed'),
    () => 'failed',
  )
  return Promise.race([outcome, timeout]).finally(() => clearTimeout(timer))
}

async function child(lib, name, n) {
  const scenario = SCENARIOS[name]
  let unhandled = 0
  process.on('unhandledRejection', () => unhandled++)
  const server = fork(fileURLToPath(new URL('./lib/server.mjs', import.meta.url)), [
    JSON.stringify(scenario.server),
  ])
  // The clients' modules load while the server starts: half a second less per run, out of the timing.
  const [{ clients }, [{ port }]] = await Promise.all([import('./lib/clients.mjs'), once(server, 'message')])
  const base = `http://127.0.0.1:${port}`
  const session = await (await fetch(`${base}/__session`)).json()
  const { kind, create } = clients[lib]
  const send = await create({ base, session })
  const ok =
    kind === 'fetch'
      ? async (path) => {
          const res = await send(path)
          await res.arrayBuffer()
          return res.ok
        }
      : (path) => send(path).then(() => true)

  const start = performance.now()
  const now = Math.ceil(n / (scenario.spreadMs ? 2 : 1))
  const requests = []
  for (let i = 0; i < now; i++) requests.push(settle(ok(`/api/items/${i}`)))
  for (let i = now; i < n; i++) {
    const at = ((i - now + 1) * scenario.spreadMs) / (n - now)
    requests.push(sleep(at).then(() => settle(ok(`/api/items/${i}`))))
  }
  const outcomes = await Promise.all(requests)
  const wallMs = performance.now() - start

  const stats = await (await fetch(`${base}/__stats`)).json()
  server.kill()
  const count = (o) => outcomes.filter((x) => x === o).length
  report({ ...stats, sent: n, succeeded: count('ok'), hanging: count('hanging'), wallMs, unhandled })
  process.exit(0)
}

const NOTES = `Wiring: latchkey with \`oauth2Refresh\` and \`createAuthFetch\` / \`attachAuth\` (an expired session is
restored from storage written when the token was issued, as after a reload); axios-jwt with
\`applyAuthTokenInterceptor\` and a \`requestRefresh\` on the global axios; axios-auth-refresh with
\`createAuthRefresh\`, a refresh on the global axios and its README's header interceptor reading the
stored token, once with its default \`deduplicateRefresh: true\` (the setting its README recommends)
and once with \`deduplicateRefresh: false\` (the refresh call marked \`skipAuthRefresh\`, as the README
asks then); localStorage is a Map. What the pinned versions do, read from their code: axios-jwt
refreshes only when its own \`exp\` check says so and never looks at a 401, so a revoked token fails
every request; a refused refresh clears its tokens and fails the requests waiting for it, unsent.
axios-auth-refresh refreshes on the first 401. With \`deduplicateRefresh: true\` it queues requests
*sent* while that refresh runs but rejects the 401s of requests already in flight (the instance is in
its \`skipInstances\` until the refresh is over); with \`false\` those 401s share the running refresh
(its \`cache.refreshCall\`) and are replayed. Either way, a 401 that arrives after the refresh is over
starts another.`
const LATCHKEY = ['latchkey fetch', 'latchkey axios']

/** Median, with the range when the runs disagree (so a one-off extra refresh stays visible). */
const spread = (values, format = String) => {
  const xs = values.filter(Number.isFinite)
  if (!xs.length) return 'error'
  const lo = Math.min(...xs)
  const hi = Math.max(...xs)
  return lo === hi ? format(lo) : `${format(median(xs))} (${format(lo)}–${format(hi)})`
}

export async function run({ quick, log }) {
  const { clients } = await import('./lib/clients.mjs')
  const LIBS = Object.keys(clients)
  const sizes = [100, 1000]
  const cells = []
  for (const name of Object.keys(SCENARIOS))
    for (const n of sizes) for (const lib of LIBS) cells.push(JSON.stringify([lib, name, n]))
  const rounds = quick ? 1 : 3
  const perRound = await alternate(
    cells,
    rounds,
    (cell) => runChild(new URL(import.meta.url), JSON.parse(cell), { timeoutMs: 60_000 }),
    (cell, r, result) =>
      log(`storms ${r + 1}/${rounds} ${JSON.parse(cell).join(' ')}: ${result.error ?? 'ok'}`),
  )

  const rows = []
  const failures = []
  const errors = []
  for (const cell of cells) {
    const [lib, name, n] = JSON.parse(cell)
    const runs = perRound.map((round) => round[cell])
    for (const r of runs) if (r.error) errors.push(`${lib}, ${name}, N=${n}: ${r.error}`)
    const good = runs.filter((r) => !r.error)
    const pick = (key) => good.map((r) => r[key])
    const expected = SCENARIOS[name].canSucceed ? n : 0
    rows.push([
      SCENARIOS[name].label,
      fmt.int(n),
      lib,
      spread(pick('refreshCalls')),
      spread(pick('refreshPeak')),
      `${spread(pick('succeeded'), fmt.int)} / ${fmt.int(n)}`,
      spread(pick('hanging')),
      `${fmt.int(median(pick('apiCalls')))} (${fmt.int(median(pick('api401')))})`,
      fmt.ms(median(pick('wallMs'))),
    ])
    if (!LATCHKEY.includes(lib)) continue
    // Targets: exactly one refresh, nothing left hanging, everything that can succeed succeeds.
    const where = `${lib}, "${SCENARIOS[name].label}", N=${n}`
    for (const r of good) {
      if (r.refreshCalls !== 1) failures.push(`${where}: ${r.refreshCalls} refresh calls (target 1)`)
      if (r.hanging) failures.push(`${where}: ${r.hanging} request(s) left hanging after ${TIMEOUT_MS} ms`)
      if (r.succeeded !== expected)
        failures.push(`${where}: ${r.succeeded}/${n} succeeded (expected ${expected})`)
    }
    if (good.length < runs.length) failures.push(`${where}: ${runs.length - good.length} run(s) crashed`)
  }

  const markdown = [
    `## 3. Refresh storms (median of ${rounds} run${rounds > 1 ? 's' : ''})`,
    '',
    `N concurrent requests from one client against \`node:http\` on 127.0.0.1 (HS256 tokens, refresh
endpoint answers after 25 ms unless stated). Refresh calls, their peak concurrency and the API
requests (and 401s among them) are counted by the server; where runs disagree on refresh calls,
peak, successes or hanging requests, the range follows the median. API requests include replays.
A request is "hanging" when it has not settled ${TIMEOUT_MS / 1000} s after it was sent. Wall time runs
from the first request to the last one settled (or timed out). A fresh client process and server
process per run, cells alternating order between runs. Expected for every client: 1 refresh; all N
succeed, except "refresh endpoint answers 401", where none can.`,
    '',
    table(
      [
        'scenario',
        'N',
        'client',
        'refresh calls',
        'peak concurrent refreshes',
        'succeeded / sent',
        'hanging',
        'API requests (401s)',
        'wall',
      ],
      rows,
    ),
    '',
    NOTES,
    '',
    failures.length
      ? `**latchkey misses its storm targets:**\n\n${[...new Set(failures)].map((f) => `- ${f}`).join('\n')}`
      : '**latchkey meets its storm targets** in every run: one refresh, nothing hanging, every request that can succeed succeeded.',
    ...(errors.length ? ['', `Runs that failed:\n\n${errors.map((e) => `- ${e}`).join('\n')}`] : []),
  ].join('\n')
  return { markdown, failures }
}

if (isMain(import.meta.url)) {
  const [lib, name, n] = process.argv.slice(2)
  await child(lib, name, Number(n))
}
