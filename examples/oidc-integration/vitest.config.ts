import { defineProject } from 'vitest/config'
import { alias } from '../../vitest.shared.ts'

export default defineProject({
  resolve: { alias },
  test: { name: 'oidc-integration', include: ['test/**/*.test.ts'], testTimeout: 30000 },
})
