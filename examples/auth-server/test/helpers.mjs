import { afterEach } from 'vitest'
import { createAuthServer } from '../src/index.mjs'

/** @type {{ close(): Promise<void> }[]} */
const running = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})

/**
 * Starts a quiet server on a free port of 127.0.0.1; it is closed after the test.
 * @param {import('../src/index.mjs').AuthServerOptions} [options]
 */
export async function start(options = {}) {
  const server = createAuthServer({ quiet: true, ...options })
  running.push(server)
  const { url } = await server.listen(0, '127.0.0.1')

  /** @param {string} path @param {unknown} body @param {Record<string, string>} [headers] */
  const post = (path, body, headers = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })

  /** @param {string} path @param {string} [token] @param {Record<string, string>} [headers] */
  const get = (path, token, headers = {}) =>
    fetch(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}`, ...headers } : headers })

  /** @param {string} [username] @param {string} [password] */
  async function login(username = 'alice', password = 'wonderland') {
    const res = await post('/auth/login', { username, password })
    if (res.status !== 200) throw new Error(`login failed with ${res.status}`)
    return /** @type {TokenBody} */ (await res.json())
  }

  /** @param {string} refreshToken */
  const refresh = (refreshToken) => post('/auth/refresh', { refresh_token: refreshToken })

  return { server, url, post, get, login, refresh }
}

/** @typedef {{ access_token: string, refresh_token: string, expires_in: number, token_type: string }} TokenBody */

/** Decodes a JWT payload for assertions (no verification). @param {string} token */
export function claimsOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
}
