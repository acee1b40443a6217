// The storm server: a real node:http API and OAuth token endpoint on 127.0.0.1 (port 0) that signs
// HS256 tokens, counts refresh calls and the peak of concurrent ones. Run with `fork()`; it sends
// `{ port }` once listening, and exits when its parent goes away or after two minutes at most.
import { createServer } from 'node:http'
import { sign, verify } from './tokens.mjs'

/**
 * `session`: the access token handed out at start ('expired', or 'revoked': unexpired but refused).
 * `refreshDelay` ms before the token endpoint answers; `refreshStatus` to refuse refreshes;
 * `apiJitter`: API responses are delayed by a random 0…apiJitter ms.
 */
const config = JSON.parse(process.argv[2] ?? '{}')
const REFRESH_TOKEN = 'rt-alice'
const revoked = new Set()
const stats = { refreshCalls: 0, refreshPeak: 0, apiCalls: 0, api401: 0 }
let refreshing = 0

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

function readBody(req) {
  return new Promise((resolve) => {
    let data = ''
    req.on('data', (d) => (data += d))
    req.on('end', () => resolve(data))
  })
}

/** The refresh token from a form (RFC 6749) or a JSON body, whatever the client sends. */
function refreshTokenOf(body) {
  if (body.startsWith('{')) {
    const json = JSON.parse(body)
    return json.refresh_token ?? json.refreshToken ?? json.token ?? json.refresh
  }
  return new URLSearchParams(body).get('refresh_token')
}

async function refresh(req, res) {
  stats.refreshCalls++
  stats.refreshPeak = Math.max(stats.refreshPeak, ++refreshing)
  try {
    const given = refreshTokenOf(await readBody(req))
    await sleep(config.refreshDelay ?? 0)
    if (config.refreshStatus) return send(res, config.refreshStatus, { error: 'invalid_client' })
    if (given !== REFRESH_TOKEN) return send(res, 400, { error: 'invalid_grant' })
    send(res, 200, {
      access_token: sign(),
      refresh_token: REFRESH_TOKEN,
      token_type: 'Bearer',
      expires_in: 900,
    })
  } finally {
    refreshing--
  }
}

async function api(req, res) {
  stats.apiCalls++
  const token = req.headers.authorization?.replace(/^Bearer /, '') ?? ''
  const ok = !revoked.has(token) && verify(token) !== null
  if (config.apiJitter) await sleep(Math.random() * config.apiJitter)
  if (!ok) {
    stats.api401++
    res.setHeader('www-authenticate', 'Bearer error="invalid_token"')
    return send(res, 401, { error: 'invalid_token' })
  }
  send(res, 200, { ok: true })
}

/** Control: the session the client starts with, not counted. */
function session(res) {
  const now = Math.floor(Date.now() / 1000)
  const accessToken = config.session === 'expired' ? sign({ iat: now - 1000, ttl: 900 }) : sign()
  if (config.session === 'revoked') revoked.add(accessToken)
  send(res, 200, { accessToken, refreshToken: REFRESH_TOKEN })
}

const server = createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://127.0.0.1')
  if (req.method === 'POST' && pathname === '/oauth/token') return void refresh(req, res)
  if (pathname.startsWith('/api/')) return void api(req, res)
  if (pathname === '/__session') return session(res)
  if (pathname === '/__stats') return send(res, 200, stats)
  send(res, 404, { error: 'not_found' })
})

server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  process.send?.({ port: server.address().port })
})
process.on('disconnect', () => process.exit(0))
setTimeout(() => process.exit(0), 120_000).unref()
