import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'
import { expect, it, vi } from 'vitest'

const source = (pkg: string) => fileURLToPath(new URL(`../../${pkg}/src/index.ts`, import.meta.url))

it('the README example runs as written', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const code = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1]!
  const ts = code
    .replace("from '@latchkey/core'", `from '${source('core')}'`)
    .replace("from '@latchkey/axios'", `from '${source('axios')}'`)
  const { code: js } = await transform(ts, { loader: 'ts', format: 'esm' })
  const file = fileURLToPath(new URL(`./.readme-${process.pid}.mjs`, import.meta.url))
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
  expect(lines).toEqual(['{"ok":true}', '[200,200,200] 1'])
})
