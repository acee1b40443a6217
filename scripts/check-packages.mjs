// Lints every built package the way a consumer's tooling sees it: publint (package.json, exports),
// Are The Types Wrong (types for ESM and CJS consumers under every resolution mode), the type tests
// compiled as an app's code against the built declarations, and the directives a bundler reads from
// the built files.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = (name) => `${root}node_modules/.bin/${name}`
let failed = 0
// The workspace's packages: folders with a package.json (not a tool's cache folder beside them).
const packages = readdirSync(`${root}packages`).filter((name) =>
  existsSync(`${root}packages/${name}/package.json`),
)
for (const name of packages) {
  const dir = `${root}packages/${name}`
  for (const [tool, args] of [
    ['publint', ['run', dir, '--strict', '--pack', 'npm']],
    ['attw', ['--pack', dir, '--format', 'table-flipped', '--profile', 'node16']],
  ]) {
    try {
      execFileSync(bin(tool), args, { stdio: 'pipe', cwd: root })
      console.log(`ok   ${tool} @latchkey/${name}`)
    } catch (error) {
      failed++
      console.error(`FAIL ${tool} @latchkey/${name}\n${error.stdout ?? ''}${error.stderr ?? ''}`)
    }
  }
}
// API.md: each package loads in Node as ESM and as CJS through its `exports` map, with the same
// exports, reading no property of a browser global and adding no global (see load-package.cjs).
const loader = readFileSync(`${root}scripts/load-package.cjs`, 'utf8')
for (const name of packages) {
  const loaded = {}
  for (const mode of ['import', 'require']) {
    try {
      const out = execFileSync(process.execPath, ['-e', loader, name, mode], {
        cwd: `${root}packages/${name}`,
        stdio: 'pipe',
      })
      loaded[mode] = JSON.parse(String(out))
    } catch (error) {
      loaded[mode] = { failed: `${error.stderr ?? error}` }
    }
  }
  const { import: esm, require: cjs } = loaded
  const problems = [
    esm.failed && `import failed: ${esm.failed}`,
    cjs.failed && `require failed: ${cjs.failed}`,
    !esm.failed &&
      !cjs.failed &&
      String(esm.exports) !== String(cjs.exports) &&
      `ESM exports ${esm.exports} but CJS ${cjs.exports}`,
    ...[esm, cjs].flatMap((l) => [
      l.reads?.length && `loading reads ${l.reads.join(', ')}`,
      l.added?.length && `loading adds globals ${l.added.join(', ')}`,
    ]),
  ].filter(Boolean)
  if (!problems.length) console.log(`ok   import + require @latchkey/${name}`)
  else {
    failed++
    console.error(`FAIL import + require @latchkey/${name}: ${problems.join('; ')}`)
  }
}
// The type tests as an app's code against the built declarations, under the settings apps use.
try {
  process.stdout.write(
    execFileSync(process.execPath, [`${root}scripts/check-consumer-types.mjs`], { stdio: 'pipe' }),
  )
} catch (error) {
  failed++
  console.error(`${error.stdout ?? ''}${error.stderr ?? error}`)
}
try {
  execFileSync(process.execPath, [`${root}scripts/cjs-smoke.cjs`], { stdio: 'pipe' })
  console.log('ok   CJS builds at work under require')
} catch (error) {
  failed++
  console.error(`FAIL CJS builds at work under require\n${error.stderr ?? error}`)
}
// API.md's package table and rules, as each manifest states them: ESM + CJS + .d.ts through an
// `exports` map, side-effect free, and these dependencies (peers for the frameworks and axios).
const expected = {
  core: { dependencies: ['jwt-decode', 'mitt'], peers: {} },
  axios: { dependencies: [], peers: { axios: '^1.2.0', '@latchkey/core': 'workspace:^' } },
  react: { dependencies: [], peers: { react: '>=18', '@latchkey/core': 'workspace:^' } },
  vue: { dependencies: [], peers: { vue: '>=3.3', '@latchkey/core': 'workspace:^' } },
  // The Svelte store contract only: no dependency on Svelte (core's types only, for the .d.ts).
  svelte: { dependencies: [], peers: { '@latchkey/core': 'workspace:^' } },
  testing: { dependencies: [], peers: { msw: '^2.0.0', '@latchkey/core': 'workspace:^' } },
}
for (const name of packages) {
  const manifest = JSON.parse(readFileSync(`${root}packages/${name}/package.json`, 'utf8'))
  const entry = manifest.exports?.['.']
  const want = expected[name]
  const problems = [
    !want && 'not in API.md',
    manifest.sideEffects !== false && 'sideEffects is not false',
    JSON.stringify(entry) !==
      JSON.stringify({
        import: { types: './dist/index.d.ts', default: './dist/index.js' },
        require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
      }) && `exports['.'] is ${JSON.stringify(entry)}`,
    want &&
      String(Object.keys(manifest.dependencies ?? {}).sort()) !== String(want.dependencies) &&
      `dependencies are ${Object.keys(manifest.dependencies ?? {})}`,
    want &&
      JSON.stringify(Object.entries(manifest.peerDependencies ?? {}).sort()) !==
        JSON.stringify(Object.entries(want.peers).sort()) &&
      `peerDependencies are ${JSON.stringify(manifest.peerDependencies)}`,
  ].filter(Boolean)
  if (!problems.length) console.log(`ok   manifest @latchkey/${name}`)
  else {
    failed++
    console.error(`FAIL manifest @latchkey/${name}: ${problems.join('; ')}`)
  }
}
// The MIT license asks that copies carry its text: npm and pnpm pack a package's own LICENSE.
for (const name of packages) {
  if (existsSync(`${root}packages/${name}/LICENSE`)) console.log(`ok   LICENSE @latchkey/${name}`)
  else {
    failed++
    console.error(`FAIL LICENSE @latchkey/${name}: packages/${name}/LICENSE is missing`)
  }
}
// npm shows a package's README away from the repository: a relative link there leads nowhere.
for (const name of packages) {
  const readme = readFileSync(`${root}packages/${name}/README.md`, 'utf8')
  const relative = [...readme.matchAll(/\]\((?!https?:|#|mailto:)([^)]+)\)/g)].map((m) => m[1])
  if (!relative.length) console.log(`ok   README links @latchkey/${name}`)
  else {
    failed++
    console.error(`FAIL README links @latchkey/${name}: relative links break on npm: ${relative.join(', ')}`)
  }
}
// React Server Components bundlers (Next.js App Router) treat a module as client code only when it
// starts with 'use client'; without it a server layout importing <AuthProvider> runs the hooks on
// the server, where React has none.
for (const file of ['index.js', 'index.cjs']) {
  const first = readFileSync(`${root}packages/react/dist/${file}`, 'utf8').trimStart().split('\n')[0]
  if (/^(['"])use client\1;?$/.test(first)) console.log(`ok   'use client' @latchkey/react/dist/${file}`)
  else {
    failed++
    console.error(`FAIL 'use client' @latchkey/react/dist/${file} starts with: ${first}`)
  }
}
if (failed) process.exit(1)
