import { expect, it } from 'vitest'
import { runReadmeExample } from '../../core/test/support/readme'

it('the README example runs as written', async () => {
  const lines = await runReadmeExample(new URL('../README.md', import.meta.url), '## Example')
  expect(lines).toEqual(['{"ok":true}', '[200,200,200] 1'])
})
