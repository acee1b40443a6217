// The small shared runner: every figure comes from a fresh child process, variants alternate
// between rounds, and the parent takes medians.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const RESULT = '@@result '

/** True when the module at `url` is the script node was started with (a child run). */
export const isMain = (url) => process.argv[1] === fileURLToPath(url)

/** In a child: hands one JSON result to the parent. */
export function report(result) {
  process.stdout.write(`${RESULT}${JSON.stringify(result)}\n`)
}

/**
 * Runs `node file ...args` in a fresh process and resolves the JSON it reported.
 * A crash or a run past `timeoutMs` resolves `{ error }` instead, so one bad variant cannot stop
 * the whole benchmark.
 */
export function runChild(file, args, { timeoutMs = 60_000, nodeArgs = [] } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, fileURLToPath(file), ...args.map(String)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = out.split('\n').find((l) => l.startsWith(RESULT))
      if (line) return resolve(JSON.parse(line.slice(RESULT.length)))
      const why = signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exit ${code ?? signal}`
      // The line that names the error, where there is one: a stack's last lines say only "Node.js v20".
      const lines = err.trim().split('\n')
      const named = lines.find((l) => /^\w*Error\b/.test(l.trim()))
      resolve({ error: `${why}: ${named?.trim() ?? lines.slice(-3).join(' | ')}` })
    })
  })
}

/**
 * Runs every variant `rounds` times, one fresh process each, alternating the order between rounds
 * (forward, then backward) so that no variant always runs first or last. Returns, for each round,
 * an object variant → result, so ratios can be taken within a round.
 */
export async function alternate(variants, rounds, runOne, onProgress = () => {}) {
  const perRound = []
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...variants].reverse() : variants
    const results = {}
    for (const v of order) {
      results[v] = await runOne(v, r)
      onProgress(v, r, results[v])
    }
    perRound.push(results)
  }
  return perRound
}

export function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b)
  if (!xs.length) return Number.NaN
  const mid = xs.length >> 1
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
}

/**
 * Calls `fn(i)` back to back (awaiting each, unless `sync`) for `warmupMs`, then for `measureMs`, and
 * returns calls per second of this process's CPU time. CPU time rather than wall time, because other
 * work on a shared 2-core machine stretches wall time without costing the code measured anything.
 */
export async function throughput(fn, { warmupMs, measureMs, sync = false, batch = 500 }) {
  let i = 0
  const runBatch = sync
    ? () => {
        for (let k = 0; k < batch; k++) fn(i++)
      }
    : async () => {
        for (let k = 0; k < batch; k++) await fn(i++)
      }
  const warmEnd = performance.now() + warmupMs
  while (performance.now() < warmEnd) await runBatch()
  let count = 0
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  while (performance.now() - start < measureMs) {
    await runBatch()
    count += batch
  }
  const { user, system } = process.cpuUsage(cpuStart)
  return (count / (user + system)) * 1e6
}

/** A Markdown table; columns whose cells all start with a number are right-aligned. */
export function table(headers, rows) {
  const cells = [headers, ...rows].map((row) => row.map((c) => String(c)))
  const widths = headers.map((_, i) => Math.max(3, ...cells.map((row) => row[i].length)))
  const right = headers.map((_, i) => rows.every((row) => /^([\d−+-]|n\/a|$)/.test(String(row[i]))))
  const line = (row) =>
    `| ${row.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`
  const rule = `| ${widths.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n')
}

export const fmt = {
  int: (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'),
  kb: (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1000).toFixed(2)} KB` : 'n/a'),
  ratio: (r) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a'),
  pct: (r) => (Number.isFinite(r) ? `${r >= 1 ? '+' : '−'}${Math.abs((r - 1) * 100).toFixed(1)}%` : 'n/a'),
  ms: (n) => (Number.isFinite(n) ? `${Math.round(n).toLocaleString('en-US')} ms` : 'n/a'),
}
