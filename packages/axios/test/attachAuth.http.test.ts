import { mkdtempSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AuthClient, createAuthClient } from '@latchkey/core'
import axios from 'axios'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { liveToken as live } from '../../core/test/support/clients'
import { closeAll, listen } from '../../core/test/support/http'
import { attachAuth } from '../src'

/**
 * attachAuth against real servers on 127.0.0.1 (axios's Node http adapter): a failed request's
 * `error.toJSON()` (what error reporters send) holds no token, and a 401 from another origin after a
 * redirect (axios dropped the token on the way) costs no refresh.
 */
let api: http.Server
let foreign: http.Server
let API = ''
let FOREIGN = ''
const foreignSaw: Array<string | undefined> = []

beforeAll(async () => {
  foreign = http.createServer((req, res) => {
    foreignSaw.push(req.headers.authorization)
    // Back to the API, which the token no longer goes with.
    if (req.url === '/bounce') return res.writeHead(302, { Location: `${API}/denied` }).end()
    res.writeHead(401).end()
  })
  FOREIGN = await listen(foreign)
  api = http.createServer((req, res) => {
    if (req.url === '/away') return res.writeHead(302, { Location: `${FOREIGN}/landing` }).end()
    if (req.url === '/here') return res.writeHead(302, { Location: '/denied' }).end()
    if (req.url === '/out') return res.writeHead(302, { Location: `${FOREIGN}/bounce` }).end()
    res.writeHead(req.url === '/500' ? 500 : 401).end()
  })
  API = await listen(api)
})
afterAll(() => closeAll(api, foreign))

const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  foreignSaw.length = 0
})

function setup(redact?: string[]) {
  const issued = [live()]
  let refreshes = 0
  const auth = createAuthClient({
    syncTabs: false,
    refresh: async () => {
      refreshes++
      issued.push(live())
      return { accessToken: issued.at(-1)! }
    },
  })
  clients.push(auth)
  auth.setTokens({ accessToken: issued[0]!, refreshToken: 'r' })
  const inst = axios.create({ baseURL: API, ...(redact ? { redact } : {}) })
  attachAuth(inst, auth, { origins: [API] })
  const fail = (path: string) =>
    inst.get(path).then(
      () => expect.unreachable(),
      (e: { toJSON(): unknown; response?: { status: number } }) => e,
    )
  return { issued, fail, refreshes: () => refreshes }
}

describe('AxiosErrors that pass through attachAuth', () => {
  it('a 500: toJSON() holds no access token', async () => {
    const { issued, fail } = setup()
    const error = await fail('/500')
    expect(error.response?.status).toBe(500)
    expect(JSON.stringify(error.toJSON())).not.toContain(issued[0])
  })

  it('a 401 replayed and refused again: toJSON() holds neither token', async () => {
    const { issued, fail, refreshes } = setup()
    const text = JSON.stringify(await fail('/401'))
    expect(refreshes()).toBe(1)
    expect(issued).toHaveLength(2)
    for (const token of issued) expect(text).not.toContain(token)
  })

  it('keeps the keys the app asked axios to redact', async () => {
    const { fail } = setup(['X-Api-Key'])
    const error = await fail('/500')
    expect((error as unknown as { config: { redact: string[] } }).config.redact).toEqual([
      'X-Api-Key',
      'Authorization',
    ])
  })
})

describe('a 401 from another origin after a redirect', () => {
  it('costs no refresh: the token never reached that origin', async () => {
    const { fail, refreshes } = setup()
    for (let i = 0; i < 3; i++) expect((await fail('/away')).response?.status).toBe(401)
    expect(foreignSaw).toEqual([undefined, undefined, undefined])
    expect(refreshes()).toBe(0)
  })

  it('costs no refresh when that origin redirects back to the API (the token was dropped on the way)', async () => {
    const { fail, refreshes } = setup()
    for (let i = 0; i < 3; i++) expect((await fail('/out')).response?.status).toBe(401)
    expect(foreignSaw).toEqual([undefined, undefined, undefined])
    expect(refreshes()).toBe(0)
  })

  it('a 401 after a redirect within the API (the token went along) is refreshed and replayed', async () => {
    const { fail, refreshes } = setup()
    expect((await fail('/here')).response?.status).toBe(401)
    expect(refreshes()).toBe(1)
  })
})

describe('redact values that are not arrays (axios ignores them)', () => {
  it.each([
    ['true', true],
    ['an object', { authorization: true }],
    ['null', null],
  ])('a config whose redact is %s goes out with the token and Authorization in redact', async (_, redact) => {
    const auth = createAuthClient({ syncTabs: false })
    clients.push(auth)
    auth.setTokens({ accessToken: live() })
    const inst = axios.create({ baseURL: API })
    attachAuth(inst, auth, { origins: [API] })
    let sent: unknown
    inst.defaults.adapter = async (config) => {
      sent = config.headers.Authorization
      expect(config.redact).toEqual(['Authorization'])
      return { data: 'ok', status: 200, statusText: 'OK', headers: {}, config }
    }
    expect((await inst.get('/me', { redact } as never)).data).toBe('ok')
    expect(sent).toMatch(/^Bearer /)
  })
})

describe('a Unix-socket API', () => {
  it('a 401 with no redirect is refreshed and replayed (the socket URL names no host)', async () => {
    const sock = join(mkdtempSync(join(tmpdir(), 'latchkey-')), 'api.sock')
    let fresh = ''
    const seen: Array<string | undefined> = []
    const server = http.createServer((req, res) => {
      seen.push(req.headers.authorization)
      res.writeHead(req.headers.authorization === `Bearer ${fresh}` ? 200 : 401).end('{}')
    })
    await new Promise<void>((resolve) => server.listen(sock, resolve))
    try {
      fresh = live()
      const auth = createAuthClient({ syncTabs: false, refresh: async () => ({ accessToken: fresh }) })
      clients.push(auth)
      auth.setTokens({ accessToken: live(), refreshToken: 'r' })
      const inst = axios.create({ socketPath: sock, baseURL: 'http://localhost' })
      attachAuth(inst, auth, { origins: ['http://localhost'] })
      expect((await inst.get('/me')).status).toBe(200)
      expect(seen).toHaveLength(2)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
