import { Readable } from 'node:stream'
import { type AuthClient, createAuthClient, type OriginRule } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import axios, {
  AxiosError,
  AxiosHeaders,
  type AxiosInstance,
  type AxiosRequestConfig,
  type InternalAxiosRequestConfig,
} from 'axios'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { attachAuth } from '../src'

/**
 * Hostile inputs to `attachAuth`: URLs axios builds from baseURL + url, caller headers, and what other
 * interceptors or adapters throw into its response interceptor. Each row names the input, the surface
 * it targets and the outcome it must produce. No request leaves the process: a recording adapter stands
 * in for the network and also checks that a token is only ever attached to a request whose final URL
 * (as axios builds it) is on the allowed origin.
 */
interface Row {
  input: string
  target: string
  expected: string
  run: () => Promise<string>
}

const API = 'https://api.example.com'
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  vi.restoreAllMocks()
})

function client(refresh = vi.fn(async () => ({ accessToken: createTestToken({ sub: 'alice' }) }))) {
  const auth = createAuthClient({ refresh, retry: { attempts: 1 } })
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'rt' })
  return { auth, refresh }
}

/** The origin axios will request for `config`, or `'invalid'`. */
function finalOrigin(api: AxiosInstance, config: AxiosRequestConfig): string {
  try {
    return new URL(api.getUri(config)).origin
  } catch {
    return 'invalid'
  }
}

/** What happened to the Authorization header of one request with `config` on an instance with `base`. */
const sent =
  (config: AxiosRequestConfig, base: AxiosRequestConfig = { baseURL: API }, origins: OriginRule = [API]) =>
  async () => {
    const { auth } = client()
    const api = axios.create(base)
    attachAuth(api, auth, { origins })
    const bearer = `Bearer ${auth.getState().accessToken}`
    let header: unknown
    let origin = ''
    const adapter = async (c: InternalAxiosRequestConfig) => {
      header = c.headers.get('Authorization')
      origin = finalOrigin(api, c)
      return { data: null, status: 200, statusText: 'OK', headers: {}, config: c }
    }
    try {
      await api.request({ ...config, adapter })
    } catch (error) {
      return axios.isCancel(error) ? 'canceled' : `threw ${(error as Error)?.name}`
    }
    if (header === bearer) return origin === API ? 'attached' : `attached for ${origin}`
    if (header === undefined || header === null || header === false) return 'not attached'
    return String(header).includes(bearer.slice(7)) ? 'token added to the caller’s header' : `kept: ${header}`
  }

const urls: Row[] = (
  [
    ['javascript:alert(1) (no baseURL)', { url: 'javascript:alert(1)' }, {}, 'not attached'],
    [
      'https://аpi.example.com/x (Cyrillic а, no baseURL)',
      { url: 'https://аpi.example.com/x' },
      {},
      'not attached',
    ],
    [
      'a tab inside the host (no baseURL)',
      { url: 'https://api.example.com\t.evil.example/' },
      {},
      'not attached',
    ],
    [
      'a percent-encoded dot in the host',
      { url: 'https://api.example.com%2eevil.example/' },
      {},
      'not attached',
    ],
    [
      'userinfo on the allowed host (no baseURL)',
      { url: 'https://user:pass@api.example.com/x' },
      {},
      'attached',
    ],
    ['a trailing dot on the host', { url: 'https://api.example.com./x' }, {}, 'not attached'],
    [
      '/..//evil.example/x after baseURL (stays on the API)',
      { url: '/..//evil.example/x' },
      { baseURL: `${API}/` },
      'attached',
    ],
    [
      '\\\\evil.example/x after baseURL (stays on the API)',
      { url: '\\\\evil.example/x' },
      { baseURL: API },
      'attached',
    ],
    ['\\\\evil.example\\x without baseURL', { url: '\\\\evil.example\\x' }, {}, 'not attached'],
    ['baseURL javascript:alert(1)//', { url: '/x' }, { baseURL: 'javascript:alert(1)//' }, 'not attached'],
    [
      'baseURL with userinfo look-alike',
      { url: '/x' },
      { baseURL: 'https://api.example.com:@evil.example' },
      'not attached',
    ],
    ['no url: the request goes to baseURL', {}, { baseURL: API }, 'attached'],
    ['no url and no baseURL', {}, {}, 'not attached'],
    ['a URL object as url', { url: new URL(`${API}/x`) as never }, {}, 'attached'],
    [
      'params pointing elsewhere (query only)',
      { url: '/x', params: { next: 'https://evil.example' } },
      { baseURL: API },
      'attached',
    ],
    [
      'a per-request baseURL on evil, absolute url on the API',
      { url: `${API}/x`, baseURL: 'https://evil.example' },
      {},
      'attached',
    ],
  ] as Array<[string, AxiosRequestConfig, AxiosRequestConfig, string]>
).map(([input, config, base, expected]) => ({
  input,
  target: 'attachAuth: baseURL + url',
  expected,
  run: sent(config, base),
}))

