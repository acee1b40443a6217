import type { TestProvider } from './provider'

/** Revokes a token at the provider's revocation endpoint (RFC 7009) as the public client. */
export async function revoke(provider: TestProvider, token: string): Promise<void> {
  const res = await fetch(provider.revocationEndpoint, {
    method: 'POST',
    body: new URLSearchParams({ token, token_type_hint: 'refresh_token', client_id: provider.clientId }),
  })
  if (res.status !== 200) throw new Error(`revocation answered ${res.status}`)
}

/** Presents a refresh token directly (RFC 6749 §6), outside latchkey: what an attacker with a copy would do. */
export async function refreshGrant(
  provider: TestProvider,
  refreshToken: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(provider.tokenEndpoint, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: provider.clientId,
    }),
  })
  return { status: res.status, body: await res.json() }
}
