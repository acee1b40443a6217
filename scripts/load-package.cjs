// Loads one built package as a consumer in Node does, through its `exports` map, and prints what
// loading it did as JSON. check-packages.mjs runs it as `node -e <this file> <name> <require|import>`
// in the package's folder: code given to `-e` resolves from there, so `@latchkey/<name>` is the
// package itself.
//
// API.md: importing a package reads no property of a browser global (`typeof` checks are fine) and is
// side-effect free. So the globals below are defined as objects that record every property read, and
// the globals present before the import are compared with those after it. The package's own
// dependencies load first, outside the check: what they do on import is theirs.
const { readFileSync } = require('node:fs')

const [name, mode] = process.argv.slice(-2)
const manifest = JSON.parse(readFileSync('package.json', 'utf8'))

async function main() {
  const deps = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })
  for (const id of deps) await (mode === 'require' ? require(id) : import(id))
  const reads = []
  for (const global of ['window', 'document', 'localStorage', 'sessionStorage', 'navigator', 'location']) {
    const spy = new Proxy(
      {},
      {
        get: (_, key) => void reads.push(`${global}.${String(key)}`),
        has: (_, key) => void reads.push(`${String(key)} in ${global}`),
      },
    )
    Object.defineProperty(globalThis, global, { configurable: true, get: () => spy })
  }
  const before = Reflect.ownKeys(globalThis)
  const exports = mode === 'require' ? require(`@latchkey/${name}`) : await import(`@latchkey/${name}`)
  const added = Reflect.ownKeys(globalThis)
    .filter((key) => !before.includes(key))
    .map(String)
  process.stdout.write(JSON.stringify({ exports: Object.keys(exports).sort(), reads, added }))
}
main().catch((error) => {
  console.error(error)
  process.exit(1)
})
