/** @typedef {import('node:http').IncomingMessage} Req */
/** @typedef {import('node:http').ServerResponse} Res */

/** An error that becomes a JSON response `{ error, error_description }`. */
export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} description
   * @param {Record<string, string>} [headers]
   */
  constructor(status, code, description, headers = {}) {
    super(description)
    this.status = status
    this.code = code
    this.headers = headers
  }
}

const MAX_BODY = 16 * 1024

/**
 * Reads a JSON or form-encoded body (RFC 6749 token requests are form-encoded) into a record.
 * @param {Req} req
 * @returns {Promise<Record<string, unknown>>}
 */
export async function readBody(req) {
  let text = ''
  for await (const chunk of req) {
    text += chunk
    if (text.length > MAX_BODY) throw new HttpError(413, 'invalid_request', 'Request body too large')
  }
  if (!text) return {}
  if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text))
  }
  try {
    const value = JSON.parse(text)
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value
  } catch {}
  throw new HttpError(400, 'invalid_request', 'Body must be a JSON object or form-encoded')
}

/**
 * @param {Res} res
 * @param {number} status
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 */
export function sendJson(res, status, body, headers = {}) {
  // Token responses must not be cached (RFC 6749 §5.1); nothing here should be.
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers })
  res.end(JSON.stringify(body))
}

/** @param {string | undefined} header */
export function parseCookies(header) {
  /** @type {Map<string, string>} */
  const cookies = new Map()
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0) cookies.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()))
  }
  return cookies
}

/**
 * @param {string} name
 * @param {string} value
 * @param {{ maxAge: number, path: string, secure: boolean }} options
 */
export const serializeCookie = (name, value, { maxAge, path, secure }) =>
  `${name}=${encodeURIComponent(value)}; Max-Age=${maxAge}; Path=${path}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`

/** True when the client reached us over https, directly or through a proxy that says so. @param {Req} req */
export const isHttps = (req) =>
  /** @type {{ encrypted?: boolean }} */ (req.socket).encrypted === true ||
  req.headers['x-forwarded-proto'] === 'https'

/**
 * Adds CORS headers for the one allowed origin. Other origins get none, so browsers block them.
 * @param {Req} req
 * @param {Res} res
 * @param {string} allowedOrigin
 */
export function applyCors(req, res, allowedOrigin) {
  res.setHeader('Vary', 'Origin')
  if (req.headers.origin !== allowedOrigin) return
  res.setHeader('Access-Control-Allow-Origin', allowedOrigin)
  res.setHeader('Access-Control-Allow-Credentials', 'true')
  res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate')
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS')
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Refresh-Mode')
    res.setHeader('Access-Control-Max-Age', '600')
  }
}
