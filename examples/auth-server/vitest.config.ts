import { defineProject } from 'vitest/config'

export default defineProject({
  test: { name: 'auth-server', environment: 'node', include: ['test/**/*.test.*'] },
})
