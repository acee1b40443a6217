// 1. Bundle cost: what an app pays to import each entry, measured by the helper the budget check
// (`scripts/check-size.mjs`, run by `pnpm test`) uses, so the figures match it.
import { fileURLToPath } from 'node:url'
import { LATCHKEY, measure } from '../scripts/size.mjs'
import { fmt, isMain, report, runChild, table } from './lib/runner.mjs'

const here = fileURLToPath(new URL('.', import.meta.url))

/**
 * [name, entry module, gzip budget in bytes or null]: latchkey's entries as check-size.mjs measures
 * them, with the project's targets as budgets (check-size.mjs enforces today's sizes for core), then
 * the peers'.
 */
export const ENTRIES = [
  ...LATCHKEY.map(([name, code, target]) => [`latchkey: ${name}`, code, target]),
  ['axios-jwt: applyAuthTokenInterceptor', `export { applyAuthTokenInterceptor } from 'axios-jwt'`, null],
  ['axios-auth-refresh: createAuthRefresh', `export { createAuthRefresh } from 'axios-auth-refresh'`, null],
  ['oidc-client-ts: UserManager', `export { UserManager } from 'oidc-client-ts'`, null],
  ['@supabase/auth-js: GoTrueClient', `export { GoTrueClient } from '@supabase/auth-js'`, null],
  ['@okta/okta-auth-js: OktaAuth', `export { OktaAuth } from '@okta/okta-auth-js'`, null],
  ['@auth0/auth0-spa-js: createAuth0Client', `export { createAuth0Client } from '@auth0/auth0-spa-js'`, null],
  [
    'floor: jwt-decode + mitt',
    `export { jwtDecode } from 'jwt-decode'\nexport { default as mitt } from 'mitt'`,
    null,
  ],
]

/** The target the stand-in builds below are measured against: `createAuthClient` + `createAuthFetch`'s. */
const TARGET = LATCHKEY.find(([name]) => name === 'createAuthClient + createAuthFetch')[2]

const source = fileURLToPath(new URL('../packages/core/src/index.ts', import.meta.url))
const clientAndFetch = `export { createAuthClient, createAuthFetch } from '${source}'`
/**
 * Parts of core that API.md requires, each replaced by a stand-in that does nothing, to show what it
 * costs in `createAuthClient` + `createAuthFetch` (built from source; the same bytes as dist, ±1%).
 */
const PARTS = [
  ['cookie storage', /storages[\\/]cookie\.ts$/, 'export const cookieStorage = () => ({})'],
  [
    'tab sync (BroadcastChannel, Web Locks, lease)',
    /tabSync\.ts$/,
    'export const createTabSync = () => null',
  ],
  [
    'wake-up re-checks (visibility, focus, online)',
    /wake\.ts$/,
    'export const listenForWake = () => () => {}\nexport const inWorker = () => false',
  ],
  [
    'origin check',
    /originMatcher\.ts$/,
    'export const createOriginMatcher = () => () => true\nexport const crossedOrigin = () => false\nexport const leftOrigin = () => false',
  ],
  [
    '401 rules (late 401s, one refresh, same user)',
    /tokenRenewer\.ts$/,
    "export const abortable = (p) => p\nexport const abortWith = (c, r) => c.abort(r)\nexport const SESSIONS = Symbol.for('latchkey.sessions')\nexport const createTokenRenewer = () => ({ sent: (token) => ({ token }), renew: async () => null })\nexport const failedNow = () => {}\nexport const isOneShot = () => true\nexport const copyBody = (body) => body",
  ],
]
const without = (parts) => [
  {
    name: 'stand-ins',
    setup(build) {
      for (const [, filter, contents] of parts) build.onLoad({ filter }, () => ({ contents, loader: 'js' }))
    },
  },
]
export const VARIANTS = [
  ['as built from source', []],
  ...PARTS.map((part) => [`without ${part[0]}`, [part]]),
  ['without all five', PARTS],
]

/**
 * Builds `createAuthClient` + `createAuthFetch` with each set of stand-ins. A stand-in that lacks an
 * export core now imports fails the build: the error names the variant and the missing export.
 * `pnpm test` runs this too (check-size.mjs), so a change to core cannot break the benchmark unseen.
 */
export async function measureParts() {
  const parts = {}
  for (const [name, stubbed] of VARIANTS) {
    try {
      parts[name] = await measure(clientAndFetch, here, undefined, without(stubbed))
    } catch (error) {
      const first = error.errors?.[0]
      const why = first ? `${first.location?.file ?? ''}: ${first.text}` : String(error.message ?? error)
      throw new Error(`the build ${name} failed (update its stand-in in bench/size.mjs): ${why}`)
    }
  }
  return parts
}

