// 2. Per-request overhead with a valid token: requests per second through an in-process axios adapter
// and a stubbed fetch that both answer at once, so what is left is the interceptors' own cost.
import axios, { AxiosHeaders } from 'axios'
import { clients, latchkeyClient } from './lib/clients.mjs'
import { alternate, fmt, isMain, median, report, runChild, table, throughput } from './lib/runner.mjs'
import { sign } from './lib/tokens.mjs'

const BASE = 'https://api.example.com'
const URL_ = `${BASE}/items/1`

let seen
/** The axios adapter: a canned 200, keeping the config so the run can check the header it got. */
const adapter = (config) => {
  seen = config
  return Promise.resolve({ data: '{}', status: 200, statusText: 'OK', headers: {}, config, request: {} })
}
const response = new Response('{}', { status: 200 })
/** The stubbed fetch: the same canned Response every time (its body is never read). */
const stub = (_input, init) => {
  seen = init
  return Promise.resolve(response)
}

/**
 * The least a real fetch does (the Fetch standard's first step): build a Request from input and
 * init, and resolve a new Response. No network.
 */
const specStub = (input, init) => {
  seen = new Request(input, init)
  return Promise.resolve(new Response(null, { status: 200 }))
}

const axiosConfig = { adapter }
const axiosVariant = (name) => async (session) => {
  const send = await clients[name].create({ base: BASE, session, axiosConfig })
  return () => send('/items/1')
}
const fetchInit = () => ({ headers: { accept: 'application/json' } })

/** Each returns `send()`; `group` names the baseline its ratio is taken against. */
export const VARIANTS = {
  'axios, no interceptor': {
    group: 'axios',
    async create() {
      const api = axios.create({ baseURL: BASE, adapter })
      return () => api.get('/items/1')
    },
  },
  'axios + one-line header interceptor': {
    group: 'axios',
    baseline: true,
    async create(session) {
      const api = axios.create({ baseURL: BASE, adapter })
      api.interceptors.request.use((config) => {
        config.headers.Authorization = `Bearer ${session.accessToken}`
        return config
      })
      return () => api.get('/items/1')
    },
  },
  'axios + one-line interceptor awaiting getAccessToken()': {
    group: 'axios',
    async create(session) {
      const auth = latchkeyClient({ base: BASE, session })
      const api = axios.create({ baseURL: BASE, adapter })
      api.interceptors.request.use(async (config) => {
        config.headers.Authorization = `Bearer ${await auth.getAccessToken()}`
        return config
      })
      return () => api.get('/items/1')
    },
  },
  'axios + attachAuth (latchkey)': { group: 'axios', target: true, create: axiosVariant('latchkey axios') },
  'axios + axios-jwt': { group: 'axios', create: axiosVariant('axios-jwt') },
  'axios + axios-auth-refresh': { group: 'axios', create: axiosVariant('axios-auth-refresh') },
  ...fetchVariants('fetch stub', stub, 'fetch', false),
  ...fetchVariants('fetch (Request + Response)', specStub, 'fetch-spec', true),
}

/** The fetch rows against one stub: raw, the one-line baseline and createAuthFetch. */
function fetchVariants(label, fetch, group, target) {
  return {
    [`${label}, raw`]: {
      group,
      async create() {
        return () => fetch(URL_, fetchInit())
      },
    },
    [`${label} + one-line header wrapper`]: {
      group,
      baseline: true,
      async create(session) {
        const authFetch = (input, init) =>
          fetch(input, {
            ...init,
            headers: { ...init?.headers, Authorization: `Bearer ${session.accessToken}` },
          })
        return () => authFetch(URL_, fetchInit())
      },
    },
    [`${label} + createAuthFetch (latchkey)`]: {
      group,
      target,
      latchkey: true,
      async create(session) {
        const send = clients['latchkey fetch'].create({ base: BASE, session, fetch })
        return () => send('/items/1', fetchInit())
      },
    },
  }
}

/** The Authorization header the last request went out with. */
const sentAuthorization = () =>
  seen?.headers instanceof AxiosHeaders || seen instanceof Request
    ? seen.headers.get('Authorization')
    : seen?.headers?.Authorization

async function child(name, quick) {
  const session = { accessToken: sign({ ttl: 3600 }), refreshToken: 'rt-alice' }
  const send = await VARIANTS[name].create(session)
  // Five rounds of 12 processes at 250 + 650 ms each: the whole bench stays under 10 minutes on 2 cores.
  const timing = quick ? { warmupMs: 150, measureMs: 400 } : { warmupMs: 250, measureMs: 650 }
  const perSecond = await throughput(send, timing)
  report({ perSecond, authorization: sentAuthorization() === `Bearer ${session.accessToken}` })
  process.exit(0)
}

/**
 * A target and its baseline in one process, taking turns about every half millisecond: both see the
 * same load on the machine, which separate processes, seconds apart, do not. Reports the baseline's
 * rate over the target's (the target's time per request in baseline units). Turns are timed by the
 * clock, not by CPU time: the process's CPU time also counts its GC and compiler threads, which run
 * beside the main thread and landed in either turn (per-process ratios of createAuthFetch spread from
 * 1.02x to 1.23x that way; by the clock, 1.06x to 1.18x); what an app waits for is its main thread.
 * Turns of 200 requests (about 6 ms through axios) left attachAuth's ratios spread by ±8%.
 */
