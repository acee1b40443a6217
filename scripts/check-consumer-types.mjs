// The type tests (`packages/*/test/*.test-d.ts[x]`) as an app's own code, compiled against the built
// `.d.ts`/`.d.cts` in fresh projects that install the packages as npm would (package.json + dist
// under node_modules/@latchkey), with the compiler settings apps really use: strict,
// exactOptionalPropertyTypes, noUncheckedIndexedAccess, skipLibCheck off; module resolution
// bundler, node10, node16 and nodenext (ESM and CJS); Node without the DOM lib; an ES2020 lib; the
// oldest peers the ranges accept, and the minors between (axios 1.7, Vue 3.4). `pnpm typecheck` runs
// the same files against the sources; only here do errors inside the shipped declarations show. Only
// the test files and our declarations are checked: errors inside other packages' declarations (msw's
// CJS types import ESM-only packages, say) are not ours to fix.
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const packages = ['core', 'axios', 'react', 'vue', 'svelte', 'testing']
const tests = packages.flatMap((name) =>
  readdirSync(join(root, 'packages', name, 'test'))
    .filter((file) => /\.test-d\.tsx?$/.test(file))
    .map((file) => `packages/${name}/test/${file}`),
)
/** An installed dependency of the workspace, as the package that declares it sees it. */
const dep = (from, name) => realpathSync(join(root, from, 'node_modules', name))
const expectType = dirname(
  createRequire(join(dep('.', 'vitest'), 'package.json')).resolve('expect-type/package.json'),
)
const current = {
  axios: dep('packages/axios', 'axios'),
  axios12: dep('packages/axios', 'axios12'),
  axios17: dep('packages/axios', 'axios17'),
  react: dep('packages/react', 'react'),
  '@types/react': dep('packages/react', '@types/react'),
  vue: dep('packages/vue', 'vue'),
  svelte: dep('packages/svelte', 'svelte'),
  msw: dep('packages/testing', 'msw'),
  '@types/node': dep('.', '@types/node'),
  'expect-type': expectType,
}
const oldest = {
  ...current,
  axios: current.axios12,
  vue: dep('packages/vue', 'vue33'),
  msw: dep('packages/testing', 'msw20'),
}
// The minors between, which the adapters' tests also run on (Vue 3.4 batches as 3.5 does, not as 3.3).
const middle = { ...current, axios: current.axios17, vue: dep('packages/vue', 'vue34') }

const strict = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  skipLibCheck: false,
  noEmit: true,
  target: 'ES2022',
  lib: ['ES2022', 'DOM', 'DOM.Iterable'],
  types: [],
  jsx: 'react-jsx',
}
const esm = { verbatimModuleSyntax: true, isolatedModules: true }
const all = () => true
// Svelte is ESM only, and an ESM package cannot be imported from CJS before `nodenext`.
const notSvelte = (file) => !file.includes('/svelte/')
// Without the DOM lib: the packages that run in Node (the React and Vue types need the DOM's).
const node = (file) => /\/(core|axios|testing)\//.test(file)
const variants = [
  ['bundler, ESM', 'module', { module: 'ESNext', moduleResolution: 'Bundler', ...esm }, current, all],
  ['node16, ESM', 'module', { module: 'Node16', moduleResolution: 'Node16', ...esm }, current, all],
  ['node16, CJS', 'commonjs', { module: 'Node16', moduleResolution: 'Node16' }, current, notSvelte],
  ['nodenext, ESM', 'module', { module: 'NodeNext', moduleResolution: 'NodeNext', ...esm }, current, all],
  ['nodenext, CJS', 'commonjs', { module: 'NodeNext', moduleResolution: 'NodeNext' }, current, all],
  ['node10, CJS', 'commonjs', { module: 'CommonJS', moduleResolution: 'Node10' }, current, notSvelte],
  [
    'nodenext, Node without the DOM lib',
    'module',
    { module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: ['node'], ...esm },
    current,
    node,
  ],
  [
    'bundler, lib ES2020 (no Error cause in the lib)',
    'module',
    {
      module: 'ESNext',
      moduleResolution: 'Bundler',
      target: 'ES2020',
      lib: ['ES2020', 'DOM', 'DOM.Iterable'],
    },
    current,
    all,
  ],
  [
    'bundler, oldest peers (axios 1.2.0, vue 3.3, msw 2.0)',
    'module',
    { module: 'ESNext', moduleResolution: 'Bundler', ...esm },
    oldest,
    all,
  ],
  [
    'bundler, middle peers (axios 1.7, vue 3.4)',
    'module',
    { module: 'ESNext', moduleResolution: 'Bundler', ...esm },
    middle,
    all,
  ],
]

/** A project with the built packages installed, `deps` linked in, and the chosen tests as its code. */
function project(type, options, deps, pick) {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-consumer-'))
  for (const name of packages) {
    const to = join(dir, 'node_modules/@latchkey', name)
    // Copies, not links: from a link's target, `axios` would resolve to the workspace's own copy.
    cpSync(join(root, 'packages', name, 'dist'), join(to, 'dist'), { recursive: true })
    cpSync(join(root, 'packages', name, 'package.json'), join(to, 'package.json'))
  }
  for (const [name, target] of Object.entries(deps)) {
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true })
    // A junction on Windows (no privileges needed); elsewhere the type is ignored.
    symlinkSync(target, join(dir, 'node_modules', name), 'junction')
  }
  // What the tests take from vitest, without vitest's own ESM-only declarations (so CJS projects work).
  mkdirSync(join(dir, 'node_modules/vitest'))
  writeFileSync(join(dir, 'node_modules/vitest/package.json'), '{"name":"vitest","types":"index.d.ts"}')
  writeFileSync(
    join(dir, 'node_modules/vitest/index.d.ts'),
    "export { expectTypeOf } from 'expect-type'\nexport declare function test(name: string, fn: () => void): void\n",
  )
  mkdirSync(join(dir, 'src'))
  for (const file of tests.filter(pick)) {
    cpSync(join(root, file), join(dir, 'src', `${file.split('/')[1]}.${basename(file)}`))
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type }))
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { ...strict, ...options }, include: ['src'] }),
  )
  return dir
}

// Diagnostics of the test files and of our declarations only: `skipLibCheck: false` for those, without
// spending minutes checking React's, Vue's and msw's declarations (not ours to fix).
const ts = createRequire(import.meta.url)('typescript')
const results = variants.map(([name, type, options, deps, pick]) => {
  const dir = project(type, options, deps, pick)
  try {
    const config = ts.getParsedCommandLineOfConfigFile(
      join(dir, 'tsconfig.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
        },
      },
    )
    const program = ts.createProgram({ rootNames: config.fileNames, options: config.options })
    const ours = (file) => file.fileName.startsWith(join(dir, 'src')) || file.fileName.includes('/@latchkey/')
    const diagnostics = [
      ...config.errors,
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...program
        .getSourceFiles()
        .filter(ours)
        .flatMap((file) => [
          ...program.getSyntacticDiagnostics(file),
          ...program.getSemanticDiagnostics(file),
        ]),
    ]
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' }
    return { name, errors: diagnostics.length ? ts.formatDiagnostics(diagnostics, host) : '' }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
let failed = 0
for (const { name, errors } of results) {
  if (!errors) console.log(`ok   consumer types: ${name}`)
  else {
    failed++
    console.error(`FAIL consumer types: ${name}\n${errors}`)
  }
}
if (failed) process.exit(1)
