import { compile } from 'svelte/compiler'
import { defineProject } from 'vitest/config'
import { alias } from '../../vitest.shared.ts'

export default defineProject({
  // `browser` picks Svelte's client runtime (its `mount` throws on the server build). Inlining svelte
  // makes vite, not Node, resolve it, so the condition applies.
  resolve: { alias, conditions: ['browser'] },
  // Just enough of vite-plugin-svelte for the component test: compile `.svelte` files for the client.
  plugins: [
    {
      name: 'compile-svelte',
      transform(source, id) {
        if (!id.endsWith('.svelte')) return null
        const { js } = compile(source, { filename: id, generate: 'client', dev: true })
        return { code: js.code, map: js.map }
      },
    },
  ],
  test: {
    name: 'svelte',
    environment: 'node',
    include: ['test/**/*.test.{ts,tsx}'],
    server: { deps: { inline: ['svelte'] } },
  },
})
