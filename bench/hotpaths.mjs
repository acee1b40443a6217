// 4. Hot paths: getAccessToken() and peekAccessToken() on a valid token, setTokens() (which decodes), jwt-decode alone, and a
// count of jwt-decode calls through a wrapped module, to show decoding happens per token, not per request.
import { createRequire, register } from 'node:module'
import { alternate, fmt, isMain, median, report, runChild, table, throughput } from './lib/runner.mjs'
import { sign } from './lib/tokens.mjs'

const BASE = 'https://api.example.com'
const REQUESTS = 10_000

/** Timed operations: `create(tokens)` → `{ fn, sync }`; `tokens` are 1,000 distinct valid tokens. */
const TIMED = {
  'getAccessToken(), valid token': async (tokens) => {
    const { createAuthClient } = await import('@latchkey/core')
    const auth = createAuthClient({ refresh: async () => ({ accessToken: tokens[1] }) })
    auth.setTokens({ accessToken: tokens[0], refreshToken: 'rt' })
    return { fn: () => auth.getAccessToken() }
  },
  'peekAccessToken(), valid token': async (tokens) => {
    const { createAuthClient } = await import('@latchkey/core')
    const auth = createAuthClient({ refresh: async () => ({ accessToken: tokens[1] }) })
    auth.setTokens({ accessToken: tokens[0], refreshToken: 'rt' })
    return { fn: () => auth.peekAccessToken(), sync: true }
  },
  'setTokens(), a new token each call': async (tokens) => {
    const { createAuthClient } = await import('@latchkey/core')
    const auth = createAuthClient({ refresh: async () => ({ accessToken: tokens[1] }) })
    return {
      fn: (i) => auth.setTokens({ accessToken: tokens[i % tokens.length], refreshToken: 'rt' }),
      sync: true,
    }
  },
  'jwtDecode(token) alone (jwt-decode 4)': async (tokens) => {
    const { jwtDecode } = await import('jwt-decode')
    return { fn: (i) => jwtDecode(tokens[i % tokens.length]), sync: true }
  },
}

/** Counted runs: jwt-decode calls when the token is set, and over REQUESTS requests. */
const COUNTED = {
  'latchkey (core, createAuthFetch, attachAuth)': async (session) => {
    register('./lib/decodeHooks.mjs', import.meta.url)
    const calls = () => globalThis.jwtDecodeCalls
    const { createAuthClient, createAuthFetch } = await import('@latchkey/core')
    const { attachAuth } = await import('@latchkey/axios')
    const { default: axios } = await import('axios')
    const auth = createAuthClient({ refresh: async () => session })
    const before = calls()
    auth.setTokens(session)
    const onSet = calls() - before
    const api = createAuthFetch(auth, { origins: [BASE], fetch: async () => new Response('{}') })
    const instance = axios.create({
      baseURL: BASE,
      adapter: async (config) => ({ status: 200, config, headers: {} }),
    })
    attachAuth(instance, auth, { origins: [BASE] })
    const start = calls()
    for (let i = 0; i < REQUESTS; i++) await auth.getAccessToken()
    for (let i = 0; i < REQUESTS; i++) await api(`${BASE}/items`)
    for (let i = 0; i < REQUESTS; i++) await instance.get('/items')
    return {
      onSet,
      perRequests: (calls() - start) / 3,
      note: 'getAccessToken + createAuthFetch + attachAuth',
    }
  },
  'axios-jwt': async (session) => {
    // axios-jwt is CommonJS: put a counting jwt-decode 3 in the require cache before it loads.
    const requireFromJwt = createRequire(createRequire(import.meta.url).resolve('axios-jwt'))
    const path = requireFromJwt.resolve('jwt-decode')
    const real = requireFromJwt('jwt-decode')
    let count = 0
    const counted = (...args) => {
      count++
      return real(...args)
    }
    Object.assign(counted, real, { default: counted })
    requireFromJwt.cache[path].exports = counted
    const { clients } = await import('./lib/clients.mjs')
    const adapter = async (config) => ({ status: 200, config, headers: {} })
    const before = count
    const send = await clients['axios-jwt'].create({ base: BASE, session, axiosConfig: { adapter } })
    const onSet = count - before
    const start = count
    for (let i = 0; i < REQUESTS; i++) await send('/items')
    return { onSet, perRequests: count - start, note: 'requests through its interceptor' }
  },
}

