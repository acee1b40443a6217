import { createAuthClient } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import axios, { AxiosError, type InternalAxiosRequestConfig } from 'axios'
import { describe, expect, it, vi } from 'vitest'
import { attachAuth } from '../src'
import { useTokenApi } from './support/tokenApi'

/** Tests written in a mutation review of attachAuth: each one fails with a change no other test caught. */
const API = 'https://api.example.com'
const OTHER = 'https://other.example.com'
const { seen, valid, clients } = useTokenApi()

/** A client holding a live token the API accepts (unless `revoked`), whose refresh issues the next. */
function client(revoked = false) {
  let n = 0
  const token = () => createTestToken({ sub: 'alice', n: n++ }, { expiresIn: 300 })
  const refresh = vi.fn(async () => {
    const accessToken = token()
    valid.add(accessToken)
    return { accessToken }
  })
  const auth = createAuthClient({ refresh, retry: { attempts: 1 }, syncTabs: false })
  clients.push(auth)
  const first = token()
  if (!revoked) valid.add(first)
  auth.setTokens({ accessToken: first, refreshToken: 'r' })
  return { auth, refresh }
}

describe('attachAuth (mutation review)', () => {
  // Mutant: fullPath() returned the absolute url as it is also with `allowAbsoluteUrls: false`.
  it('allowAbsoluteUrls: false with an absolute url to the API: no token, as axios sends it to baseURL', async () => {
    const { auth } = client()
    const api = axios.create({ baseURL: OTHER, allowAbsoluteUrls: false })
    attachAuth(api, auth, { origins: [API] })
    await api.get(`${API}/me`).catch(() => {})
    // axios (≥ 1.8.3) appends the url to baseURL: the request goes to the other origin, bare.
    expect(seen).toHaveLength(1)
    expect(new URL(seen[0]!.url).origin).toBe(OTHER)
    expect(seen[0]!.authorization).toBeNull()
  })

  // Mutant: onRequest handled a request with an `auth` option like any other: it waited for a token
  // (here for a refresh that hangs) and put the Bearer into the config next to the caller's Basic.
  it('leaves a request with an `auth` option alone: it waits for no refresh and its config gets no token', async () => {
    let finish!: (tokens: { accessToken: string }) => void
    const auth = createAuthClient({
      syncTabs: false,
      refresh: () => new Promise<{ accessToken: string }>((resolve) => (finish = resolve)),
    })
    clients.push(auth)
    // Already expired: a refresh starts at once and hangs until the test ends it.
    auth.setTokens({
      accessToken: createTestToken({ sub: 'alice', iat: undefined, exp: Math.floor(Date.now() / 1000) - 10 }),
      refreshToken: 'r',
    })
    const sent: unknown[] = []
    const adapter = async (config: InternalAxiosRequestConfig) => {
      sent.push(config.headers.get('Authorization') ?? null)
      return { data: 'ok', status: 200, statusText: 'OK', headers: {}, config }
    }
    const api = axios.create({ baseURL: API, adapter })
    attachAuth(api, auth, { origins: [API] })
    const answer = api
      .get('/report', { auth: { username: 'client', password: 'secret' } })
      .then((r) => r.status)
    const outcome = await Promise.race([
      answer,
      new Promise((resolve) => setTimeout(() => resolve('hung'), 200)),
    ])
    finish({ accessToken: createTestToken({ sub: 'alice' }) })
    await answer
    expect(outcome).toBe(200)
    expect(sent).toEqual([null])
  })

  // Mutants: a rejected wait for the token let the request go bare (whenever it had a signal, or always).
  it('rejects a request on a destroyed client, with a signal or without, and sends nothing', async () => {
    const { auth } = client()
    const api = axios.create({ baseURL: API })
    attachAuth(api, auth, { origins: [API] })
    auth.destroy()
    expect(await api.get('/me').catch((e: unknown) => e)).toMatchObject({ code: 'destroyed' })
    const signal = new AbortController().signal
    expect(await api.get('/me', { signal }).catch((e: unknown) => e)).toMatchObject({ code: 'destroyed' })
    expect(seen).toEqual([])
  })

  // Mutant: replay() ignored the Authorization header the 401's config carried. In Node the http
  // adapter's own request tells (getHeader); axios's fetch adapter has nothing else to tell by.
  it("fetch adapter: a 401 to a request an interceptor gave the app's own Authorization costs no refresh", async () => {
    const { auth, refresh } = client()
    const api = axios.create({ baseURL: API, adapter: 'fetch' })
    // Added first, so it runs after attachAuth's.
    api.interceptors.request.use((config) => {
      if (config.url === '/admin') config.headers.set('Authorization', 'Basic dXNlcjpwYXNz')
      return config
    })
    attachAuth(api, auth, { origins: [API] })
    const error = await api.get('/admin').catch((e: AxiosError) => e)
    expect((error as AxiosError).response?.status).toBe(401)
    expect(seen.map((s) => s.authorization)).toEqual(['Basic dXNlcjpwYXNz'])
    expect(refresh).not.toHaveBeenCalled()
  })

  // Mutant: replay() ignored an XHR's responseURL. A browser drops Authorization on a redirect to
  // another origin, so that origin's 401 says nothing about the token.
  it("xhr: a 401 whose responseURL is another origin's (a redirect) costs no refresh and no replay", async () => {
    const { auth, refresh } = client()
    const sent: unknown[] = []
    const adapter = async (config: InternalAxiosRequestConfig) => {
      sent.push(config.headers.get('Authorization'))
      // What axios's xhr adapter reports after the browser followed a redirect to OTHER.
      const response = {
        data: null,
        status: 401,
        statusText: '',
        headers: {},
        config,
        request: { responseURL: `${OTHER}/login` },
      }
      throw new AxiosError('401', AxiosError.ERR_BAD_REQUEST, config, response.request, response as never)
    }
    const api = axios.create({ baseURL: API, adapter })
    attachAuth(api, auth, { origins: [API] })
    const error = await api.get('/me').catch((e: AxiosError) => e)
    expect((error as AxiosError).response?.status).toBe(401)
    expect(sent).toEqual([`Bearer ${auth.getState().accessToken}`])
    expect(refresh).not.toHaveBeenCalled()
  })
})

