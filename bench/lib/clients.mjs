// Each client wired as its README shows, so the storms and the overhead runs measure what users
// would write. Node has no localStorage: a Map-backed stand-in takes its place where a README uses it.
import { attachAuth } from '@latchkey/axios'
import { createAuthClient, createAuthFetch, oauth2Refresh } from '@latchkey/core'
import axios from 'axios'
import { createAuthRefresh } from 'axios-auth-refresh'
import { applyAuthTokenInterceptor, setAuthTokens } from 'axios-jwt'

/** The parts of `localStorage` the READMEs use. */
function memoryStorage() {
  const map = new Map()
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => map.set(key, String(value)),
    removeItem: (key) => map.delete(key),
  }
}

/** A `TokenStorage` kept in a Map (where an app would use localStorage or IndexedDB). */
function mapStorage() {
  const map = new Map()
  return {
    get: (key) => map.get(key) ?? null,
    set: (key, value) => void map.set(key, value),
    remove: (key) => void map.delete(key),
  }
}

const claimsOf = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())

/**
 * A latchkey client as the core README shows it: tokens in memory, the RFC 6749 refresh preset.
 * A session whose token has already expired is restored from storage written when the token was
 * issued, as after a page reload: `setTokens` takes a token as freshly issued (it measures clock
 * skew from `iat`), so an expired token handed straight to it looks valid until the API says 401.
 */
export function latchkeyClient({ base, session }) {
  const refresh = oauth2Refresh({ tokenEndpoint: `${base}/oauth/token`, clientId: 'bench' })
  const { iat, exp } = claimsOf(session.accessToken)
  if (exp * 1000 > Date.now()) {
    const auth = createAuthClient({ refresh })
    auth.setTokens(session)
    return auth
  }
  const storage = mapStorage()
  const earlier = createAuthClient({ storage, now: () => iat * 1000 })
  earlier.setTokens(session)
  earlier.destroy()
  return createAuthClient({ storage, refresh })
}

/**
 * Factories: `({ base, session, axiosConfig?, fetch? })` → `send(path)`, which resolves a fetch
 * `Response` (kind 'fetch') or an axios response, rejecting on an HTTP error (kind 'axios').
 */
export const clients = {
  'latchkey fetch': {
    kind: 'fetch',
    create({ base, session, fetch }) {
      const api = createAuthFetch(latchkeyClient({ base, session }), { origins: [base], fetch })
      return (path, init) => api(`${base}${path}`, init)
    },
  },
  'latchkey axios': {
    kind: 'axios',
    create({ base, session, axiosConfig }) {
      const api = axios.create({ baseURL: base, ...axiosConfig })
      attachAuth(api, latchkeyClient({ base, session }), { origins: [base] })
      return (path) => api.get(path)
    },
  },
  'axios-jwt': {
    kind: 'axios',
    async create({ base, session, axiosConfig }) {
      const api = axios.create({ baseURL: base, ...axiosConfig })
      // Not the instance the interceptor is on, as its README insists.
      const requestRefresh = async (refreshToken) => {
        const response = await axios.post(`${base}/oauth/token`, { token: refreshToken })
        return response.data.access_token
      }
      const local = memoryStorage()
      const getStorage = () => ({
        get: async (key) => local.getItem(key),
        set: async (key, value) => local.setItem(key, value),
        remove: async (key) => local.removeItem(key),
      })
      applyAuthTokenInterceptor(api, { requestRefresh, getStorage })
      await setAuthTokens(session)
      return (path) => api.get(path)
    },
  },
  'axios-auth-refresh': { kind: 'axios', create: (args) => axiosAuthRefresh(args) },
  // The README's other setting for concurrent requests. It says that, disabled, every failed request
  // refreshes on its own and refresh calls must carry `skipAuthRefresh`; the code (5.0.2) still
  // hands a refresh that is running to every 401 that comes in meanwhile, and replays them all.
  'axios-auth-refresh, deduplicateRefresh: false': {
    kind: 'axios',
    create: (args) => axiosAuthRefresh(args, { deduplicateRefresh: false }, { skipAuthRefresh: true }),
  },
}

/**
 * axios-auth-refresh as its README shows it: `createAuthRefresh` with a refresh on the global axios
 * that stores the token and sets it on the failed request, and a request interceptor that reads the
 * stored token for every request (so requests it stalled go out with the new one).
 */
function axiosAuthRefresh({ base, session, axiosConfig }, options, refreshConfig) {
  const api = axios.create({ baseURL: base, ...axiosConfig })
  const local = memoryStorage()
  local.setItem('token', session.accessToken)
  const refreshAuthLogic = (failedRequest) =>
    axios
      .post(`${base}/oauth/token`, { refresh_token: session.refreshToken }, refreshConfig)
      .then((response) => {
        local.setItem('token', response.data.access_token)
        failedRequest.response.config.headers.Authorization = `Bearer ${response.data.access_token}`
      })
  createAuthRefresh(api, refreshAuthLogic, options)
  api.interceptors.request.use((request) => {
    request.headers.Authorization = `Bearer ${local.getItem('token')}`
    return request
  })
  return (path) => api.get(path)
}
