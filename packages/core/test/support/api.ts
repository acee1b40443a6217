import { createTestToken } from '@latchkey/testing'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, vi } from 'vitest'
import { type AuthClient, createAuthClient } from '../../src'

export const API = 'https://api.example.com'
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One request as the API received it. */
export interface Seen {
  method: string
  url: string
  authorization: string | null
  contentType: string | null
  body: string
  header: string | null
}

/** Records a request; a multipart body is recorded as its parts (a boundary may differ between sends). */
async function record(seen: Seen[], request: Request): Promise<Seen> {
  const contentType = request.headers.get('content-type')
  let body = await request.text()
  if (contentType?.startsWith('multipart/form-data')) {
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData()
    const parts = await Promise.all(
      [...form].map(async ([k, v]) => [
        k,
        typeof v === 'string' ? v : `${v.name}:${v.type}:${await v.text()}`,
      ]),
    )
    body = JSON.stringify(parts)
  }
  const entry = {
    method: request.method,
    url: request.url,
    authorization: request.headers.get('authorization'),
    contentType: contentType?.replace(/boundary=.*$/, 'boundary=*') ?? null,
    body,
    header: request.headers.get('x-trace'),
  }
  seen.push(entry)
  return entry
}

/**
 * An msw API at {@link API} for the transports' tests (createAuthFetch, attachAuth): it records every
 * request and accepts only the tokens in `valid` (any other gets a 401); https://other.example.com
 * answers 401 to everything. Registers its own lifecycle hooks; everything is reset after each test.
 */
export function useRecordingApi() {
  const seen: Seen[] = []
  const api = {
    seen,
    /** Access tokens the API accepts. */
    valid: new Set<string>(),
    /** Makes the API wait before it answers, per request. */
    delay: async (_request: Request): Promise<void> => {},
    /** Destroyed after each test. */
    clients: [] as AuthClient[],
    record: (request: Request) => record(seen, request),
  }
  const server = setupServer(
    http.all(`${API}/*`, async ({ request }) => {
      const entry = await api.record(request)
      await api.delay(request)
      const token = entry.authorization?.replace(/^Bearer /, '')
      if (token && api.valid.has(token)) return HttpResponse.json({ ok: true, n: seen.length })
      return HttpResponse.json({ error: 'invalid_token', n: seen.length }, { status: 401 })
    }),
    http.all('https://other.example.com/*', async ({ request }) => {
      await api.record(request)
      return HttpResponse.json({ error: 'nope' }, { status: 401 })
    }),
  )
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => {
    server.resetHandlers()
    api.seen.length = 0
    api.valid.clear()
    api.delay = async () => {}
    for (const c of api.clients.splice(0)) c.destroy()
  })
  afterAll(() => server.close())
  return Object.assign(api, { server })
}

export interface ClientOptions {
  /** The server already rejects the first token (revoked), so the first request gets a 401. */
  revoked?: boolean
  refresh?: () => Promise<void>
  refreshDelay?: number
}

/** A client holding a live token, whose refresh issues the next token and makes the API accept it. */
export function refreshingClient(
  api: ReturnType<typeof useRecordingApi>,
  now: () => number,
  options: ClientOptions = {},
) {
  let n = 0
  const refresh = vi.fn(async ({ signal }: { signal: AbortSignal }) => {
    await sleep(options.refreshDelay ?? 5)
    await options.refresh?.()
    if (signal.aborted) throw signal.reason
    const accessToken = createTestToken({ sub: 'alice', n: ++n }, { now, expiresIn: 300 })
    api.valid.add(accessToken)
    return { accessToken }
  })
  const auth = createAuthClient({ now, refresh, retry: { attempts: 1 }, refreshTimeout: 2_000 })
  api.clients.push(auth)
  const first = createTestToken({ sub: 'alice', n: 0 }, { now, expiresIn: 300 })
  if (!options.revoked) api.valid.add(first)
  auth.setTokens({ accessToken: first, refreshToken: 'r0' })
  const logouts: string[] = []
  auth.on('logout', ({ reason }) => logouts.push(reason))
  return { auth, refresh, first, logouts }
}

export const bearer = (auth: AuthClient) => `Bearer ${auth.getState().accessToken}`

/**
 * An msw server that answers every request `ok` and records where it went and with which
 * `Authorization`, for the origin rules; `client()` makes a client holding a live token.
 */
export function useWire() {
  const wire: Array<{ url: string; authorization: string | null }> = []
  const clients: AuthClient[] = []
  const server = setupServer(
    http.all('*', ({ request }) => {
      wire.push({ url: request.url, authorization: request.headers.get('authorization') })
      return HttpResponse.text('ok')
    }),
  )
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => {
    wire.length = 0
    for (const c of clients.splice(0)) c.destroy()
    vi.restoreAllMocks()
  })
  afterAll(() => server.close())
  const client = () => {
    const auth = createAuthClient()
    clients.push(auth)
    auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'r' })
    return auth
  }
  return { wire, client }
}

/**
 * A fetch whose API refuses the token `refused` (401) and accepts any other (200), holding its first
 * answer until `release()`: a late 401 arrives when the test says. `sent` records each Authorization.
 */
export function heldApi(refused: string | (() => string)) {
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  const sent: Array<string | null> = []
  const send = (async (_: unknown, init?: RequestInit) => {
    const header = new Headers(init?.headers).get('authorization')
    sent.push(header)
    if (sent.length === 1) await held
    const token = typeof refused === 'function' ? refused() : refused
    return new Response(null, { status: header === `Bearer ${token}` ? 401 : 200 })
  }) as typeof fetch
  return { send, sent, release }
}
