// Measures what an app pays for latchkey: esbuild --bundle --minify, framework and axios external,
// then gzip -9 and brotli. Shared by the budget check (pnpm test) and the benchmarks.
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { build } from 'esbuild'

export const EXTERNAL = ['react', 'react-dom', 'vue', 'svelte', 'svelte/*', 'axios', '@latchkey/core']

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
