import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'
import { expect, it, vi } from 'vitest'

it('the README example runs as written', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const code = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1]!
  const source = code.replace(
    "from '@latchkey/core'",
    `from '${fileURLToPath(new URL('../src/index.ts', import.meta.url))}'`,
  )
  const { code: js } = await transform(source, { loader: 'ts', format: 'esm' })
  const file = fileURLToPath(new URL(`./.readme-${process.pid}.mjs`, import.meta.url))
  writeFileSync(file, js)
  const lines: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...args) => lines.push(args.join(' ')))
  try {
    await import(/* @vite-ignore */ file)
  } finally {
    rmSync(file)
    log.mockRestore()
  }
  expect(lines[0]).toBe('authenticated alice')
  expect(lines.some((l) => l.startsWith('refreshed, expires at'))).toBe(true)
  expect(lines.at(-1)).toMatch(/^[\w-]+\.[\w-]+\.sig$/)
})
