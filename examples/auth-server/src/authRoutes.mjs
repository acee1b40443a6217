import { HttpError, isHttps, parseCookies, readBody, sendJson, serializeCookie } from './http.mjs'
import { authenticate, findUser } from './users.mjs'

/** @typedef {import('./http.mjs').Req} Req */
/** @typedef {import('./http.mjs').Res} Res */
/** @typedef {import('./refreshTokens.mjs').TokenSet} TokenSet */
/** @typedef {import('./createAuthServer.mjs').ServerContext} ServerContext */

export const REFRESH_COOKIE = 'lk_refresh'
const COOKIE_PATH = '/auth'

/**
 * `POST /auth/login`, `POST /auth/refresh` (alias `POST /oauth/token`) and `POST /auth/logout`.
 * @param {ServerContext} ctx
 */
export function createAuthRoutes(ctx) {
  const { config, stats, refreshTokens } = ctx

  /** @param {Req} req @param {URL} url */
  const cookieMode = (req, url) =>
    config.cookieMode ||
    url.searchParams.get('mode') === 'cookie' ||
    req.headers['x-refresh-mode'] === 'cookie'

  /** @param {Req} req @param {string} value @param {number} maxAge */
  const cookie = (req, value, maxAge) =>
    serializeCookie(REFRESH_COOKIE, value, { maxAge, path: COOKIE_PATH, secure: isHttps(req) })

  /**
   * Sends a token set; in cookie mode the refresh token goes into the HttpOnly cookie instead of the body.
   * @param {Req} req @param {Res} res @param {URL} url @param {TokenSet} tokens
   */
  function sendTokens(req, res, url, tokens) {
    if (!cookieMode(req, url)) return sendJson(res, 200, tokens)
    const { refresh_token, ...body } = tokens
    sendJson(res, 200, body, { 'Set-Cookie': cookie(req, refresh_token, config.refreshTtl) })
  }

  /** @param {string} username @param {string} refreshToken @returns {Promise<TokenSet>} */
  async function makeSet(username, refreshToken) {
    const user = findUser(config.users, username)
    if (!user) throw new HttpError(401, 'invalid_grant', 'The user no longer exists')
    const signer = await ctx.signer
    const accessToken = await signer.sign(user)
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_in: config.accessTtl,
      token_type: 'Bearer',
    }
  }

  /** @param {Req} req @param {Res} res @param {URL} url */
  async function login(req, res, url) {
    const { username, password } = await readBody(req)
    const user = authenticate(config.users, username, password)
    if (!user) throw new HttpError(401, 'invalid_credentials', 'Wrong username or password')
    const tokens = await makeSet(user.username, refreshTokens.issue(user.username))
    stats.logins++
    sendTokens(req, res, url, tokens)
  }

  /** @param {Req} req @param {Res} res @param {URL} url */
  async function refresh(req, res, url) {
    const body = await readBody(req)
    if (body.grant_type !== undefined && body.grant_type !== 'refresh_token') {
      throw new HttpError(400, 'unsupported_grant_type', 'Only grant_type=refresh_token is supported here')
    }
    const token =
      typeof body.refresh_token === 'string' && body.refresh_token
        ? body.refresh_token
        : parseCookies(req.headers.cookie).get(REFRESH_COOKIE)
    if (!token) throw new HttpError(400, 'invalid_request', 'refresh_token is required')

    const outcome = await refreshTokens.rotate(token, makeSet)
    if (!outcome.ok) {
      if (outcome.reason === 'reused') stats.refreshReuseDetected++
      const clear = cookieMode(req, url) ? { 'Set-Cookie': cookie(req, '', 0) } : {}
      throw new HttpError(401, 'invalid_grant', `The refresh token is ${outcome.reason}`, clear)
    }
    if (outcome.replay) stats.graceReplays++
    else stats.refreshes++
    // Test-only (`refreshDelay`): the token is spent but its successor not yet delivered, so a test can
    // close the tab in that gap (the "orphaned refresh" hazard).
    if (config.refreshDelay > 0) await new Promise((resolve) => setTimeout(resolve, config.refreshDelay))
    sendTokens(req, res, url, outcome.tokens)
  }

  /** @param {Req} req @param {Res} res */
  async function logout(req, res) {
    const body = await readBody(req)
    const token = typeof body.refresh_token === 'string' ? body.refresh_token : undefined
    const fromCookie = parseCookies(req.headers.cookie).get(REFRESH_COOKIE)
    for (const t of [token, fromCookie]) if (t) refreshTokens.revoke(t)
    // Logout always succeeds and always clears the cookie: there is nothing useful to report.
    res.writeHead(204, { 'Set-Cookie': cookie(req, '', 0), 'Cache-Control': 'no-store' })
    res.end()
  }

  return {
    'POST /auth/login': login,
    'POST /auth/refresh': refresh,
    'POST /oauth/token': refresh,
    'POST /auth/logout': logout,
  }
}
