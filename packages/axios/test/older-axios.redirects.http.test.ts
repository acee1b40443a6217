/**
 * attachAuth on axios 1.7.9 (inside the peer range) in Node, against one real node:http server on
 * 127.0.0.1 that answers two host names. Before 1.8, axios's redirects (follow-redirects) keep
 * Authorization on a hop to a subdomain of the host: api.test to evil.api.test, an origin that is
 * not allowed, must not get the token.
 */
import http from 'node:http'
import { createAuthClient } from '@latchkey/core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { liveToken } from '../../core/test/support/clients'
import { closeAll, listen } from '../../core/test/support/http'

vi.mock('axios', () => import('axios17'))

const seen: Array<[string | undefined, string | null]> = []
let port = ''
const server = http.createServer((req, res) => {
  seen.push([req.headers.host?.split(':')[0], req.headers.authorization?.split(' ')[0] ?? null])
  if (req.url === '/away')
    return res.writeHead(302, { Location: `http://evil.api.test:${port}/landing` }).end()
  if (req.url === '/moved') return res.writeHead(302, { Location: '/here' }).end()
  if (req.url === '/to-sub') return res.writeHead(302, { Location: `http://x.api.test:${port}/refuse` }).end()
  if (req.url === '/refuse') return res.writeHead(401).end()
  res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
})
beforeAll(async () => {
  port = (await listen(server)).split(':')[2]!
})
afterAll(() => closeAll(server))
// Every host name is 127.0.0.1.
const lookup = (_host: string, _options: unknown, done: (e: null, address: string, family: number) => void) =>
  done(null, '127.0.0.1', 4)

it('sends no token to a subdomain a redirect points at, which axios 1.7 would send it to', async () => {
  const { default: axios } = await import('axios')
  expect(axios.VERSION).toBe('1.7.9')
  const { attachAuth } = await import('../src')
  const auth = createAuthClient({ syncTabs: false })
  auth.setTokens({ accessToken: liveToken() })
  const API = `http://api.test:${port}`
  const redirects: string[] = []
  const instance = axios.create({
    baseURL: API,
    lookup,
    // The app's own hook still runs, after the token is gone.
    beforeRedirect: (options: { href: string }) => void redirects.push(options.href),
  } as never)
  attachAuth(instance, auth, { origins: [API] })
  await instance.get('/away')
  await instance.get('/moved')
  auth.destroy()
  expect(seen).toEqual([
    ['api.test', 'Bearer'],
    ['evil.api.test', null],
    ['api.test', 'Bearer'],
    ['api.test', 'Bearer'],
  ])
  expect(redirects).toEqual([`http://evil.api.test:${port}/landing`, `${API}/here`])
})

describe('a 401 from a subdomain a redirect led to', () => {
  async function send(origins: string[]) {
    const { default: axios } = await import('axios')
    const { attachAuth } = await import('../src')
    let refreshes = 0
    const auth = createAuthClient({
      syncTabs: false,
      refresh: async () => {
        refreshes++
        return { accessToken: liveToken() }
      },
    })
    auth.setTokens({ accessToken: liveToken(), refreshToken: 'r' })
    const instance = axios.create({ baseURL: `http://api.test:${port}`, lookup } as never)
    attachAuth(instance, auth, { origins })
    seen.length = 0
    const status = await instance.get('/to-sub').then(
      () => 200,
      (e: { response?: { status: number } }) => e.response?.status,
    )
    auth.destroy()
    return { status, refreshes }
  }

  it('spends no refresh when the subdomain may not have the token (it went there without)', async () => {
    const { status, refreshes } = await send([`http://api.test:${port}`])
    expect(status).toBe(401)
    expect(seen).toEqual([
      ['api.test', 'Bearer'],
      ['x.api.test', null],
    ])
    expect(refreshes).toBe(0)
  })

  it('refreshes and replays when the subdomain may have it and refused it', async () => {
    const { status, refreshes } = await send([`http://api.test:${port}`, `http://x.api.test:${port}`])
    expect(status).toBe(401)
    // The first try and the replay each reach the subdomain with a token.
    expect(seen).toEqual([
      ['api.test', 'Bearer'],
      ['x.api.test', 'Bearer'],
      ['api.test', 'Bearer'],
      ['x.api.test', 'Bearer'],
    ])
    expect(refreshes).toBe(1)
  })
})
