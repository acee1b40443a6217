import http from 'node:http'
import { type AuthClient, createAuthClient } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import axios from 'axios'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
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

const listen = (s: http.Server) =>
  new Promise<string>((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as { port: number }).port}`)),
  )

beforeAll(async () => {
  foreign = http.createServer((req, res) => {
    foreignSaw.push(req.headers.authorization)
    res.writeHead(401).end()
  })
  FOREIGN = await listen(foreign)
  api = http.createServer((req, res) => {
    if (req.url === '/away') return res.writeHead(302, { Location: `${FOREIGN}/landing` }).end()
    res.writeHead(req.url === '/500' ? 500 : 401).end()
  })
  API = await listen(api)
})
afterAll(() => {
  for (const s of [api, foreign]) {
    s.closeAllConnections()
    s.close()
  }
})

const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  foreignSaw.length = 0
})
const sec = () => Math.floor(Date.now() / 1000)
const live = () => createTestToken({ sub: 'alice', jti: Math.random(), iat: sec(), exp: sec() + 600 })

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
})
