import { defineProject } from 'vitest/config'
import { alias } from '../../vitest.shared.ts'

// Unit tests of the app's plain modules. Without this file the root `projects: ['examples/*']` glob
// would load vite.config.ts (and the React plugin) as a test project. Browser tests live in e2e/.
export default defineProject({
  resolve: { alias },
  test: { name: 'react-spa', environment: 'node', include: ['test/**/*.test.ts'] },
})
