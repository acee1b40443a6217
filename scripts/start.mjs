// `pnpm start` (after `pnpm build`): starts the example auth server and the example app on
// 127.0.0.1, prints the URL, and stops both on Ctrl-C.
//   AUTH_PORT (4000), APP_PORT (5173), ACCESS_TTL (30)
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const authPort = process.env.AUTH_PORT ?? '4000'
const appPort = process.env.APP_PORT ?? '5173'
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
  const spa = `${root}examples/react-spa`
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
