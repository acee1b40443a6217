import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// The README's last example is a whole test file, as an app would have it: it runs here as written
// (imports included), and its tests are this file's.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const section = readme.slice(readme.indexOf("## Example: testing an app's login flow"))
const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
if (!code) throw new Error('no example under "## Example: testing an app\'s login flow" in README.md')
const file = fileURLToPath(new URL(`./.readme-${process.pid}-${Date.now()}.ts`, import.meta.url))
writeFileSync(file, code)
try {
  await import(/* @vite-ignore */ file)
} finally {
  rmSync(file)
}