const headers: Row[] = (
  [
    ['{ AUTHORIZATION: "Basic x" }', { headers: { AUTHORIZATION: 'Basic x' } }, 'kept: Basic x'],
    [
      'an AxiosHeaders with Authorization',
      { headers: new AxiosHeaders({ Authorization: 'Basic x' }) },
      'kept: Basic x',
    ],
    ['{ Authorization: "" }', { headers: { Authorization: '' } }, 'kept: '],
    [
      '{ Authorization: null } (axios: remove the header)',
      { headers: { Authorization: null } },
      'not attached',
    ],
    [
      '{ Authorization: false } (axios: remove the header)',
      { headers: { Authorization: false } },
      'not attached',
    ],
    [
      "{ authorization: undefined } (the caller's key, though axios sends none)",
      { headers: { authorization: undefined } },
      'not attached',
    ],
    ['{ "Proxy-Authorization": "Basic x" }', { headers: { 'Proxy-Authorization': 'Basic x' } }, 'attached'],
    ['a signal-like without addEventListener', { signal: { aborted: false } as never }, 'attached'],
    ['an already-aborted AbortSignal', { signal: AbortSignal.abort() }, 'canceled'],
  ] as Array<[string, AxiosRequestConfig, string]>
).map(([input, config, expected]) => ({
  input,
  target: 'attachAuth: request config',
  expected,
  run: sent({ url: '/x', ...config }),
}))

/** What a request ends in when the adapter fails with `failure`, and how many refreshes it cost. */
const failing =
  (failure: (config: InternalAxiosRequestConfig) => unknown, config: AxiosRequestConfig = {}) =>
  async () => {
    const { auth, refresh } = client()
    const api = axios.create({ baseURL: API })
    attachAuth(api, auth, { origins: [API] })
    let thrown: unknown = 'nothing'
    const adapter = async (c: InternalAxiosRequestConfig) => {
      throw failure(c)
    }
    await api.request({ url: '/x', ...config, adapter }).catch((e: unknown) => (thrown = e))
    const what =
      thrown === null
        ? 'null'
        : thrown instanceof AxiosError
          ? `AxiosError ${thrown.response?.status ?? thrown.code}`
          : (thrown as Error)?.message
    return `rethrown ${what}, ${refresh.mock.calls.length} refreshes`
  }

const unauthorized = (c: InternalAxiosRequestConfig) =>
  new AxiosError('401', 'ERR_BAD_REQUEST', c, null, {
    data: null,
    status: 401,
    statusText: 'Unauthorized',
    headers: {},
    config: c,
  })

headers.push({
  input: '{ "authorization ": "Basic x" } (a trailing space)',
  target: 'attachAuth: request config',
  expected: 'kept: Basic x',
  run: async () => {
    const { auth } = client()
    const api = axios.create({ baseURL: API })
    attachAuth(api, auth, { origins: [API] })
    let wire: unknown
    await api.get('/x', {
      headers: { 'authorization ': 'Basic x' },
      adapter: async (c) => {
        // What the http and fetch adapters do before sending.
        wire = AxiosHeaders.from(c.headers).normalize(false).get('Authorization')
        return { data: null, status: 200, statusText: 'OK', headers: {}, config: c }
      },
    })
    return wire === 'Basic x'
      ? 'kept: Basic x'
      : String(wire).startsWith('Bearer ')
        ? 'overwritten by the token'
        : String(wire)
  },
})

const errors: Row[] = [
  ['the adapter rejects with null', failing(() => null), 'rethrown null, 0 refreshes'],
  ['the adapter rejects with a plain Error', failing(() => new Error('boom')), 'rethrown boom, 0 refreshes'],
  [
    'a network AxiosError (no response) on an attached request',
    failing((c) => new AxiosError('down', 'ERR_NETWORK', c)),
    'rethrown AxiosError ERR_NETWORK, 0 refreshes',
  ],
  [
    'a 401 to a request the caller authorised itself',
    failing(unauthorized, { headers: { Authorization: 'Basic x' } }),
    'rethrown AxiosError 401, 0 refreshes',
  ],
  [
    'a 401 to an attached request with a stream body',
    failing(unauthorized, { method: 'post', data: Readable.from(['x']) }),
    'rethrown AxiosError 401, 0 refreshes',
  ],
  [
    'a 401 without config (another interceptor stripped it)',
    failing((c) => Object.assign(unauthorized(c), { config: undefined })),
    'rethrown AxiosError 401, 0 refreshes',
  ],
  [
    'a 401 to every send: one refresh, one replay',
    failing(unauthorized),
    'rethrown AxiosError 401, 1 refreshes',
  ],
].map(([input, run, expected]) => ({
  input: input as string,
  target: 'attachAuth: response interceptor',
  expected: expected as string,
  run: run as () => Promise<string>,
}))

