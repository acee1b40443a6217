import { createHash, randomBytes } from 'node:crypto'
import type { TestProvider } from './provider'

/** The token endpoint's answer to the authorization-code grant (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string
  refresh_token?: string
  id_token?: string
  expires_in: number
  scope: string
  token_type: string
}

interface Cookie {
  name: string
  value: string
  path: string
}

/** Just enough of a browser's cookie jar for one host: names, paths, and deletion by expiry. */
function createCookieJar() {
  let cookies: Cookie[] = []
  return {
    header(url: URL): string {
      return cookies
        .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.replace(/\/?$/, '/')))
        .map((c) => `${c.name}=${c.value}`)
        .join('; ')
    },
    store(response: Response, url: URL): void {
      for (const line of response.headers.getSetCookie()) {
        const [pair = '', ...attributes] = line.split(';').map((s) => s.trim())
        const eq = pair.indexOf('=')
        const name = pair.slice(0, eq)
        const value = pair.slice(eq + 1)
        const attr = (key: string) =>
          attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1)
        const path = attr('path') ?? (url.pathname.replace(/\/[^/]*$/, '') || '/')
        const expires = attr('expires')
        const gone =
          !value || (expires !== undefined && Date.parse(expires) <= Date.now()) || attr('max-age') === '0'
        cookies = cookies.filter((c) => c.name !== name || c.path !== path)
        if (!gone) cookies.push({ name, value, path })
      }
    },
  }
}

const base64url = (bytes: Buffer) => bytes.toString('base64url')

/** The first `<form>` of a page, with its inputs filled in the way a user would. */
function readForm(html: string, base: URL, login: string): { action: URL; body: URLSearchParams } {
  const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html)
  if (!form) throw new Error(`no form on the interaction page:\n${html.slice(0, 500)}`)
  const body = new URLSearchParams()
  for (const [input] of form[2]!.matchAll(/<input[^>]*>/gi)) {
    const name = /name="([^"]*)"/.exec(input)?.[1]
    if (!name) continue
    const value = /value="([^"]*)"/.exec(input)?.[1]
    body.set(name, name === 'login' ? login : name === 'password' ? 'any password' : (value ?? ''))
  }
  return { action: new URL(form[1]!, base), body }
}

/**
 * Runs the authorization-code flow with PKCE (S256) the way a browser would: follows redirects by hand,
 * keeps the provider's cookies, submits the development login and consent forms, then exchanges the
 * code at the token endpoint. Requests `offline_access` with `prompt=consent`, which OpenID Connect
 * requires before a refresh token is issued.
 */
export async function authorize(provider: TestProvider, login = 'alice'): Promise<TokenResponse> {
  const verifier = base64url(randomBytes(32))
  const state = base64url(randomBytes(16))
  const start = new URL(provider.authorizationEndpoint)
  start.search = new URLSearchParams({
    client_id: provider.clientId,
    response_type: 'code',
    redirect_uri: provider.redirectUri,
    scope: 'openid offline_access api:read',
    prompt: 'consent',
    state,
    code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  }).toString()

  const jar = createCookieJar()
  let url = start
  let init: RequestInit = {}
  for (let hop = 0; hop < 20; hop++) {
    const headers = new Headers(init.headers)
    const cookie = jar.header(url)
    if (cookie) headers.set('cookie', cookie)
    const res = await fetch(url, { ...init, headers, redirect: 'manual' })
    jar.store(res, url)

    const location = res.headers.get('location')
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel()
      const next = new URL(location, url)
      if (`${next.origin}${next.pathname}` === provider.redirectUri) {
        return exchangeCode(provider, next.searchParams, state, verifier)
      }
      url = next
      init = {}
      continue
    }
    const html = await res.text()
    if (res.status !== 200) throw new Error(`${url.pathname} answered ${res.status}:\n${html.slice(0, 500)}`)
    const form = readForm(html, url, login)
    url = form.action
    init = { method: 'POST', body: form.body }
  }
  throw new Error('the authorization flow did not reach the redirect_uri in 20 hops')
}

async function exchangeCode(
  provider: TestProvider,
  params: URLSearchParams,
  state: string,
  verifier: string,
): Promise<TokenResponse> {
  if (params.get('error')) throw new Error(`authorization failed: ${params.get('error')}`)
  if (params.get('state') !== state) throw new Error('state mismatch')
  if (params.get('iss') !== provider.issuer) throw new Error('iss mismatch (RFC 9207)')
  const res = await fetch(provider.tokenEndpoint, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: provider.redirectUri,
      client_id: provider.clientId,
      code_verifier: verifier,
    }),
  })
  const body = await res.json()
  if (!res.ok) throw new Error(`code exchange failed: ${res.status} ${JSON.stringify(body)}`)
  return body as TokenResponse
}