describe('attachAuth and plain headers (mutation review)', () => {
  // Mutant: onRequest kept the plain headers an interceptor that ran before it left behind.
  it('hands the interceptors that run after it an AxiosHeaders, also when one before it left plain headers', async () => {
    const { auth } = client()
    const api = axios.create({ baseURL: API })
    // Added first, so it runs last: it uses the AxiosHeaders API.
    api.interceptors.request.use((config) => {
      config.headers.set('X-Trace', 't')
      return config
    })
    attachAuth(api, auth, { origins: [API] })
    // Added last, so it runs first: it leaves a plain object.
    api.interceptors.request.use((config) => {
      config.headers = { ...config.headers.toJSON() } as never
      return config
    })
    expect((await api.get('/me')).status).toBe(200)
    expect(seen.map((s) => s.authorization)).toEqual([`Bearer ${auth.getState().accessToken}`])
  })
})

describe('attachAuth and abort (mutation review)', () => {
  // Mutant: the wait for the refresh after a 401 ignored the signal: the request was canceled only once
  // the refresh had ended (never, with a refresh that hangs until its timeout).
  it('cancels a request whose signal aborts during the refresh after its 401 at once, not when the refresh ends', async () => {
    let finish!: (tokens: { accessToken: string }) => void
    const auth = createAuthClient({
      syncTabs: false,
      refresh: () => new Promise<{ accessToken: string }>((resolve) => (finish = resolve)),
    })
    clients.push(auth)
    auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'r' })
    const api = axios.create({ baseURL: API })
    attachAuth(api, auth, { origins: [API] })
    const controller = new AbortController()
    const outcome = api.get('/me', { signal: controller.signal }).catch((e: unknown) => e)
    await vi.waitUntil(() => auth.getState().isRefreshing, { interval: 1 })
    controller.abort()
    const settled = await Promise.race([
      outcome,
      new Promise((resolve) => setTimeout(() => resolve('hung'), 200)),
    ])
    const accessToken = createTestToken({ sub: 'alice', n: 1 })
    valid.add(accessToken)
    finish({ accessToken })
    await outcome
    expect(axios.isCancel(settled)).toBe(true)
    expect(seen).toHaveLength(1)
  })
})
