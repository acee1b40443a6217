import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { expect, it } from 'vitest'

it('stays under 1 KB min+gzip, excluding react and @latchkey/core', async () => {
  const result = await build({
    entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    external: ['react', '@latchkey/core'],
    write: false,
  })
  const size = gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length
  expect(size).toBeLessThan(1024)
})
