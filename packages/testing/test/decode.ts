/** Decodes one JWT segment the way `jwt-decode` does (base64url JSON), for assertions only. */
export function decodeSegment(token: string, index: 0 | 1): Record<string, unknown> {
  const segment = token.split('.')[index] ?? ''
  const bytes = Uint8Array.from(atob(segment.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>
}

export const header = (token: string): Record<string, unknown> => decodeSegment(token, 0)
export const payload = (token: string): Record<string, unknown> => decodeSegment(token, 1)