async function child() {
  const sizes = {}
  for (const [name, code] of ENTRIES) {
    try {
      sizes[name] = await measure(code, here)
    } catch (error) {
      sizes[name] = { error: String(error.message ?? error).split('\n')[0] }
    }
  }
  let parts
  try {
    parts = await measureParts()
  } catch (error) {
    // Reported as a result, so the parent shows this line rather than the last lines of a stack.
    return report({ sizes, error: error.message })
  }
  report({ sizes, parts })
}

export async function run({ log }) {
  // Byte counts are deterministic: two fresh processes must agree, or the table says so.
  const runs = [await runChild(new URL(import.meta.url), []), await runChild(new URL(import.meta.url), [])]
  log('size: measured twice')
  // A stand-in that lacks an export core now imports fails the build: say which, not a TypeError later.
  for (const run of runs) if (!run.parts) throw new Error(`size: the measuring process failed: ${run.error}`)
  const reference = 'axios-jwt: applyAuthTokenInterceptor'
  const rows = []
  const failures = []
  for (const [name, , budget] of ENTRIES) {
    const [a, b] = runs.map((r) => r.sizes?.[name] ?? { error: r.error })
    if (a.error || b.error) {
      rows.push([name, 'error', a.error ?? b.error, '', '', ''])
      continue
    }
    const same = a.min === b.min && a.gzip === b.gzip && a.brotli === b.brotli
    const vs = runs[0].sizes[reference]?.gzip
    rows.push([
      name,
      fmt.int(a.min),
      `${fmt.int(a.gzip)}${same ? '' : ' (runs differ!)'}`,
      fmt.int(a.brotli),
      fmt.ratio(a.gzip / vs),
      budget ? `${fmt.int(budget)}${a.gzip <= budget ? '' : ' **over**'}` : '',
    ])
    if (budget && a.gzip > budget) failures.push(`${name}: ${a.gzip} B gzip, budget ${budget} B`)
  }
  const markdown = [
    '## 1. Bundle cost (bytes)',
    '',
    `\`esbuild --bundle --minify --format=esm --platform=browser\`, then gzip -9 and brotli (quality 11),
with react, vue, svelte, axios and \`@latchkey/core\` external (\`scripts/size.mjs\`, the helper the budget
check in \`pnpm test\` uses). latchkey is measured from its built \`packages/*/dist\`; the adapters
without core, which the app already has. Byte counts are deterministic (measured in two fresh
processes; a difference would be flagged). \`createAuthClient\` alone already holds \`createAuthFetch\`:
the client's \`fetch\` property is \`createAuthFetch(auth)\`. The budget column holds the project's targets
(a KB is 1,000 B); \`scripts/check-size.mjs\` enforces them for the adapters, and today's sizes for core,
so that nothing grows unnoticed.`,
    '',
    table(['entry', 'min', 'gzip -9', 'brotli', 'gzip vs axios-jwt', 'budget (gzip)'], rows),
    '',
    failures.length
      ? `**latchkey over budget:**\n\n${failures.map((f) => `- ${f}`).join('\n')}`
      : '**latchkey is within every budget.**',
    '',
    '### Where the bytes of `createAuthClient` + `createAuthFetch` go',
    '',
    `Each row replaces parts that API.md requires with stand-ins that do nothing and measures again, the
same way. jwt-decode and mitt (both required) are in every row. ${
      runs[0].parts['without all five'].gzip > TARGET
        ? `Removing all five parts still leaves the client ${fmt.int(runs[0].parts['without all five'].gzip - TARGET)} B over the ${fmt.int(TARGET)} B target: meeting it would take all five costing nothing and the rest (state, storage, refresh scheduling, retries, errors) shrinking too.`
        : `Without all five parts the client fits the ${fmt.int(TARGET)} B target.`
    }`,
    '',
    table(
      ['build', 'min', 'gzip -9', 'gzip saved', `vs ${fmt.int(TARGET)} B target`],
      VARIANTS.map(([name]) => {
        const size = runs[0].parts[name]
        const saved = runs[0].parts[VARIANTS[0][0]].gzip - size.gzip
        return [
          name,
          fmt.int(size.min),
          `${fmt.int(size.gzip)}${runs[1].parts[name]?.gzip === size.gzip ? '' : ' (runs differ!)'}`,
          saved ? fmt.int(saved) : '',
          `${size.gzip - TARGET > 0 ? '+' : ''}${fmt.int(size.gzip - TARGET)}`,
        ]
      }),
    ),
  ].join('\n')
  return { markdown, failures }
}

if (isMain(import.meta.url)) await child()
