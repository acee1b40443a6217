// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://app.example.com/dashboard/"}
import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AuthClient, createAuthClient, createAuthFetch, type OriginRule } from '../src'

const setURL = (url: string) =>
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(url)

const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  vi.restoreAllMocks()
})

type Row = [label: string, input: () => RequestInfo | URL, attached: boolean]
const row = (url: string, attached: boolean): Row => [JSON.stringify(url), () => url, attached]

/** Runs the rows through one fetch, in order, and records whether each got the token. */
async function verdicts(origins: OriginRule | undefined, rows: Row[]) {
  const auth = createAuthClient({ syncTabs: false })
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'r' })
  const given: Array<string | null> = []
  const send = async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(
      init?.headers ?? (typeof input === 'object' && 'headers' in input ? input.headers : {}),
    )
    given.push(headers.get('authorization'))
    return new Response('ok')
  }
  const api = createAuthFetch(auth, origins ? { origins, fetch: send } : { fetch: send })
  const out: Array<[string, boolean]> = []
  for (const [label, input] of rows) {
    await api(input())
    const header = given.pop()
    expect(header === null || header === `Bearer ${auth.getState().accessToken}`).toBe(true)
    out.push([label, header !== null])
  }
  return out
}
const expected = (rows: Row[]) => rows.map(([label, , attached]) => [label, attached])
const both = async (origins: OriginRule | undefined, rows: Row[]) => {
  expect(await verdicts(origins, rows)).toEqual(expected(rows))
  const reversed = [...rows].reverse()
  expect(await verdicts(origins, reversed)).toEqual(expected(reversed))
}

describe('createAuthFetch in a browser', () => {
  it("attaches the token to the page's own origin by default, relative URLs included", async () => {
    const warn = vi.spyOn(console, 'warn')
    expect(location.origin).toBe('https://app.example.com')
    await both(undefined, [
      row('/api/me', true),
      row('api/me', true),
      row('./x', true),
      row('../x', true),
      row('?q=1', true),
      row('#top', true),
      row('', true),
      row('https:evil.com', true), // same scheme as the page: a relative path on app.example.com
      row('https://app.example.com/x', true),
      row('HTTPS://APP.EXAMPLE.COM:443/x', true),
      ['a URL', () => new URL('/x', location.href), true],
      ['a Request', () => new Request('/x'), true],
      row('//evil.com/x', false),
      row(' //evil.com/x', false),
      row('/\\evil.com/x', false),
      row('\\\\evil.com\\x', false),
      row('/\t/evil.com/x', false),
      row('/\n/evil.com/x', false),
      row('http:evil.com', false),
      row('https://evil.com/x', false),
      row('https://app.example.com.evil.com/x', false),
      row('https://evil.com/?https://app.example.com', false),
      row('http://app.example.com/x', false),
      row('https://app.example.com:8443/x', false),
      row('data:text/plain,x', false),
      row('javascript:alert(1)', false),
    ])
    expect(warn).not.toHaveBeenCalled()
  })

  it('resolves relative URLs against the base URL fetch uses (a <base> element)', async () => {
    const base = document.createElement('base')
    base.href = 'https://cdn.example.net/assets/'
    document.head.append(base)
    try {
      await both(undefined, [row('/x', false), row('x', false), row('https://app.example.com/x', true)])
    } finally {
      base.remove()
    }
  })

  it('follows the page when it changes', async () => {
    const rows = [row('/x', true), row('https://app.example.com/x', true)]
    await both(undefined, rows)
    setURL('https://other.example.org/')
    try {
      await both(undefined, [row('/x', true), row('https://app.example.com/x', false)])
    } finally {
      setURL('https://app.example.com/dashboard/')
    }
  })

  it('with origins set, attaches to those only: relative URLs are the page origin', async () => {
    await both(
      ['https://api.example.com'],
      [row('/x', false), row('https://app.example.com/x', false), row('https://api.example.com/x', true)],
    )
    await both(
      (url) => url.origin === location.origin && url.pathname.startsWith('/api/'),
      [row('/api/x', true), row('/static/x', false), row('//evil.com/api/x', false)],
    )
  })

  it('a redirected cors 401 from the page origin: no refresh, except from an opaque origin (a sandboxed iframe)', async () => {
    // What Chromium answers a redirect within the API (e2e/tests/redirects.test.ts): from a page, a
    // `cors` answer there means a hop left the origin (and took the token); from an opaque origin
    // (self.origin 'null'), every answer is `cors` and the token went along, so it is worth a refresh.
    const refused = () =>
      Object.defineProperties(new Response(null, { status: 401 }), {
        type: { value: 'cors' },
        redirected: { value: true },
        url: { value: 'https://app.example.com/api/denied' },
      })
    const refreshes = async () => {
      let calls = 0
      const auth = createAuthClient({
        syncTabs: false,
        refresh: async () => {
          calls++
          return { accessToken: createTestToken({ sub: 'alice', n: calls }) }
        },
      })
      clients.push(auth)
      auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'r' })
      const api = createAuthFetch(auth, { fetch: async () => refused() })
      expect((await api('/api/here')).status).toBe(401)
      return calls
    }
    expect(await refreshes()).toBe(0)
    vi.stubGlobal('origin', 'null')
    try {
      expect(await refreshes()).toBe(1)
    } finally {
      vi.unstubAllGlobals()
    }
  })
})
