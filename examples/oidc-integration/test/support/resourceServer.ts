import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import type { TestProvider } from './provider'

export interface ResourceServer {
  origin: string
  /** `Authorization` headers received, in order (`null` when none was sent). */
  seen: Array<string | null>
  /** Request bodies received, in order. */
  bodies: string[]
  /** Token ids (`jti`) the server treats as revoked, as an API with a denylist would. */
  denied: Set<string>
  close(): Promise<void>
}

/**
 * A protected API on 127.0.0.1 that trusts only the provider: it verifies each Bearer JWT's signature
 * against the provider's `jwks_uri`, and its `iss`, `aud`, `exp` and `typ: at+jwt` (RFC 9068).
 * `GET /me` answers `{ sub, scope, client_id }`, or 401 with a `WWW-Authenticate` challenge.
 */
export async function startResourceServer(provider: TestProvider): Promise<ResourceServer> {
  const jwks = createRemoteJWKSet(new URL(provider.jwksUri))
  const seen: Array<string | null> = []
  const bodies: string[] = []
  const denied = new Set<string>()

  const server = createServer(async (req, res) => {
    const authorization = req.headers.authorization ?? null
    seen.push(authorization)
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    bodies.push(Buffer.concat(chunks).toString())
    const reject = (description: string) => {
      res.writeHead(401, {
        'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"`,
      })
      res.end()
    }
    if (!authorization?.startsWith('Bearer ')) return reject('no bearer token')
    try {
      const { payload } = await jwtVerify(authorization.slice(7), jwks, {
        issuer: provider.issuer,
        audience: provider.resource,
        typ: 'at+jwt',
      })
      if (payload.jti && denied.has(payload.jti)) return reject('token revoked')
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ sub: payload.sub, scope: payload.scope, client_id: payload.client_id }))
    } catch (error) {
      reject((error as Error).name)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    bodies,
    denied,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
