import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { typeErrors } from './support/register'

const readmes = ['core', 'react', 'vue'].map((name) => [
  name,
  new URL(`../../${name}/README.md`, import.meta.url),
])

it.each(readmes)(
  "%s README: the Register declaration, put in a file of its own as written, augments core's types",
  (_, readme) => {
    const block = readFileSync(readme, 'utf8')
      .split('```ts\n')
      .map((b) => b.slice(0, b.indexOf('```')))
      .find((b) => b.includes("declare module '@latchkey/core'"))
    expect(block).toBeDefined()
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-register-'))
    try {
      writeFileSync(join(dir, 'latchkey.d.ts'), block!)
      writeFileSync(
        join(dir, 'uses.ts'),
        "import { createAuthClient } from '@latchkey/core'\n" +
          'export const roles: string[] | undefined = createAuthClient({}).getState().claims?.roles\n',
      )
      expect(typeErrors(dir, ['latchkey.d.ts', 'uses.ts'])).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
  60_000,
)
