import { defineProject } from 'vitest/config'
import { alias } from '../../vitest.shared.ts'

export default defineProject({
  resolve: { alias },
  test: { name: 'node-cli', environment: 'node', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
})
