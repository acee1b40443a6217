// Lints every built package the way a consumer's tooling sees it: publint (package.json, exports),
// Are The Types Wrong (types for ESM and CJS consumers under every resolution mode), and the
// directives a bundler reads from the built files.
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