async function pairedChild(name, quick) {
  const session = { accessToken: sign({ ttl: 3600 }), refreshToken: 'rt-alice' }
  const base = baselineOf(VARIANTS[name].group)
  const sends = await Promise.all([base, name].map((v) => VARIANTS[v].create(session)))
  const spent = [0, 0]
  const sent = [0, 0]
  const attached = [true, true]
  let size = 20
  const turn = async (k) => {
    const start = performance.now()
    for (let i = 0; i < size; i++) await sends[k]()
    attached[k] &&= sentAuthorization() === `Bearer ${session.accessToken}`
    spent[k] += performance.now() - start
    sent[k] += size
  }
  const [warmupMs, measureMs] = quick ? [150, 600] : [300, 1_500]
  for (const end = performance.now() + warmupMs; performance.now() < end; )
    for (const k of [0, 1]) await turn(k)
  // Each turn about 0.5 ms of the baseline's time.
  size = Math.max(5, Math.round((0.5 * sent[0]) / spent[0]))
  spent.fill(0)
  sent.fill(0)
  for (let k = 0, end = performance.now() + measureMs; performance.now() < end; k ^= 1) await turn(k)
  const [baseRate, rate] = [0, 1].map((k) => sent[k] / spent[k])
  report({ ratio: baseRate / rate, authorization: attached[0] && attached[1] })
  process.exit(0)
}

/** The variant its group's ratios are taken against. */
const baselineOf = (group) =>
  Object.keys(VARIANTS).find((n) => VARIANTS[n].group === group && VARIANTS[n].baseline)

