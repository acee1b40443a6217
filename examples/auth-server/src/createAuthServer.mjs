import { createServer } from 'node:http'
import { createApiRoutes } from './apiRoutes.mjs'
import { createAuthRoutes } from './authRoutes.mjs'
import { applyCors, HttpError, sendJson } from './http.mjs'
import { createRefreshTokens } from './refreshTokens.mjs'
import { checkSetting } from './settings.mjs'
import { createTokenSigner } from './tokens.mjs'
import { DEMO_USERS } from './users.mjs'

/**
 * @typedef {object} AuthServerOptions
 * @property {number} [accessTtl] access token lifetime in seconds (default 30)
 * @property {number} [refreshTtl] refresh token lifetime in seconds (default 7 days)
 * @property {'RS256' | 'HS256'} [alg] signing algorithm (default RS256, with a key pair made at start)
 * @property {string | Uint8Array | undefined} [secret] the HS256 secret (default: 32 random bytes)
 * @property {string} [corsOrigin] the one app origin allowed by CORS (default http://127.0.0.1:5173)
 * @property {number} [grace] seconds during which a just-rotated refresh token replays its result (default 5)
 * @property {boolean} [cookieMode] always keep the refresh token in the HttpOnly cookie (default false)
 * @property {number} [refreshDelay] test-only: ms a successful refresh waits after rotating, before it answers (default 0)
 * @property {string} [issuer] the `iss` claim (default 'latchkey-example-auth-server')
 * @property {string} [audience] the `aud` claim (default 'latchkey-example-app')
 * @property {readonly import('./users.mjs').DemoUser[]} [users] the accounts (default alice and bob)
 * @property {() => number} [now] the clock in ms, for tests (default Date.now)
 * @property {boolean} [quiet] no request log (default false)
 * @property {(line: string) => void} [log] where request log lines go (default console.log)
 */

/**
 * @typedef {{ logins: number, refreshes: number, refreshReuseDetected: number, graceReplays: number,
 *   apiCalls: number, api401: number }} AuthServerStats
 * @typedef {Required<Omit<AuthServerOptions, 'secret'>> & { secret: string | Uint8Array | undefined }} Config
 * @typedef {{ config: Config, stats: AuthServerStats,
 *   signer: ReturnType<typeof createTokenSigner>, refreshTokens: ReturnType<typeof createRefreshTokens> }} ServerContext
 * @typedef {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, url: URL) => Promise<void>} Route
 */

/** @param {AuthServerOptions} options @returns {Config} */
function resolveConfig(options) {
  const config = {
    accessTtl: 30,
    refreshTtl: 7 * 86_400,
    alg: /** @type {const} */ ('RS256'),
    secret: undefined,
    corsOrigin: 'http://127.0.0.1:5173',
    grace: 5,
    cookieMode: false,
    refreshDelay: 0,
    issuer: 'latchkey-example-auth-server',
    audience: 'latchkey-example-app',
    users: DEMO_USERS,
    now: () => Date.now(),
    quiet: false,
    log: (/** @type {string} */ line) => console.log(line),
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  }
  if (config.alg !== 'RS256' && config.alg !== 'HS256') throw new TypeError('alg must be RS256 or HS256')
  for (const key of /** @type {const} */ (['accessTtl', 'refreshTtl', 'grace', 'refreshDelay'])) {
    const problem = checkSetting(key, config[key])
    if (problem) throw new TypeError(problem)
  }
  return config
}

/**
 * Creates the demo auth server (not listening yet).
 *
 * @example
 * ```js
 * const server = createAuthServer({ accessTtl: 5, quiet: true })
 * const { url } = await server.listen(0, '127.0.0.1')
 * await fetch(`${url}/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'wonderland' }) })
 * await server.close()
 * ```
 * @param {AuthServerOptions} [options]
 */
export function createAuthServer(options = {}) {
  const config = resolveConfig(options)
  /** @type {AuthServerStats} */
  const stats = { logins: 0, refreshes: 0, refreshReuseDetected: 0, graceReplays: 0, apiCalls: 0, api401: 0 }
  const signer = createTokenSigner(config)
  // listen() reports a failure to make keys; this only stops an unhandled rejection before that.
  signer.catch(() => {})
  /** @type {ServerContext} */
  const ctx = { config, stats, signer, refreshTokens: createRefreshTokens(config) }
  /** @type {Record<string, Route>} */
  const routes = { ...createAuthRoutes(ctx), ...createApiRoutes(ctx) }

  const server = createServer(async (req, res) => {
    const started = performance.now()
    const url = new URL(req.url ?? '/', 'http://localhost')
    // The path only: a query string could carry a token, and the log never does.
    if (!config.quiet) {
      res.on('finish', () => {
        config.log(
          `${req.method} ${url.pathname} ${res.statusCode} ${Math.round(performance.now() - started)}ms`,
        )
      })
    }
    try {
      applyCors(req, res, config.corsOrigin)
      if (req.method === 'OPTIONS') {
        res.writeHead(204).end()
        return
      }
      const route = routes[`${req.method} ${url.pathname}`]
      if (route) return await route(req, res, url)
      const allowed = Object.keys(routes).filter((key) => key.endsWith(` ${url.pathname}`))
      if (allowed.length === 0) throw new HttpError(404, 'not_found', `No route for ${url.pathname}`)
      const methods = allowed.map((key) => key.split(' ')[0]).join(', ')
      throw new HttpError(405, 'method_not_allowed', `Use ${methods}`, { Allow: methods })
    } catch (error) {
      if (res.headersSent) return void res.destroy()
      if (error instanceof HttpError) {
        return sendJson(
          res,
          error.status,
          { error: error.code, error_description: error.message },
          error.headers,
        )
      }
      console.error('auth-server: unexpected error', error)
      sendJson(res, 500, { error: 'server_error', error_description: 'Unexpected error' })
    }
  })

  /** @type {string | null} */
  let url = null

  return {
    /** Live counters; `POST /__reset` zeroes them. Test-only. */
    stats,
    /** The base URL once listening, else null. */
    get url() {
      return url
    },
    /**
     * Starts listening; rejects with the `listen` error (`code: 'EADDRINUSE'` for a busy port).
     * @param {number} [port] 0 picks a free port
     * @param {string} [host]
     * @returns {Promise<{ url: string, port: number }>}
     */
    async listen(port = 4000, host = '127.0.0.1') {
      await signer
      return new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          const address = /** @type {import('node:net').AddressInfo} */ (server.address())
          url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
          resolve({ url, port: address.port })
        })
      })
    },
    /**
     * Stops listening and drops open connections (keep-alive ones too).
     * @returns {Promise<void>}
     */
    close() {
      return new Promise((resolve, reject) => {
        if (!server.listening) return resolve()
        url = null
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
    },
  }
}