const setup: Row[] = [
  {
    input: 'an object that is not an axios instance',
    target: 'attachAuth(instance)',
    expected: 'TypeError',
    run: async () => {
      try {
        attachAuth({} as never, client().auth, { origins: [API] })
        return 'ok'
      } catch (error) {
        return (error as Error).name
      }
    },
  },
  {
    input: "origins: ['javascript:alert(1)']",
    target: 'attachAuth options',
    expected: 'TypeError',
    run: async () => {
      try {
        attachAuth(axios.create(), client().auth, { origins: ['javascript:alert(1)'] })
        return 'ok'
      } catch (error) {
        return (error as Error).name
      }
    },
  },
  {
    input: 'detach() called twice, then a request',
    target: 'attachAuth detach',
    expected: 'not attached',
    run: async () => {
      const { auth } = client()
      const api = axios.create({ baseURL: API })
      const detach = attachAuth(api, auth, { origins: [API] })
      detach()
      detach()
      let header: unknown
      await api.get('/x', {
        adapter: async (c) => {
          header = c.headers.get('Authorization')
          return { data: null, status: 200, statusText: 'OK', headers: {}, config: c }
        },
      })
      return header == null ? 'not attached' : 'attached'
    },
  },
  {
    input: 'an earlier interceptor replaces headers with a plain object',
    target: 'attachAuth: request config',
    expected: 'attached',
    run: async () => {
      const { auth } = client()
      const api = axios.create({ baseURL: API })
      attachAuth(api, auth, { origins: [API] })
      // Request interceptors run last-added first: this one runs before latchkey's.
      api.interceptors.request.use((c) => Object.assign(c, { headers: { 'X-Trace': 't' } }))
      let header: unknown
      await api.get('/x', {
        adapter: async (c) => {
          header = c.headers.get('Authorization')
          return { data: null, status: 200, statusText: 'OK', headers: {}, config: c }
        },
      })
      return header === `Bearer ${auth.getState().accessToken}` ? 'attached' : 'not attached'
    },
  },
  {
    input: 'an earlier response interceptor replaces error.config.headers with a plain object, then a 401',
    target: 'attachAuth: response interceptor',
    expected: 'replayed: 200 with the new token, 1 refreshes',
    run: async () => {
      const { auth, refresh } = client(
        vi.fn(async () => ({ accessToken: createTestToken({ sub: 'alice', n: 2 }) })),
      )
      const api = axios.create({ baseURL: API })
      // Response interceptors run in the order added: this one sees the 401 before latchkey's.
      api.interceptors.response.use(undefined, (error: AxiosError) => {
        if (error.config) error.config.headers = { ...error.config.headers.toJSON() } as never
        throw error
      })
      attachAuth(api, auth, { origins: [API] })
      const headers: unknown[] = []
      const res = await api
        .get('/x', {
          adapter: async (c) => {
            headers.push(c.headers.get('Authorization'))
            if (headers.length === 1) throw unauthorized(c)
            return { data: null, status: 200, statusText: 'OK', headers: {}, config: c }
          },
        })
        .catch((e: Error) => e)
      if (!('status' in res) || res.status !== 200) return `failed: ${(res as Error).message}`
      const fresh = headers[1] === `Bearer ${auth.getState().accessToken}` && headers[1] !== headers[0]
      return `replayed: 200 ${fresh ? 'with the new token' : 'with another token'}, ${refresh.mock.calls.length} refreshes`
    },
  },
]

const catalogue = { urls, headers, 'interceptor errors': errors, setup }
const rows = Object.values(catalogue).flat()

describe('attachAuth with hostile inputs', () => {
  for (const [table, list] of Object.entries(catalogue)) {
    describe(table, () => {
      for (const row of list) {
        const name = `[${row.target}] ${row.input} → ${row.expected}`
        it(name, async () => {
          expect(await row.run()).toBe(row.expected)
        })
      }
    })
  }

  it(`has ${rows.length} rows`, () => {
    expect(rows.length).toBeGreaterThanOrEqual(30)
  })
})
