import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../src/cli.mjs', import.meta.url))

/** @param {string[]} args @returns {Promise<{ code: number | null, stdout: string, stderr: string }>} */
function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, AUTH_PORT: '' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('cli', () => {
  it('says the port is busy in one line and exits 1', async () => {
    const blocker = createServer()
    await new Promise((resolve) => blocker.listen(0, '127.0.0.1', () => resolve(undefined)))
    const { port } = /** @type {import('node:net').AddressInfo} */ (blocker.address())
    try {
      const { code, stderr } = await run(['--port', String(port), '--quiet'])
      expect(code).toBe(1)
      expect(stderr).toBe(`port ${port} is in use; pass --port (with \`pnpm start\`, set AUTH_PORT)\n`)
    } finally {
      blocker.close()
    }
  })

  it('rejects a bad flag value', async () => {
    const { code, stderr } = await run(['--alg', 'none'])
    expect(code).toBe(1)
    expect(stderr).toContain('--alg must be RS256 or HS256')
  })
})
