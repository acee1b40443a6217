// `npx pnpm@10 bench [--quick]`: builds the packages, runs the four measurements (each figure from fresh
// processes), prints one table per measurement and writes the same to bench/RESULTS.md.
// `--no-build` skips the build; `--only=size,overhead,hotpaths,storms` runs some (and writes nothing).
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import * as hotpaths from './hotpaths.mjs'
import { isMain, report, runChild, table } from './lib/runner.mjs'
import * as overhead from './overhead.mjs'
import * as size from './size.mjs'
import * as storms from './storms.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const here = fileURLToPath(new URL('.', import.meta.url))
const PEERS = [
  'axios',
  'axios-jwt',
  'axios-auth-refresh',
  'oidc-client-ts',
  '@supabase/auth-js',
  '@okta/okta-auth-js',
  '@auth0/auth0-spa-js',
  'jwt-decode',
  'mitt',
]
const MEASUREMENTS = { size, overhead, storms, hotpaths }

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'))
const git = (...args) => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim()
  } catch {
    return ''
  }
}

/** In a child: whether each peer loads on this Node (the bench bundles most of them for browsers). */
async function loadCheck() {
  const result = {}
  for (const name of PEERS) {
    try {
      await import(name)
      result[name] = 'yes'
    } catch (error) {
      result[name] = `no: ${String(error.message).split('\n')[0]}`
    }
  }
  report(result)
}

async function environment(loadAtStart) {
  const loads = await runChild(new URL(import.meta.url), ['--load-check'])
  const peers = PEERS.map((name) => {
    const pkg = readJson(`${here}node_modules/${name}/package.json`)
    const engines = pkg.engines?.node ?? 'any'
    return [name, pkg.version, engines, loads[name] ?? loads.error]
  })
  const latchkey = ['core', 'axios', 'react', 'vue', 'svelte'].map((name) => {
    const pkg = readJson(`${root}packages/${name}/package.json`)
    const built = readFileSync(`${root}packages/${name}/dist/index.js`)
    return [
      pkg.name,
      pkg.version,
      `dist/index.js sha256 ${createHash('sha256').update(built).digest('hex').slice(0, 12)}`,
    ]
  })
  // A peer whose engines field leaves this Node out is kept, and said so.
  const major = Number(process.versions.node.split('.')[0])
  const excluded = peers
    .filter(([, , engines]) => Number(/^>=\s*(\d+)/.exec(engines)?.[1] ?? 0) > major)
    .map(
      ([name, , engines, loads]) =>
        `${name} declares \`engines.node\` ${engines}, which leaves Node ${major} out. It installs without error
and ${loads === 'yes' ? 'loads' : `does not load (${loads})`} on Node ${major} here; the bench only bundles it for the
browser and does not run it.`,
    )
  const cpu = cpus()
  const dirty = git('status', '--porcelain', '--', 'packages').length > 0
  return [
    '## Machine and versions',
    '',
    table(
      ['machine', ''],
      [
        ['CPU', `${cpu[0]?.model ?? 'unknown'} × ${cpu.length} cores`],
        ['memory', `${Math.round(totalmem() / 2 ** 30)} GiB`],
        [
          'load average (1 min)',
          `${loadAtStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end`,
        ],
        ['Node', process.version],
        ['platform', `${process.platform} ${process.arch}`],
        ['esbuild', readJson(`${root}node_modules/esbuild/package.json`).version],
        [
          'git',
          `${git('rev-parse', '--short', 'HEAD') || 'unknown'}${dirty ? ' (packages/ has uncommitted changes)' : ''}`,
        ],
      ],
    ),
    '',
    table(['latchkey package', 'version', 'measured build'], latchkey),
    '',
    table(
      ['peer (pinned devDependency)', 'version', 'engines.node', `loads on Node ${process.version}`],
      peers,
    ),
    ...excluded.flatMap((note) => ['', note]),
  ].join('\n')
}

async function main() {
  const args = process.argv.slice(2)
  const quick = args.includes('--quick')
  const only = args
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',')
  const started = performance.now()
  const loadAtStart = loadavg()[0]
  const log = (line) =>
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${line}\n`)

  if (!args.includes('--no-build')) {
    log('building the packages: npx pnpm@10 build')
    const built = spawnSync('npx', ['pnpm@10', 'build'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    if (built.status !== 0) {
      process.stderr.write(built.stdout)
      throw new Error('the build failed, so there is nothing to measure')
    }
  }

  const sections = []
  const failures = []
  for (const [name, measurement] of Object.entries(MEASUREMENTS)) {
    if (only && !only.includes(name)) continue
    log(`${name}…`)
    const result = await measurement.run({ quick, log })
    process.stdout.write(`\n${result.markdown}\n`)
    sections.push(result.markdown)
    failures.push(...result.failures.map((f) => `${name}: ${f}`))
  }
  const seconds = Math.round((performance.now() - started) / 1000)
  log(`done in ${seconds} s`)
  if (only) return
  // The whole run is a target too: under 10 minutes on 2 cores.
  if (!quick && seconds >= 600) failures.push(`the run: ${seconds} s, target under 600 s`)

  const env = await environment(loadAtStart)
  process.stdout.write(`\n${env}\n`)
  const summary = failures.length
    ? `**latchkey misses ${failures.length} target(s):**\n\n${failures.map((f) => `- ${f}`).join('\n')}`
    : '**latchkey meets every target measured here.**'
  const results = [
    '# latchkey benchmarks',
    '',
    `Generated by \`npx pnpm@10 bench${quick ? ' --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}${quick ? ' (quick mode: fewer, shorter runs)' : ''}, in ${seconds} s
including the build. Rerun with \`npx pnpm@10 install && npx pnpm@10 bench\` (target: under 10 minutes on 2 cores;
\`npx pnpm@10 bench --quick\` for a rough pass in about a third of the time). Every timed figure is a
median over fresh processes with the variants alternating; ratios are taken within a round.`,
    '',
    summary,
    '',
    ...sections.flatMap((s) => [s, '']),
    env,
    '',
  ].join('\n')
  writeFileSync(`${here}RESULTS.md`, results)
  log('wrote bench/RESULTS.md')
}

if (isMain(import.meta.url)) {
  if (process.argv.includes('--load-check')) await loadCheck()
  else await main()
}
