// Byte budgets, enforced by `pnpm test`: the build must not grow past them unnoticed.
import { fileURLToPath } from 'node:url'
import { measureParts } from '../bench/size.mjs'
import { LATCHKEY, measure } from './size.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))

let failed = 0
console.log('bundle (min+gzip -9)                 size     budget   target')
for (const [name, code, target, budget] of LATCHKEY) {
  const { gzip } = await measure(code, root)
  const ok = gzip <= budget
  if (!ok) failed++
  // The target is reported, not enforced: core is over its targets (see scripts/size.mjs).
  const met = gzip <= target ? 'met' : 'not met'
  console.log(
    `${ok ? 'ok  ' : 'OVER'} ${name.padEnd(34)} ${String(gzip).padStart(5)} B  ${String(budget).padStart(5)} B  ${String(target).padStart(5)} B ${met}`,
  )
}
// The benchmark builds the client with parts of core replaced by stand-ins (bench/size.mjs): they
// must still build, or `pnpm bench` would fail long after the change that broke them.
try {
  const parts = await measureParts()
  console.log(`ok   the benchmark's ${Object.keys(parts).length} stand-in builds`)
} catch (error) {
  failed++
  console.error(`FAIL ${error.message}`)
}
if (failed) {
  console.error(`${failed} size check(s) failed`)
  process.exit(1)
}
