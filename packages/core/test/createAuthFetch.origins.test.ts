import { runInNewContext } from 'node:vm'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { createAuthFetch, createOriginMatcher, type OriginRule } from '../src'

import { API, useWire } from './support/api'

const { wire, client } = useWire()

type Row = [label: string, input: () => RequestInfo | URL, attached: boolean]
const row = (url: string, attached: boolean): Row => [JSON.stringify(url), () => url, attached]

/** `origins: ['https://api.example.com']`, outside a browser. */
const allowList: Row[] = [
  row(`${API}/users`, true),
  row(API, true),
  row('HTTPS://API.EXAMPLE.COM/users', true),
  row('https://api.example.com:443/users', true),
  row('https://Api.Example.Com/users', true),
  row(`${API}/?next=https://evil.com`, true),
  row(`${API}#https://evil.com`, true),
  row(`  ${API}/leading-space`, true),
  row('https://api.exa\tmple.com/tab-is-stripped', true),
  row('https://api%2Eexample.com/percent-encoded-dot', true),
  row('https://evil.com\t@api.example.com/tab-then-userinfo', true),
  row('https://api.example.com\\.evil.com/backslash-ends-the-host', true),
  ['a URL', () => new URL(`${API}/url`), true],
  ['a Request', () => new Request(`${API}/request`), true],
  row('https://api.example.com.evil.com/users', false),
  row('https://api.example.com@evil.com/users', false),
  row('https://evil.com/?https://api.example.com', false),
  row('https://evil.com/https://api.example.com', false),
  row('https://evil.com#@api.example.com', false),
  row('https://evil.com\\@api.example.com/', false),
  row('https:\\\\evil.com\\users', false),
  row('https:/\\evil.com/users', false),
  row('https:///evil.com/users', false),
  row('https://evil.com%2F@api.example.com/userinfo', true),
  row('https://api.example.com%2eevil.com/', false),
  row('https://api.example.com./users', false),
  row('http://api.example.com/users', false),
  row('https://api.example.com:8443/users', false),
  row('wss://api.example.com/socket', false),
  row('//api.example.com/protocol-relative-without-a-page', false),
  row('/users', false),
  row('data:text/plain,https://api.example.com', false),
  row('blob:https://evil.com/0d1e', false),
  ['a URL to evil.com', () => new URL('https://evil.com/x?https://api.example.com'), false],
  ['a Request to evil.com', () => new Request('https://evil.com/x'), false],
]

/** Runs the rows through one fetch (in this order, so cached verdicts are exercised) and records headers. */
async function verdicts(origins: OriginRule, rows: Row[]): Promise<Array<[string, boolean]>> {
  const auth = client()
  const given: boolean[] = []
  const send = async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
    given.push(headers.has('authorization'))
    return new Response('ok')
  }
  const api = createAuthFetch(auth, { origins, fetch: send })
  const out: Array<[string, boolean]> = []
  for (const [label, input] of rows) {
    await api(input())
    out.push([label, given.pop()!])
  }
  return out
}

const expected = (rows: Row[]) => rows.map(([label, , attached]) => [label, attached])

