import { HttpError, readBody, sendJson } from './http.mjs'
import { checkSetting } from './settings.mjs'

/** @typedef {import('./http.mjs').Req} Req */
/** @typedef {import('./http.mjs').Res} Res */
/** @typedef {import('./createAuthServer.mjs').ServerContext} ServerContext */
/** @typedef {import('jose').JWTPayload & { roles?: unknown }} Claims */

/** The settings `POST /__config` may change while the server runs. */
const LIVE_SETTINGS = /** @type {const} */ (['accessTtl', 'grace', 'refreshDelay'])

/**
 * The protected API (`/api/*`), the JWKS and the test-only `/__stats`, `/__reset` and `/__config`.
 * @param {ServerContext} ctx
 */
export function createApiRoutes(ctx) {
  const { stats } = ctx

  /**
   * Verifies the Bearer token. RFC 6750 §3.1: no credentials get a bare `Bearer` challenge, bad
   * ones `error="invalid_token"`.
   * @param {Req} req
   * @returns {Promise<Claims>}
   */
  async function authorize(req) {
    const match = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '')
    if (!match?.[1])
      throw new HttpError(401, 'unauthorized', 'A Bearer token is required', { 'WWW-Authenticate': 'Bearer' })
    try {
      return await (await ctx.signer).verify(match[1])
    } catch {
      throw new HttpError(401, 'invalid_token', 'The access token is invalid or expired', {
        'WWW-Authenticate': 'Bearer error="invalid_token"',
      })
    }
  }

  /**
   * Wraps an API handler: counts the call, checks the token and counts 401s.
   * @param {(res: Res, claims: Claims) => void} handler
   * @returns {(req: Req, res: Res) => Promise<void>}
   */
  const api = (handler) => async (req, res) => {
    stats.apiCalls++
    let claims
    try {
      claims = await authorize(req)
    } catch (error) {
      stats.api401++
      throw error
    }
    handler(res, claims)
  }

  return {
    'GET /api/me': api((res, claims) => sendJson(res, 200, claims)),

    'GET /api/data': api((res, claims) =>
      sendJson(res, 200, {
        serverTime: new Date(ctx.config.now()).toISOString(),
        user: claims.sub,
        items: [
          { id: 1, title: 'Refresh tokens rotate on every use' },
          { id: 2, title: 'Access tokens live for a few seconds here' },
        ],
      }),
    ),

    'GET /api/admin': api((res, claims) => {
      const roles = Array.isArray(claims.roles) ? claims.roles : []
      if (!roles.includes('admin')) return sendJson(res, 403, { error: 'forbidden' })
      sendJson(res, 200, { secret: 'the admin area', user: claims.sub })
    }),

    /** @param {Req} _req @param {Res} res */
    'GET /.well-known/jwks.json': async (_req, res) => {
      const jwks = (await ctx.signer).jwks()
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' })
      res.end(JSON.stringify(jwks))
    },

    // Test-only: lets other packages' end-to-end tests count what the server saw.
    /** @param {Req} _req @param {Res} res */
    'GET /__stats': async (_req, res) => sendJson(res, 200, stats),

    /** @param {Req} _req @param {Res} res */
    'POST /__reset': async (_req, res) => {
      for (const key of /** @type {(keyof typeof stats)[]} */ (Object.keys(stats))) stats[key] = 0
      sendJson(res, 200, stats)
    },

    /**
     * Test-only: changes `accessTtl`, `grace` and `refreshDelay` for the requests that follow (one
     * server serves a whole browser suite), and answers the values now in force. All or nothing.
     * @param {Req} req @param {Res} res
     */
    'POST /__config': async (req, res) => {
      const body = await readBody(req)
      const unknown = Object.keys(body).filter(
        (k) => !(/** @type {readonly string[]} */ (LIVE_SETTINGS).includes(k)),
      )
      if (unknown.length)
        throw new HttpError(400, 'invalid_request', `Unknown setting: ${unknown.join(', ')}`)
      for (const key of LIVE_SETTINGS) {
        const problem = key in body ? checkSetting(key, body[key]) : null
        if (problem) throw new HttpError(400, 'invalid_request', problem)
      }
      for (const key of LIVE_SETTINGS) if (key in body) ctx.config[key] = /** @type {number} */ (body[key])
      sendJson(res, 200, Object.fromEntries(LIVE_SETTINGS.map((key) => [key, ctx.config[key]])))
    },
  }
}
