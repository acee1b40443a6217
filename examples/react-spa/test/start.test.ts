import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

// `pnpm start` (after its build): the app on APP_PORT, the auth server on AUTH_PORT.
const start = fileURLToPath(new URL('../../../scripts/start.mjs', import.meta.url))

const blockers: Server[] = []
afterEach(async () => {
  await Promise.all(blockers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

/** A port of 127.0.0.1 held by another process's server, as a second `pnpm start` would find it. */
async function busyPort(): Promise<number> {
  const server = createServer()
  blockers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

/** A port nothing listens on (it was free a moment ago). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [start], { env: { ...process.env, ...env } })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const timer = setTimeout(() => child.kill('SIGTERM'), 20_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

describe('scripts/start.mjs', () => {
  it('stops with one line naming a busy app port and APP_PORT, before announcing the app', async () => {
    const app = await busyPort()
    const { code, output } = await run({ APP_PORT: String(app), AUTH_PORT: String(await freePort()) })
    expect(code).toBe(1)
    expect(output).toContain(`port ${app} is in use`)
    expect(output).toContain('APP_PORT')
    expect(output).not.toContain('latchkey example app:')
    expect(output).not.toMatch(/\n\s+at /) // no stack trace
  }, 30_000)

  it('stops naming a busy auth port and AUTH_PORT, before announcing the app', async () => {
    const auth = await busyPort()
    const { code, output } = await run({ APP_PORT: String(await freePort()), AUTH_PORT: String(auth) })
    expect(code).toBe(1)
    expect(output).toContain(`port ${auth} is in use`)
    expect(output).toContain('AUTH_PORT')
    expect(output).not.toContain('latchkey example app:')
  }, 30_000)

  it('stops when AUTH_PORT and APP_PORT name one port, before anything starts', async () => {
    const port = String(await freePort())
    const { code, output } = await run({ APP_PORT: port, AUTH_PORT: port })
    expect(code).toBe(1)
    expect(output).toMatch(/AUTH_PORT and APP_PORT/)
    expect(output).not.toContain('latchkey example app:')
    expect(output).not.toMatch(/\n\s+at /) // no stack trace
  }, 30_000)

  it('refuses port 0, which would start a server on a port nobody is told', async () => {
    const { code, output } = await run({ APP_PORT: String(await freePort()), AUTH_PORT: '0' })
    expect(code).toBe(1)
    expect(output).toContain('AUTH_PORT must be a port number')
    expect(output).not.toContain('latchkey example app:')
  }, 30_000)
})
