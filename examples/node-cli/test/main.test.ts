import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createAuthServer } from '@latchkey/example-auth-server'
import { afterAll, beforeAll, expect, it } from 'vitest'

const server = createAuthServer({ accessTtl: 2, quiet: true })
let url = ''
beforeAll(async () => {
  url = (await server.listen(0, '127.0.0.1')).url
})
afterAll(() => server.close())

it('logs in, calls the API through real refreshes and prints a timeline without any token', async () => {
  const main = fileURLToPath(new URL('../src/main.mjs', import.meta.url))
  const output = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [main, '--url', url, '--seconds', '5', '--interval', '400'],
      { cwd: fileURLToPath(new URL('..', import.meta.url)) },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  )
  expect(output).toMatch(/login\s+sub=alice/)
  expect(output).toMatch(/refresh\s+new token/)
  expect(output).toMatch(/GET \/api\/data → 200/)
  expect(output).not.toMatch(/→ 401/)
  expect(output).toMatch(/logout\s+user/)
  expect(server.stats.refreshes).toBeGreaterThanOrEqual(2)
  // No JWT-shaped string anywhere in the timeline.
  expect(output).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/)
})

/** Runs main.mjs and resolves its exit code and stderr. */
function fail(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const main = fileURLToPath(new URL('../src/main.mjs', import.meta.url))
  return new Promise((resolve) =>
    execFile(process.execPath, [main, ...args], (error, _stdout, stderr) =>
      resolve({ code: error ? (error.code as number) : 0, stderr }),
    ),
  )
}

it('says a wrong password is one, not that the server may be down', async () => {
  const { code, stderr } = await fail(['--url', url, '--password', 'not-it', '--seconds', '1'])
  expect(code).toBe(1)
  expect(stderr).toMatch(/401/)
  expect(stderr).toMatch(/password/)
  expect(stderr).not.toMatch(/running/)
})

it('says the server cannot be reached when nothing listens, without an error code for a reason', async () => {
  const closed = createAuthServer({ quiet: true })
  const { url: gone } = await closed.listen(0, '127.0.0.1')
  await closed.close()
  const { code, stderr } = await fail(['--url', gone, '--seconds', '1'])
  expect(code).toBe(1)
  expect(stderr).toMatch(/cannot reach/i)
  expect(stderr).toContain(gone)
  expect(stderr).not.toMatch(/login_failed/)
})

it('says a server that answered without tokens did answer (--url pointing at another server)', async () => {
  // Any web server that answers 200 with a page, as the app's own dev server would.
  const { createServer } = await import('node:http')
  const other = createServer((_, res) => res.end('<!doctype html><title>app</title>'))
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
  const otherUrl = `http://127.0.0.1:${(other.address() as { port: number }).port}`
  try {
    const { code, stderr } = await fail(['--url', otherUrl, '--seconds', '1'])
    expect(code).toBe(1)
    expect(stderr).toContain(`${otherUrl}/auth/login`)
    expect(stderr).toMatch(/no tokens|without tokens/)
    expect(stderr).not.toMatch(/cannot reach|is it running/i)
  } finally {
    await new Promise((resolve) => other.close(resolve))
  }
})
