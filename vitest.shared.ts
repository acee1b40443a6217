import { fileURLToPath } from 'node:url'

const names = ['core', 'axios', 'react', 'vue', 'svelte', 'testing']

/** Resolves `@latchkey/*` to sources so unit tests never depend on a build. */
export const alias: Record<string, string> = Object.fromEntries(
  names.map((n) => [
    `@latchkey/${n}`,
    fileURLToPath(new URL(`./packages/${n}/src/index.ts`, import.meta.url)),
  ]),
)