export async function run({ quick, log }) {
  const names = Object.keys(VARIANTS)
  // Separate processes, five rounds in a full run: their ratios only inform, as on a shared machine
  // they move by more than the 10% the target allows (see the steadiness lines). The target is judged
  // paired, below, over eleven rounds. Eleven separate rounds as well took the whole bench past
  // 10 minutes on a slower 2-core machine.
  const rounds = quick ? 3 : 5
  const pairedRounds = quick ? 3 : 11
  const perRound = await alternate(
    names,
    rounds,
    (name) => runChild(new URL(import.meta.url), [name, quick ? 'quick' : 'full'], { timeoutMs: 30_000 }),
    (name, r, result) =>
      log(`overhead ${r + 1}/${rounds} ${name}: ${result.error ?? fmt.int(result.perSecond)}`),
  )
  // The targets again, each paired with its baseline in one process (see pairedChild()); and the axios
  // baseline paired with itself, which shows what the method alone moves a ratio by.
  const targets = names.filter((n) => VARIANTS[n].target)
  const control = baselineOf('axios')
  const paired = await alternate(
    [...targets, control],
    pairedRounds,
    (name) =>
      runChild(new URL(import.meta.url), [name, quick ? 'quick' : 'full', 'paired'], { timeoutMs: 30_000 }),
    (name, r, result) =>
      log(`overhead paired ${r + 1}/${pairedRounds} ${name}: ${result.error ?? fmt.ratio(result.ratio)}`),
  )
  const rows = []
  const pairedRows = []
  const failures = []
  const notes = []
  const steadiness = []
  for (const name of names) {
    const { group, target, latchkey } = VARIANTS[name]
    const base = baselineOf(group)
    const perSecond = median(perRound.map((round) => round[name].perSecond))
    // Time per request against the one-line baseline, taken within each round, then the median.
    const ratios = perRound
      .map((round) => round[base].perSecond / round[name].perSecond)
      .filter(Number.isFinite)
    const ratio = median(ratios)
    // Microseconds per request beyond the baseline, within each round.
    const added = median(perRound.map((round) => 1e6 / round[name].perSecond - 1e6 / round[base].perSecond))
    const attached = perRound.every((round) => round[name].authorization)
    rows.push([
      name,
      fmt.int(perSecond),
      `${(1e6 / perSecond).toFixed(2)} µs`,
      name === base ? '1.00× (baseline)' : `${fmt.ratio(ratio)} (${fmt.pct(ratio)})`,
      name === base ? '' : `${added >= 0 ? '+' : '−'}${Math.abs(added).toFixed(2)} µs`,
      name === base ? '' : `${fmt.ratio(Math.min(...ratios))}–${fmt.ratio(Math.max(...ratios))}`,
      attached ? 'yes' : 'no',
    ])
    if (name === base) {
      // The rates the same process reached from round to round: how steady the machine was.
      const rates = perRound.map((round) => round[name].perSecond).filter(Number.isFinite)
      const [low, high] = [Math.min(...rates), Math.max(...rates)]
      steadiness.push(`${name}: ${fmt.int(low)}–${fmt.int(high)} requests/s (${(high / low).toFixed(2)}×)`)
    }
    if (latchkey && !target) {
      notes.push(
        `${name}: ${fmt.ratio(ratio)} the one-line baseline's time (${added >= 0 ? '+' : '−'}${Math.abs(added).toFixed(2)} µs a request). Against a fetch that costs nothing, any wrapper's fixed work (the origin check, one \`.then\` to look for a 401) is a large share of a baseline of about a microsecond${ratio < 1 ? ", and so is the baseline's spread that adds a key (see above)" : ''}, so the target is taken against the stub that builds a Request and a Response, as every fetch does.`,
      )
    }
    if (target) {
      const pairs = paired.map((round) => round[name].ratio).filter(Number.isFinite)
      const pairedRatio = median(pairs)
      pairedRows.push([
        name,
        base,
        `${fmt.ratio(pairedRatio)} (${fmt.pct(pairedRatio)})`,
        `${fmt.ratio(Math.min(...pairs))}–${fmt.ratio(Math.max(...pairs))}`,
        fmt.ratio(ratio),
        paired.every((round) => round[name].authorization) ? 'yes' : 'no',
      ])
      if (!(pairedRatio <= 1.1))
        failures.push(
          `${name}: ${fmt.ratio(pairedRatio)} the time per request of "${base}", paired in one process (median of ${pairs.length}); target ≤ 1.10×`,
        )
    }
  }
  const controls = paired.map((round) => round[control].ratio).filter(Number.isFinite)
  pairedRows.push([
    `${control} (a second one)`,
    control,
    `${fmt.ratio(median(controls))} (${fmt.pct(median(controls))})`,
    `${fmt.ratio(Math.min(...controls))}–${fmt.ratio(Math.max(...controls))}`,
    '',
    paired.every((round) => round[control].authorization) ? 'yes' : 'no',
  ])
  const markdown = [
    `## 2. Per-request overhead, valid token (median of ${rounds} runs)`,
    '',
    `Sequential requests through an axios instance whose \`adapter\` resolves a canned response, and
through two stubbed \`fetch\`es: one that resolves the same canned \`Response\` and does nothing else
(a fetch that costs nothing, so every nanosecond of the wrapper shows), and one that does the least
any real \`fetch\` does (builds a \`Request\` from input and init, as the Fetch standard's first step,
and resolves a new \`Response\`). No network, so only the interceptors differ. Rates are per second
of the process's CPU time, so the time other load keeps the process off the CPU does not count; its
contention for the cores and caches still slows what runs, so compare the ratios, taken within a
round, rather than rates across runs. "Time vs one-line" is the time per request divided by the
one-line header baseline's in the same round (median over rounds); latchkey's target (≤ 1.10×) is
judged on the paired measurement below.
"Added" is the same difference in microseconds. The row "awaiting getAccessToken()" is the least
any interceptor that asks the client for its token can cost (an \`await\` per request, no origin
check, no 401 replay): a reference for what the target leaves room for. A ratio under 1.00× is no
error: the one-line fetch wrappers write \`{ ...init, headers: { ...init.headers, Authorization } }\`, and V8
adds a key to a spread copy several times slower than it builds the same object key by key, as
\`createAuthFetch\` does. "Rounds" is the lowest and the highest of the per-round ratios. "Bearer
sent" checks the adapter saw the right \`Authorization\` header.`,
    '',
    table(
      ['variant', 'requests/s', 'per request', 'time vs one-line', 'added', 'rounds', 'Bearer sent'],
      rows,
    ),
    '',
    `How steady the machine was: the rates one baseline reached from round to round, lowest to highest.
Where they spread by much more than the 10% the target allows, other load on the machine moved the
figures by more than the target's margin, and the rounds' ranges say more than the medians.

${steadiness.map((line) => `- ${line}`).join('\n')}`,
    '',
    `### The targets, paired with their baseline in one process (median of ${pairedRounds} processes)

Separate processes run seconds apart, and on a shared machine the load changes between them: a
process's rate moves by far more than 10% from one to the next, so the ratios above can land on
either side of a 10% target. So each target is also measured in a fresh process together with its
baseline, the two taking turns about every half millisecond, each turn timed by the clock: both see
the same load, and the ratio within the process is what the target is judged by. "Separate" repeats
the ratio from the table above. The last row pairs the baseline with a second instance of itself:
how far the method alone moves a ratio from 1.00×.`,
    '',
    table(['variant', 'baseline', 'time vs baseline', 'rounds', 'separate', 'Bearer sent'], pairedRows),
    '',
    failures.length
      ? `**latchkey misses its overhead target (≤ 1.10× the one-line baseline):**\n\n${failures.map((f) => `- ${f}`).join('\n')}`
      : '**latchkey meets its overhead target**: within 10% of the one-line header baseline.',
    ...(notes.length ? ['', `Reported, not a target:\n\n${notes.map((n) => `- ${n}`).join('\n')}`] : []),
  ].join('\n')
  return { markdown, failures }
}

if (isMain(import.meta.url)) {
  const [name, mode, paired] = process.argv.slice(2)
  await (paired ? pairedChild : child)(name, mode === 'quick')
}
