import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const entry = fileURLToPath(new URL('../../packages/core/src/index.ts', import.meta.url))

export interface CorePageServer {
  /** `http://127.0.0.1:<port>`: a secure context, so the page has Web Locks. */
  origin: string
  close(): Promise<void>
}

export interface CorePageOptions {
  /** A script run before the library loads (e.g. one that records `navigator.locks` calls). */
  before?: string
  /** A script run after it (e.g. one that creates the client). */
  after?: string
  /** Handles `POST /spend?rt=…`, the refresh endpoint: it answers `res` when the test says so. */
  spend(url: URL, res: http.ServerResponse): void
}

/**
 * A page with @latchkey/core and no app around it, for tests of the library's own cross-tab rules in
 * real Chromium: `/lib.js` is core built from source as an IIFE (global `latchkey`), `/` a page that
 * runs `before`, loads it and runs `after`, and `/spend` the refresh endpoint the test controls.
 */
export async function serveCorePage({
  before = '',
  after = '',
  spend,
}: CorePageOptions): Promise<CorePageServer> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    globalName: 'latchkey',
    write: false,
  })
  const lib = out.outputFiles[0]!.text
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x')
    if (url.pathname === '/lib.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(lib)
    if (url.pathname === '/spend') return spend(url, res)
    if (url.pathname === '/favicon.ico') return res.writeHead(404).end()
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(
        `<!doctype html><script>${before}</script><script src="/lib.js"></script><script>${after}</script>`,
      )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
