#!/usr/bin/env node
// Logs in against the example auth server, calls the API in a loop and prints a timeline of
// latchkey events. The token itself is never printed.
//   node examples/node-cli/src/main.mjs [--url http://127.0.0.1:4000] [--seconds 60] [--user alice]
import { parseArgs } from 'node:util'
import { createAuthClient, createAuthFetch } from '@latchkey/core'

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.AUTH_URL ?? 'http://127.0.0.1:4000' },
    seconds: { type: 'string', default: '60' },
    user: { type: 'string', default: 'alice' },
    password: { type: 'string', default: 'wonderland' },
    interval: { type: 'string', default: '2000' },
  },
})
const base = values.url.replace(/\/$/, '')
const started = Date.now()
const log = (what) => console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s  ${what}`)

async function post(path, body) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  const data = await res.json().catch(() => ({}))
  if (!res.ok)
    // The HTTP status wins over a `status` field in the body (`{"status":"error"}` would hide a 401).
    throw Object.assign(new Error(`${path} answered ${res.status}`), { ...data, status: res.status })
  return { accessToken: data.access_token, refreshToken: data.refresh_token, expiresIn: data.expires_in }
}

const auth = createAuthClient({
  login: (credentials) => post('/auth/login', credentials),
  refresh: ({ refreshToken }) => post('/auth/refresh', { refresh_token: refreshToken }),
  logout: ({ refreshToken }) => post('/auth/logout', { refresh_token: refreshToken }).then(() => {}),
  refreshLeeway: 10,
})
const api = createAuthFetch(auth, { origins: [base] })

const expiresIn = () => {
  const { expiresAt } = auth.getState()
  return expiresAt === null ? 'never' : `${Math.round((expiresAt - Date.now()) / 1000)}s`
}
auth.on('login', (s) => log(`login      sub=${s.claims?.sub} expires in ${expiresIn()}`))
auth.on('refresh', () => log(`refresh    new token, expires in ${expiresIn()}`))
auth.on('refreshError', (e) =>
  log(`refreshErr ${e.error.code} attempt ${e.attempt}${e.willRetry ? ', will retry' : ''}`),
)
auth.on('expired', () => log('expired'))
auth.on('logout', (e) => log(`logout     ${e.reason}`))
auth.on('error', (e) => log(`error      ${e.code}`))

try {
  await auth.login({ username: values.user, password: values.password })
} catch (error) {
  // An answer says the server runs; only no answer at all is worth asking about. A 200 without tokens
  // (another server at --url, say) is an answer too: latchkey refuses what it gave (`invalid_token`).
  const status = error.cause?.status
  console.error(
    status !== undefined
      ? `login failed: ${base}/auth/login answered ${status}${status === 401 ? ' (wrong --user or --password?)' : ''}`
      : error.code === 'login_failed'
        ? `login failed: cannot reach the auth server at ${base}; is it running?`
        : `login failed: ${base}/auth/login answered without tokens; is --url the auth server?`,
  )
  process.exit(1)
}

const until = started + Number(values.seconds) * 1000
let calls = 0
while (Date.now() < until && auth.getState().status !== 'unauthenticated') {
  const res = await api(`${base}/api/data`)
  calls++
  log(`GET /api/data → ${res.status}`)
  await new Promise((r) => setTimeout(r, Number(values.interval)))
}
await auth.logout()
log(`done: ${calls} API calls`)
auth.destroy()
