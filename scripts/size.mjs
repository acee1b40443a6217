// Measures what an app pays for latchkey: esbuild --bundle --minify, framework and axios external,
// then gzip -9 and brotli. Shared by the budget check (pnpm test) and the benchmarks.

import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { build } from 'esbuild'

export const EXTERNAL = ['react', 'react-dom', 'vue', 'svelte', 'svelte/*', 'axios', '@latchkey/core']

const dist = (name) => fileURLToPath(new URL(`../packages/${name}/dist/index.js`, import.meta.url))
const core = dist('core')
const adapter = (name) => [`@latchkey/${name} (core external)`, `export * from '${dist(name)}'`, 1000, 1000]

/**
 * What an app imports of latchkey, measured from each package's built `dist`: [name, entry module,
 * target, budget], in gzip bytes. A KB is 1,000 bytes, as in the targets (4.7 KB is 4,700 B) and in
 * axios-jwt's 4.79 KB. The budget is what `pnpm test` enforces (check-size.mjs): an adapter's is its
 * target. Core is over its targets, and its budgets hold today's sizes so nothing grows unnoticed
 * (`pnpm bench` shows that even with cookie storage, tab sync, wake-up re-checks, the origin check and
 * the 401 rules all replaced by stand-ins that do nothing, the client is over 4,700 B). Lower them
 * whenever a change makes core smaller.
 */
export const LATCHKEY = [
  ['createAuthClient', `export { createAuthClient } from '${core}'`, 4700, 12666],
  [
    'createAuthClient + createAuthFetch',
    `export { createAuthClient, createAuthFetch } from '${core}'`,
    4700,
    12676,
  ],
  ['@latchkey/core (everything)', `export * from '${core}'`, 5500, 14135],
  ...['axios', 'react', 'vue', 'svelte'].map(adapter),
]

/** Bundles `code` (an ES module importing what is measured) and returns its sizes in bytes. */
export async function measure(code, resolveDir, external = EXTERNAL, plugins = []) {
  const result = await build({
    stdin: { contents: code, resolveDir, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    external,
    logLevel: 'silent',
    legalComments: 'none',
    plugins,
  })
  const bytes = result.outputFiles[0].contents
  return {
    min: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  }
}
