import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createAuthServer } from '@latchkey/example-auth-server'
import type { TestProject } from 'vitest/node'
import { assertChromium } from './browser'
import { serveStatic } from './staticServer'

/** Seconds. Short, so a real refresh happens within a test (latchkey refreshes at half of it here). */
export const ACCESS_TTL = 6

declare module 'vitest' {
  interface ProvidedContext {
    /** The built app, e.g. `http://127.0.0.1:41234`. */
    appUrl: string
    /** The example auth server the app talks to. */
    authUrl: string
  }
}

const spaDir = fileURLToPath(new URL('../../examples/react-spa/', import.meta.url))

/** `vite build` of examples/react-spa with its own Vite, into `outDir`, pointed at `authUrl`. */
async function buildApp(outDir: string, authUrl: string): Promise<void> {
  const require = createRequire(join(spaDir, 'package.json'))
  const vite = join(dirname(require.resolve('vite/package.json')), 'bin/vite.js')
  await promisify(execFile)(
    process.execPath,
    [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    { cwd: spaDir, env: { ...process.env, VITE_AUTH_URL: authUrl } },
  )
}

/**
 * Starts the static server first (the auth server's CORS needs the app origin), then the auth server
 * (the build needs its URL), then builds the app into a temporary folder the static server serves.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  assertChromium()
  const outDir = await mkdtemp(join(tmpdir(), 'latchkey-e2e-app-'))
  const app = await serveStatic(outDir)
  const auth = createAuthServer({ corsOrigin: app.url, accessTtl: ACCESS_TTL, quiet: true })
  const teardown = async () => {
    await Promise.all([app.close(), auth.close()])
    await rm(outDir, { recursive: true, force: true })
  }
  try {
    const { url: authUrl } = await auth.listen(0, '127.0.0.1')
    await buildApp(outDir, authUrl)
    project.provide('appUrl', app.url)
    project.provide('authUrl', authUrl)
  } catch (error) {
    await teardown()
    throw error
  }
  return teardown
}
