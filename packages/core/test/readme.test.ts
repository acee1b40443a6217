import { expect, it } from 'vitest'
import { runReadmeExample } from './support/readme'

const readme = new URL('../README.md', import.meta.url)

it('the README example runs as written', async () => {
  const lines = await runReadmeExample(readme, '## Example')
  expect(lines[0]).toBe('authenticated alice')
  expect(lines.some((l) => l.startsWith('refreshed, expires at'))).toBe(true)
  expect(lines.at(-1)).toMatch(/^[\w-]+\.[\w-]+\.sig$/)
})

it('the fetch README example runs as written', async () => {
  expect(await runReadmeExample(readme, '## Fetch')).toEqual(['200', '[200,200,200] 1'])
})
