import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'
import { vi } from 'vitest'

const source = (pkg: string) => fileURLToPath(new URL(`../../../${pkg}/src/index.ts`, import.meta.url))

/**
 * Runs the first ```ts block after `heading` in a package README as written (the `@latchkey/*`
 * imports pointed at the sources) and returns what it printed with console.log, one string a call.
 */
export async function runReadmeExample(readme: URL, heading: string): Promise<string[]> {
  const text = readFileSync(readme, 'utf8')
  const start = text.indexOf(heading)
  if (start < 0) throw new Error(`no "${heading}" in ${readme.pathname}`)
  const code = /```ts\n([\s\S]*?)```/.exec(text.slice(start))![1]!
  const ts = code.replace(/from '@latchkey\/(\w+)'/g, (_, pkg) => `from '${source(pkg)}'`)
  const { code: js } = await transform(ts, { loader: 'ts', format: 'esm' })
  const file = fileURLToPath(new URL(`./.readme-${process.pid}-${Date.now()}.mjs`, readme))
  writeFileSync(file, js)
  const lines: string[] = []
  const log = vi
    .spyOn(console, 'log')
    .mockImplementation((...args) =>
      lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')),
    )
  try {
    await import(/* @vite-ignore */ file)
  } finally {
    rmSync(file)
    log.mockRestore()
  }
  return lines
}