describe('createAuthFetch origins', () => {
  it('attaches the token by parsed origin only: a table of look-alikes, in both orders', async () => {
    expect(await verdicts([API], allowList)).toEqual(expected(allowList))
    const reversed = [...allowList].reverse()
    expect(await verdicts([API], reversed)).toEqual(expected(reversed))
  })

  it('accepts an origin string written with a path, a default port or capitals', async () => {
    const rows = allowList.filter((_, i) => i < 4 || i > 13)
    for (const origin of ['https://api.example.com/v1/', 'https://API.example.com:443', `${API}/`]) {
      expect(await verdicts([origin], rows)).toEqual(expected(rows))
    }
  })

  it('sends the token on the wire only to the allowed origin', async () => {
    const auth = client()
    const api = createAuthFetch(auth, { origins: [API] })
    let sent = 0
    for (const [label, input, attached] of allowList) {
      const before = wire.length
      const ok = await api(input()).then(
        () => true,
        () => false, // fetch refuses some URLs (credentials, relative, wss:): then nothing left at all
      )
      if (!ok) {
        expect([label, wire.length]).toEqual([label, before])
        continue
      }
      sent++
      const last = wire.pop()!
      expect([label, last.authorization]).toEqual([
        label,
        attached ? `Bearer ${auth.getState().accessToken}` : null,
      ])
      expect([label, new URL(last.url).origin === API]).toEqual([label, attached])
    }
    expect(sent).toBeGreaterThanOrEqual(20)
  })

  it('matches RegExps against the origin, never the whole URL', async () => {
    const sub = /^https:\/\/[a-z]+\.example\.com$/g // the g flag must not make answers alternate
    const rows: Row[] = [
      row(`${API}/x`, true),
      row(`${API}/y`, true),
      row('https://www.example.com', true),
      row('HTTPS://WWW.EXAMPLE.COM/caps', true),
      row('https://api.example.com.evil.com/x', false),
      row('https://evil.com/?https://api.example.com', false),
      row('https://evil.com/https://www.example.com', false),
      row('http://api.example.com/x', false),
      row('https://api.example.com:8443/x', false),
      row('https://a.b.example.com/x', false),
    ]
    expect(await verdicts([sub], rows)).toEqual(expected(rows))
    expect(await verdicts([sub, 'https://evil.com'], rows.slice(5, 6))).toEqual([[rows[5]![0], true]])
  })

  it('asks a predicate with the parsed URL of every request, so it may look at the path', async () => {
    const predicate = vi.fn((url: URL) => url.origin === API && url.pathname.startsWith('/v1/'))
    const rows: Row[] = [
      row(`${API}/v1/users`, true),
      row(`${API}/v2/users`, false),
      row('HTTPS://API.EXAMPLE.COM:443/v1/caps', true),
      row('https://api.example.com@evil.com/v1/', false),
      row('https://evil.com/v1/?https://api.example.com/v1/', false),
      row('data:text/plain,x', false),
    ]
    expect(await verdicts(predicate, rows)).toEqual(expected(rows))
    expect(predicate).toHaveBeenCalledTimes(5) // not for the opaque data: origin
    expect(predicate.mock.calls[0]?.[0]).toBeInstanceOf(URL)
  })

  it('rejects an origins entry that is not an origin', () => {
    expect(() => createAuthFetch(client(), { origins: ['api.example.com'] })).toThrow(/origins/)
    expect(() => createAuthFetch(client(), { origins: ['data:text/plain,x'] })).toThrow(/origins/)
    // A `*` is no wildcard in a string: the URL parser takes it as part of the host, which would match
    // nothing. The message says what to write instead.
    expect(() => createAuthFetch(client(), { origins: ['https://*.example.com'] })).toThrow(
      new TypeError(
        '[latchkey] createAuthFetch: origins entry "https://*.example.com" is not an origin (write a pattern as a RegExp)',
      ),
    )
    // Entries of another type (plain JavaScript) get the same message, not an error from inside.
    for (const entry of [null, 42, undefined, {}])
      expect(() => createAuthFetch(client(), { origins: [entry as never] })).toThrow(
        /^\[latchkey\] createAuthFetch: origins entry ".*" is not an origin/,
      )
  })

  it("takes a RegExp made in another realm (an iframe's, a vm context's)", async () => {
    const foreign = runInNewContext(String.raw`/^https:\/\/api\.example\.com$/g`) as RegExp
    expect(foreign).not.toBeInstanceOf(RegExp)
    const rows = [row(`${API}/v1/me`, true), row(`${API}/v1/again`, true), row('https://evil.com/', false)]
    expect(await verdicts([foreign], rows)).toEqual(expected(rows))
  })

  it('names a Symbol entry in the same message', () => {
    expect(() => createAuthFetch(client(), { origins: [Symbol('x') as never] })).toThrow(
      '[latchkey] createAuthFetch: origins entry "Symbol(x)" is not an origin',
    )
  })

  it('takes a URL object as an entry, for its origin', async () => {
    const rows = [row(`${API}/v1/me`, true), row('https://evil.com/', false)]
    expect(await verdicts([new URL(`${API}/v1/`) as never], rows)).toEqual(expected(rows))
  })

  it('rejects origins that is neither an array nor a function, rather than falling back to the page', () => {
    for (const origins of [API, new Set([API]), { [API]: true }])
      expect(() => createAuthFetch(client(), { origins: origins as never })).toThrow(
        new TypeError('[latchkey] createAuthFetch: origins is an array or a function'),
      )
  })

  it('keeps cached verdicts equal to a fresh parse for any URL (property)', () => {
    const allowed = createOriginMatcher([API])
    const piece = fc.constantFrom(
      'https://',
      'HTTPS://',
      'http://',
      'https:',
      'https:\\\\',
      '//',
      'api.example.com',
      'API.EXAMPLE.COM',
      'evil.com',
      '.evil.com',
      '@',
      '\\',
      '\t',
      ' ',
      '%2e',
      '%2F',
      ':443',
      ':8443',
      '.',
      '/',
      '?',
      '#',
      'x',
    )
    const truth = (url: string) => {
      try {
        return new URL(url).origin === API
      } catch {
        return false
      }
    }
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 8 }), fc.boolean(), (pieces, primed) => {
        const url = pieces.join('')
        // Right after a request to the allowed origin, whose authority the matcher remembers.
        if (primed) expect(allowed(`${API}/items`)).toBe(true)
        expect([url, allowed(url)]).toEqual([url, truth(url)])
      }),
      { numRuns: 3_000 },
    )
  })

  it('attaches nothing outside a browser without origins, and says so once, naming `origins`', async () => {
    // The first use of the default rule in this file (vitest isolates files): the warning is once per module.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const auth = client()
    const api = createAuthFetch(auth)
    await api(`${API}/a`)
    await api(`${API}/b`)
    await auth.fetch(`${API}/c`)
    expect(wire.map((w) => w.authorization)).toEqual([null, null, null])
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]?.[0]).toMatch(/`origins`/)
  })
})
