import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { configDefaults, defineProject } from 'vitest/config'
import { alias } from '../../vitest.shared.ts'

const here = createRequire(import.meta.url)
const dir = (from: NodeJS.Require, name: string) => dirname(from.resolve(`${name}/package.json`))

/** The suite on the Vue the package builds against, the newest the peer range (`vue >=3.3`) takes. */
export default defineProject({
  resolve: { alias },
  test: {
    name: 'vue',
    environment: 'node',
    include: ['test/**/*.test.{ts,tsx}'],
    provide: { vue: here('vue/package.json').version },
  },
})

/**
 * The same suite on an older Vue of the peer range, a devDependency under an alias (`vue33`). Every
 * `vue` import goes to that copy: the tests', the adapter's, and those of @vue/test-utils and Vue's
 * server renderer. Those two come from node_modules, where Node alone would hand them the newest Vue
 * (the renderer's peer `vue` is resolved to it), and two copies of Vue in one test prove nothing; so
 * their ES builds are transformed along with the tests, where the aliases apply.
 */
export function olderVue(name: `vue3${number}`) {
  const vue = dir(here, name)
  const own = createRequire(`${vue}/`)
  const renderer = join(dir(own, '@vue/server-renderer'), 'dist/server-renderer.esm-bundler.js')
  return defineProject({
    resolve: {
      alias: [
        ...Object.entries(alias).map(([find, replacement]) => ({ find, replacement })),
        { find: /^vue$/, replacement: join(vue, 'index.mjs') },
        { find: /^vue\/compiler-sfc$/, replacement: join(vue, 'compiler-sfc/index.mjs') },
        { find: /^(vue|@vue)\/server-renderer$/, replacement: renderer },
        { find: /^@vue\/compiler-dom$/, replacement: own.resolve('@vue/compiler-dom') },
        {
          find: /^@vue\/test-utils$/,
          replacement: join(dir(here, '@vue/test-utils'), 'dist/vue-test-utils.esm-bundler.mjs'),
        },
      ],
    },
    test: {
      name,
      environment: 'node',
      include: ['test/**/*.test.{ts,tsx}'],
      // vue33.test.ts pins Vue 3.3 itself (it runs in the main project); register.test.ts checks
      // types, which come from the one `vue` installed whatever runs the tests.
      exclude: [...configDefaults.exclude, 'test/vue33.test.ts', 'test/register.test.ts'],
      provide: { vue: own('./package.json').version },
      server: { deps: { inline: [/@vue\/test-utils\//, /@vue\/server-renderer\//] } },
    },
  })
}
