import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // packages/vue runs its suite once more on each older Vue of its peer range (vitest.vue3x.config.ts).
    projects: ['packages/*', 'packages/vue/vitest.vue3*.config.ts', 'examples/*', 'e2e'],
  },
})