async function child(kind, name, quick) {
  const tokens = Array.from({ length: 1000 }, () => sign({ ttl: 3600 }))
  if (kind === 'count') {
    report(await COUNTED[name]({ accessToken: tokens[0], refreshToken: 'rt-alice' }))
  } else {
    const { fn, sync } = await TIMED[name](tokens)
    const timing = quick ? { warmupMs: 150, measureMs: 400 } : { warmupMs: 300, measureMs: 800 }
    report({ perSecond: await throughput(fn, { ...timing, sync }) })
  }
  process.exit(0)
}

export async function run({ quick, log }) {
  const variants = [
    ...Object.keys(TIMED).map((n) => JSON.stringify(['time', n])),
    ...Object.keys(COUNTED).map((n) => JSON.stringify(['count', n])),
  ]
  const rounds = quick ? 2 : 3
  const perRound = await alternate(
    variants,
    rounds,
    (v) =>
      runChild(new URL(import.meta.url), [...JSON.parse(v), quick ? 'quick' : 'full'], { timeoutMs: 60_000 }),
    (v, r, result) => log(`hot paths ${r + 1}/${rounds} ${JSON.parse(v)[1]}: ${result.error ?? 'ok'}`),
  )
  const key = (kind, n) => JSON.stringify([kind, n])
  const gat = key('time', Object.keys(TIMED)[0])
  const timedRows = Object.keys(TIMED).map((n) => {
    const perSecond = median(perRound.map((round) => round[key('time', n)].perSecond))
    const ratio = median(perRound.map((round) => round[gat].perSecond / round[key('time', n)].perSecond))
    return [n, fmt.int(perSecond), `${fmt.int(1e9 / perSecond)} ns`, fmt.ratio(ratio)]
  })
  const countRows = Object.keys(COUNTED).map((n) => {
    const runs = perRound.map((round) => round[key('count', n)])
    const failed = runs.find((r) => r.error)
    if (failed) return [n, 'error', failed.error, '']
    return [
      n,
      fmt.int(median(runs.map((r) => r.onSet))),
      fmt.int(median(runs.map((r) => r.perRequests))),
      runs[0].note,
    ]
  })
  const [, onSet, perRequests] = countRows[0]
  const failures = []
  if (onSet === 'error') failures.push(`the jwt-decode count failed: ${perRequests}`)
  else if (perRequests !== '0')
    failures.push(`jwt-decode called ${perRequests} times per ${REQUESTS} requests`)
  const markdown = [
    `## 4. Hot paths (median of ${rounds} runs)`,
    '',
    '`getAccessToken()` on a valid token against `setTokens()` with a new token each call (validation,',
    'decoding, the state snapshot, the refresh timer) and a bare `jwtDecode`. "Time vs getAccessToken" is',
    'the time per call divided by `getAccessToken()`’s, within each run. Rates are per second of CPU time.',
    '',
    table(['operation', 'ops/s', 'per call', 'time vs getAccessToken'], timedRows),
    '',
    `jwt-decode calls counted through a wrapped module (module hooks for latchkey's ESM build, the require
cache for axios-jwt's CommonJS): when the token is set, and over ${fmt.int(REQUESTS)} requests with a valid token.
latchkey decodes header and payload once per token (2 calls); a request decodes nothing.`,
    '',
    table(
      ['library', 'jwt-decode calls per token set', `per ${fmt.int(REQUESTS)} requests`, 'requests'],
      countRows,
    ),
    '',
    failures.length
      ? `**latchkey misses its hot-path target:** ${failures.join('; ')}`
      : '**latchkey decodes once per token**: no jwt-decode call on the request path.',
  ].join('\n')
  return { markdown, failures }
}

if (isMain(import.meta.url)) {
  const [kind, name, mode] = process.argv.slice(2)
  await child(kind, name, mode === 'quick')
}
