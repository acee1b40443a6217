/**
 * attachAuth on an older axios inside the peer range (the devDependency `axios17` is axios@1.7.9),
 * against two real node:http servers on 127.0.0.1. Before 1.8.3 (1.8.2 in Node) axios ignores
 * `allowAbsoluteUrls: false` and sends an absolute url as it is: the token must not go with it.
 */
import http from 'node:http'
import { createAuthClient } from '@latchkey/core'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { liveToken } from '../../core/test/support/clients'
import { closeAll, listen } from '../../core/test/support/http'

vi.mock('axios', () => import('axios17'))

const seen: Array<[string, string | null]> = []
const make = (name: string) =>
  http.createServer((req, res) => {
    seen.push([name, req.headers.authorization ?? null])
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  })
const api = make('api')
const evil = make('evil')
let API = ''
let EVIL = ''
beforeAll(async () => {
  API = await listen(api)
  EVIL = await listen(evil)
})
afterAll(() => closeAll(api, evil))

it('sends no token to another origin with allowAbsoluteUrls: false, which axios 1.7 ignores', async () => {
  const { default: axios } = await import('axios')
  expect(axios.VERSION).toBe('1.7.9')
  const { attachAuth } = await import('../src')
  const auth = createAuthClient({ syncTabs: false })
  auth.setTokens({ accessToken: liveToken() })
  const instance = axios.create({ baseURL: API })
  attachAuth(instance, auth, { origins: [API] })
  await instance.get(`${EVIL}/x`, { allowAbsoluteUrls: false } as never)
  await instance.get('/me')
  auth.destroy()
  // The first request went to the other origin (axios 1.7 sends an absolute url as it is), bare; the
  // second, to the API, carried the token.
  expect(seen.map(([server, authorization]) => [server, authorization?.split(' ')[0] ?? null])).toEqual([
    ['evil', null],
    ['api', 'Bearer'],
  ])
})
