#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { createAuthServer } from './createAuthServer.mjs'

const HELP = `Usage: node src/cli.mjs [options]

  --port <n>          port to listen on (env AUTH_PORT, default 4000)
  --host <host>       host to bind (env AUTH_HOST, default 127.0.0.1)
  --access-ttl <s>    access token lifetime in seconds (env ACCESS_TTL, default 30)
  --alg <alg>         RS256 (default; key pair made at start) or HS256 (secret from env JWT_SECRET, else random)
  --cors-origin <o>   the app origin allowed by CORS (env APP_ORIGIN, default http://127.0.0.1:5173)
  --grace <s>         refresh token reuse grace window in seconds (env GRACE, default 5)
  --cookie-mode       always keep the refresh token in the HttpOnly cookie lk_refresh
  --quiet             no request log
  -h, --help          this text`

/** Prints one line and exits 1: a CLI user needs the reason, not a stack. @param {string} message */
function fail(message) {
  console.error(message)
  process.exit(1)
}

/** @param {string} name @param {string} value @param {{ min: number, integer?: boolean }} rule */
function toNumber(name, value, { min, integer = false }) {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    fail(`--${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${value}"`)
  }
  return n
}

/** @type {ReturnType<typeof parseArgs>['values']} */
let values = {}
try {
  ;({ values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'access-ttl': { type: 'string' },
      alg: { type: 'string' },
      'cors-origin': { type: 'string' },
      grace: { type: 'string' },
      'cookie-mode': { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }))
} catch (error) {
  fail(`${/** @type {Error} */ (error).message} (see --help)`)
}

if (values.help) {
  console.log(HELP)
  process.exit(0)
}

// An empty variable (`AUTH_PORT= pnpm start`) counts as unset.
const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v))
const str = (/** @type {string} */ name) => {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}
const port = toNumber('port', str('port') ?? env.AUTH_PORT ?? '4000', { min: 0, integer: true })
const host = str('host') ?? env.AUTH_HOST ?? '127.0.0.1'
const alg = (str('alg') ?? 'RS256').toUpperCase()
if (alg !== 'RS256' && alg !== 'HS256') fail(`--alg must be RS256 or HS256, got "${alg}"`)

const server = createAuthServer({
  accessTtl: toNumber('access-ttl', str('access-ttl') ?? env.ACCESS_TTL ?? '30', { min: 1 }),
  alg: /** @type {'RS256' | 'HS256'} */ (alg),
  secret: env.JWT_SECRET,
  corsOrigin: str('cors-origin') ?? env.APP_ORIGIN ?? 'http://127.0.0.1:5173',
  grace: toNumber('grace', str('grace') ?? env.GRACE ?? '5', { min: 0 }),
  cookieMode: values['cookie-mode'] === true,
  quiet: values.quiet === true,
})

try {
  const { url } = await server.listen(port, host)
  console.log(`latchkey auth server on ${url} (${alg}) — users alice/wonderland (admin), bob/builder`)
} catch (error) {
  const { code, message } = /** @type {NodeJS.ErrnoException} */ (error)
  if (code === 'EADDRINUSE') fail(`port ${port} is in use; pass --port (with \`pnpm start\`, set AUTH_PORT)`)
  fail(`cannot listen on ${host}:${port}: ${code ?? message}`)
}

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    server.close().then(() => process.exit(0))
  })
}
