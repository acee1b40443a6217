// `pnpm start` (after `pnpm build`): starts the example auth server and the example app on
// 127.0.0.1, prints the URL, and stops both on Ctrl-C.
//   AUTH_PORT (4000), APP_PORT (5173), ACCESS_TTL (30)
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
// An empty variable (`AUTH_PORT= pnpm start`) counts as unset, as the auth server's CLI reads it.
const authPort = process.env.AUTH_PORT || '4000'
const appPort = process.env.APP_PORT || '5173'
const children = []

function run(cmd, args, options = {}) {
  const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', ...options })
  children.push(child)
  return child
}
function stop(code = 0) {
  for (const c of children) c.kill('SIGTERM')
  process.exit(code)
}
process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))

/** Whether `port` of 127.0.0.1 can be listened on now. */
function isFree(port) {
  return new Promise((resolve) => {
    const probe = createServer()
      .once('error', () => resolve(false))
      .listen(Number(port), '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}

// Checked before anything starts, so a busy port stops with one line that says which variable moves
// it, instead of the URL announced and then Vite's stack trace.
const spa = `${root}examples/react-spa`
const wanted = [['AUTH_PORT', authPort]]
if (existsSync(`${spa}/package.json`)) wanted.push(['APP_PORT', appPort])
// Port 0 would be a port picked by the system, which neither the app nor this script would know.
for (const [name, port] of wanted) {
  if (!/^\d+$/.test(port) || !(Number(port) > 0 && Number(port) <= 65535)) {
    console.error(`${name} must be a port number, got "${port}"`)
    process.exit(1)
  }
  if (!(await isFree(port))) {
    console.error(`port ${port} is in use; set ${name} to another port`)
    process.exit(1)
  }
}
// Each probe finds a port free on its own; one port for both would then fail in Vite, after the start.
if (wanted.length > 1 && Number(authPort) === Number(appPort)) {
  console.error(`AUTH_PORT and APP_PORT are both ${authPort}; set one of them to another port`)
  process.exit(1)
}

{
  const app = `http://127.0.0.1:${appPort}`
  const server = run(process.execPath, [
    'examples/auth-server/src/cli.mjs',
    '--port',
    authPort,
    '--cors-origin',
    app,
  ])
  server.on('exit', (c) => stop(c ?? 1))
  if (existsSync(`${spa}/package.json`)) {
    const vite = run(
      process.execPath,
      [
        `${spa}/node_modules/vite/bin/vite.js`,
        '--host',
        '127.0.0.1',
        '--port',
        appPort,
        '--strictPort',
        // Keep the banner above on screen.
        '--clearScreen',
        'false',
      ],
      {
        cwd: spa,
        env: { ...process.env, VITE_AUTH_URL: `http://127.0.0.1:${authPort}` },
      },
    )
    vite.on('exit', (c) => stop(c ?? 1))
    console.log(
      `\n  latchkey example app: ${app}  (auth server http://127.0.0.1:${authPort}; Ctrl-C stops both)\n`,
    )
  } else {
    const cli = run(process.execPath, [
      'examples/node-cli/src/main.mjs',
      '--url',
      `http://127.0.0.1:${authPort}`,
    ])
    cli.on('exit', (c) => stop(c ?? 0))
  }
}
