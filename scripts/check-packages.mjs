// Lints every built package the way a consumer's tooling sees it: publint (package.json, exports)
// and Are The Types Wrong (types for ESM and CJS consumers under every resolution mode).
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = (name) => `${root}node_modules/.bin/${name}`
let failed = 0
for (const name of readdirSync(`${root}packages`)) {
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
if (failed) process.exit(1)
