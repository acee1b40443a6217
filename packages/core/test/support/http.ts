import type http from 'node:http'
import { createServer } from 'node:http'
import { afterAll, afterEach, beforeAll, vi } from 'vitest'
import { type AuthClient, createAuthClient } from '../../src'
import { expiredToken, liveToken } from './clients'

/** Starts `server` on a free port of 127.0.0.1 and resolves its origin (`http://127.0.0.1:<port>`). */
export const listen = (server: http.Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`),
    ),
  )

/** Stops the servers, ending their open (keep-alive) connections too. */
export function closeAll(...servers: Array<http.Server | undefined>): void {
  for (const server of servers) {
    server?.closeAllConnections()
    server?.close()
  }
}

/** A request the API of {@link useTokenApi} received. */
export interface ApiHit {
  method: string
  url: string
  authorization: string | null
  headers: http.IncomingHttpHeaders
  /** The body's bytes, as sent. */
  body: Buffer
  /** The body as text, a multipart boundary (new on each send) replaced by `*`. */
  text: string
}

export interface TokenApiOptions {
  /** Answers a request with rules of its own (a path, a flaky upstream) first: true when it did. */
  answer?: (hit: ApiHit, res: http.ServerResponse) => boolean | undefined
  /** The body of a 401 (JSON by default; a large one keeps a connection busy until it is read). */
  refusal?: string
}

/**
 * An API on 127.0.0.1 for a test file's requests, started before its tests and stopped after them: it
 * records every request in `hits` (every byte on its sockets in `raw`) and answers 200 to a Bearer token
 * in `valid`, 401 to anything else. `hits`, `raw` and `valid` are emptied after each test, and the
 * clients `client()` made are destroyed.
 */
export function useTokenApi({ answer, refusal = '{"error":"invalid_token"}' }: TokenApiOptions = {}) {
  const clients: AuthClient[] = []
  const api = {
    origin: '',
    hits: [] as ApiHit[],
    raw: [] as Buffer[],
    valid: new Set<string>(),
    /**
     * A client of this API whose refresh (one try; waiting for `release()` when `gated`) issues a token
     * the API accepts. Its first token is accepted unless `refused`; `expired` makes it one that expired.
     */
    client({ refused = false, gated = false, expired = false } = {}) {
      let release = () => {}
      const gate = gated ? new Promise<void>((resolve) => (release = resolve)) : undefined
      const refresh = vi.fn(async () => {
        await gate
        const accessToken = liveToken()
        api.valid.add(accessToken)
        return { accessToken }
      })
      const auth = createAuthClient({ syncTabs: false, refresh, retry: { attempts: 1 } })
      clients.push(auth)
      const first = expired ? expiredToken() : liveToken()
      if (!refused) api.valid.add(first)
      auth.setTokens({ accessToken: first, refreshToken: 'r' })
      return { auth, refresh, first, release: () => release() }
    },
  }
  let server: http.Server | undefined
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks)
        const boundary = /boundary=(.*)$/.exec(req.headers['content-type'] ?? '')?.[1]
        const text = body.toString('latin1')
        const authorization = req.headers.authorization ?? null
        const hit = { method: req.method!, url: req.url!, authorization, headers: req.headers, body, text }
        if (boundary) hit.text = text.split(boundary).join('*')
        api.hits.push(hit)
        if (answer?.(hit, res)) return
        const ok = api.valid.has(authorization?.replace(/^Bearer /, '') ?? '')
        res
          .writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
          .end(ok ? '{"ok":true}' : refusal)
      })
    })
    server.on('connection', (socket) => socket.on('data', (d: Buffer) => api.raw.push(d)))
    api.origin = await listen(server)
  })
  afterAll(() => closeAll(server))
  afterEach(() => {
    for (const auth of clients.splice(0)) auth.destroy()
    api.hits.length = 0
    api.raw.length = 0
    api.valid.clear()
  })
  return api
}
