// btoa + TextEncoder exist in Node ≥ 16, browsers, happy-dom and jsdom; Buffer does not exist everywhere.
/** Encodes UTF-8 text as base64url without padding (RFC 7515 §2). */
export function base64url(text: string): string {
  let binary = ''
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
