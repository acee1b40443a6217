import type { OriginRule } from '@latchkey/core'
import axios, { type AxiosRequestConfig, type InternalAxiosRequestConfig } from 'axios'
import { describe, expect, it, vi } from 'vitest'
import { API, useWire } from '../../core/test/support/api'
import { attachAuth } from '../src'

const { wire, client } = useWire()

/** [instance baseURL, request config, token attached?] */
type Row = [base: string | undefined, request: AxiosRequestConfig, attached: boolean]

const rows: Row[] = [
  [API, { url: '/users' }, true],
  [API, { url: 'users' }, true],
  [`${API}/v1/`, { url: '/users' }, true],
  [`${API}/`, { url: '' }, true],
  [API, { url: '?q=https://evil.com' }, true],
  [API, { url: ' https://evil.com/' }, true], // not absolute for axios: appended to baseURL
  // axios before 1.8.3 (1.8.2 in Node) ignores allowAbsoluteUrls and sends this to evil.com: no token.
  [API, { url: 'https://evil.com/x', allowAbsoluteUrls: false }, false],
  ['https://evil.com', { url: 'https://api.example.com/users' }, true], // an absolute url wins
  ['https://evil.com', { url: '/users', baseURL: API }, true], // per-request baseURL
  [undefined, { url: 'https://api.example.com/users' }, true],
  [undefined, { url: 'HTTPS://API.EXAMPLE.COM:443/users' }, true],
  [undefined, { url: 'https://api.example.com/users?next=https://evil.com' }, true],
  [API, { url: 'https://evil.com/x' }, false],
  [API, { url: '//evil.com/x' }, false],
  [API, { url: 'HTTPS://EVIL.COM/x' }, false],
  [API, { url: 'https://api.example.com.evil.com/x' }, false],
  [API, { url: '/users', baseURL: 'https://evil.com' }, false],
  ['https://evil.com', { url: '/users' }, false],
  ['https://evil.com/https://api.example.com', { url: '/users' }, false],
  ['https://api.example.com.evil.com', { url: '/users' }, false],
  ['https://api.example.com@evil.com', { url: '/users' }, false],
  ['http://api.example.com', { url: '/users' }, false],
  ['https://api.example.com:8443', { url: '/users' }, false],
  [undefined, { url: 'https://api.example.com@evil.com/users' }, false],
  [undefined, { url: 'https://evil.com/?https://api.example.com' }, false],
  [undefined, { url: 'https://evil.com\\@api.example.com/' }, false],
  [undefined, { url: ' https://evil.com/' }, false],
  [undefined, { url: '/users' }, false],
  [undefined, { url: 'data:text/plain,https://api.example.com' }, false],
]
const label = ([base, request]: Row) => JSON.stringify({ base, ...request })

/** Runs the rows, in order, through one instance with a recording adapter. */
async function verdicts(origins: OriginRule | undefined, list: Row[]): Promise<Array<[string, boolean]>> {
  const auth = client()
  const out: Array<[string, boolean]> = []
  for (const row of list) {
    const api = axios.create(row[0] === undefined ? {} : { baseURL: row[0] })
    attachAuth(api, auth, origins ? { origins } : {})
    let header: unknown
    const adapter = async (config: InternalAxiosRequestConfig) => {
      header = config.headers.get('Authorization')
      return { data: null, status: 200, statusText: 'OK', headers: {}, config }
    }
    await api.request({ ...row[1], adapter })
    expect(header === undefined || header === `Bearer ${auth.getState().accessToken}`).toBe(true)
    out.push([label(row), header !== undefined])
  }
  return out
}
const expected = (list: Row[]) => list.map((row) => [label(row), row[2]])

describe('attachAuth origins', () => {
  it('attaches the token by the origin of baseURL + url: a table of look-alikes, in both orders', async () => {
    expect(await verdicts([API], rows)).toEqual(expected(rows))
    const reversed = [...rows].reverse()
    expect(await verdicts([API], reversed)).toEqual(expected(reversed))
  })

  it('sends the token on the wire only to the allowed origin', async () => {
    const auth = client()
    let sent = 0
    for (const row of rows) {
      const api = axios.create(row[0] === undefined ? {} : { baseURL: row[0] })
      attachAuth(api, auth, { origins: [API] })
      const before = wire.length
      const ok = await api.request(row[1]).then(
        () => true,
        () => false, // axios refuses some URLs (relative in Node, data:): then nothing left at all
      )
      // axios answers data: URLs itself: nothing leaves then either.
      if (!ok || wire.length === before) {
        expect([label(row), wire.length]).toEqual([label(row), before])
        continue
      }
      sent++
      const last = wire.pop()!
      const bearer = `Bearer ${auth.getState().accessToken}`
      // axios turns URL credentials into Basic auth of its own; what matters is that no Bearer leaves.
      const got = last.authorization?.startsWith('Bearer ') ? last.authorization : null
      expect([label(row), got]).toEqual([label(row), row[2] ? bearer : null])
      const toApi = new URL(last.url).origin === API
      // Where an absolute url goes with allowAbsoluteUrls: false depends on the axios version.
      if (row[1].allowAbsoluteUrls === undefined) expect([label(row), toApi]).toEqual([label(row), row[2]])
      if (got) expect([label(row), toApi]).toEqual([label(row), true])
    }
    expect(sent).toBeGreaterThanOrEqual(20)
  })

  it('takes RegExps and predicates, as createAuthFetch does', async () => {
    const table: Row[] = [
      [API, { url: '/v1/x' }, true],
      ['https://www.example.com', { url: '/v1/x' }, true],
      [API, { url: '/v2/x' }, false],
      ['https://api.example.com.evil.com', { url: '/v1/x' }, false],
      ['http://api.example.com', { url: '/v1/x' }, false],
    ]
    const sub = /^https:\/\/[a-z]+\.example\.com$/
    expect(await verdicts([sub], table.slice(0, 2).concat(table.slice(3)))).toEqual(
      expected(table.slice(0, 2).concat(table.slice(3))),
    )
    const predicate = (url: URL) => sub.test(url.origin) && url.pathname.startsWith('/v1/')
    expect(await verdicts(predicate, table)).toEqual(expected(table))
  })

  it('attaches nothing outside a browser without origins, and says so once, naming `origins`', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    expect(await verdicts(undefined, rows.slice(0, 3))).toEqual(
      rows.slice(0, 3).map((r) => [label(r), false]),
    )
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]?.[0]).toMatch(/attachAuth.*`origins`/)
  })
})
