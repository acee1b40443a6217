import http from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type AuthClient, createAuthClient, createAuthFetch, oauth2Refresh } from '../src'
import { liveToken as live } from './support/clients'
import { closeAll, listen } from './support/http'

/**
 * Redirects, against real servers on 127.0.0.1. fetch drops Authorization on a cross-origin hop, so
 * a 401 from the origin redirected to says nothing about the token and must cost no refresh (else a
 * third party could make every request spend one). A token endpoint that redirects must not get the
 * refresh token re-sent to the origin it names.
 */
let api: http.Server
let foreign: http.Server
let API = ''
let FOREIGN = ''
let fresh = 'fresh'
const foreignSaw: Array<{ authorization: string | undefined; body: string }> = []

beforeAll(async () => {
  foreign = http.createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    foreignSaw.push({ authorization: req.headers.authorization, body })
    // Back to the API, which the token no longer goes with.
    if (req.url === '/bounce') return res.writeHead(302, { Location: `${API}/denied` }).end()
    res.writeHead(401).end()
  })
  FOREIGN = await listen(foreign)
  api = http.createServer((req, res) => {
    if (req.url === '/away') return res.writeHead(302, { Location: `${FOREIGN}/landing` }).end()
    if (req.url === '/out') return res.writeHead(302, { Location: `${FOREIGN}/bounce` }).end()
    if (req.url === '/token') return res.writeHead(307, { Location: `${FOREIGN}/steal` }).end()
    if (req.url === '/here') return res.writeHead(302, { Location: '/denied' }).end()
    if (req.url === '/api/me') return res.writeHead(302, { Location: '/v2/me' }).end()
    res.writeHead(req.headers.authorization === `Bearer ${fresh}` ? 200 : 401).end()
  })
  API = await listen(api)
})
afterAll(() => closeAll(api, foreign))

const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  foreignSaw.length = 0
})

function client(next: () => string = live) {
  let refreshes = 0
  const auth = createAuthClient({
    syncTabs: false,
    refresh: async () => {
      refreshes++
      return { accessToken: next() }
    },
  })
  clients.push(auth)
  auth.setTokens({ accessToken: live(), refreshToken: 'r' })
  return { auth, refreshes: () => refreshes }
}

describe('createAuthFetch and redirects', () => {
  it('a 401 from another origin after a redirect costs no refresh (the token never reached it)', async () => {
    const { auth, refreshes } = client()
    const f = createAuthFetch(auth, { origins: [API] })
    for (let i = 0; i < 3; i++) expect((await f(`${API}/away`)).status).toBe(401)
    expect(foreignSaw.map((s) => s.authorization)).toEqual([undefined, undefined, undefined])
    expect(refreshes()).toBe(0)
  })

  it('a 401 from the API after a redirect that left it and came back costs no refresh (the token was dropped on the way)', async () => {
    const { auth, refreshes } = client()
    const f = createAuthFetch(auth, { origins: [API] })
    for (let i = 0; i < 3; i++) {
      const response = await f(`${API}/out`)
      expect([response.status, response.url]).toEqual([401, `${API}/denied`])
    }
    expect(foreignSaw.map((s) => s.authorization)).toEqual([undefined, undefined, undefined])
    expect(refreshes()).toBe(0)
  })

  it('a 401 after a redirect within the allowed origin still refreshes and replays', async () => {
    const { auth, refreshes } = client()
    const f = createAuthFetch(auth, { origins: [API] })
    expect((await f(`${API}/here`)).status).toBe(401) // /denied answers 401 to every token but 'fresh'
    expect(refreshes()).toBe(1)
  })
})

describe('createAuthFetch and redirects within the origin, with a path predicate', () => {
  it('a 401 after a same-origin redirect (the token went along) is refreshed and replayed', async () => {
    fresh = live()
    const { auth, refreshes } = client(() => fresh)
    // The predicate allows /api/ only; fetch keeps Authorization on the same-origin hop to /v2/me.
    const f = createAuthFetch(auth, { origins: (u) => u.origin === API && u.pathname.startsWith('/api/') })
    expect((await f(`${API}/api/me`)).status).toBe(200)
    expect(refreshes()).toBe(1)
  })
})

describe('oauth2Refresh and a redirecting token endpoint', () => {
  it('never sends the refresh token to the origin a 307 points at; the refresh fails', async () => {
    const refresh = oauth2Refresh({ tokenEndpoint: `${API}/token`, clientId: 'spa' })
    const signal = new AbortController().signal
    await expect(refresh({ refreshToken: 'rt-SECRET-123', accessToken: null, signal })).rejects.toThrow()
    expect(foreignSaw).toEqual([])
  })
})
