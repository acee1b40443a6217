import { AuthError } from '../errors'
import type { CookieOptions, TokenStorage } from '../types'

/** Browsers drop a cookie whose name and value exceed this many bytes, silently. */
export const COOKIE_LIMIT = 4096

// An attribute value with `;` or a control character (U+0000–U+001F, U+007F–U+009F: Unicode's Cc,
// spelled out, as Hermes does not take `\p{…}`) would add attributes of its own.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
const UNSAFE = /[;\x00-\x1f\x7f-\x9f]/

/**
 * A cookie named after the storage key: `Secure` on https, `SameSite=Strict`, `Path=/` and a
 * 30-day `Max-Age` unless configured. Page scripts can read it: it is not HttpOnly.
 */
export function cookieStorage({
  path = '/',
  sameSite = 'strict',
  maxAge = 2_592_000,
  domain,
  secure,
}: CookieOptions = {}): TokenStorage {
  const unsafe = UNSAFE.test(`${path}${domain ?? ''}${sameSite}`) || !Number.isInteger(maxAge)
  const write = (key: string, value: string, age: number, at = path, under = domain) => {
    if (unsafe) throw new AuthError('storage_unavailable', 'Invalid cookie options')
    document.cookie = `${key}=${value}; Path=${at}; Max-Age=${age}; SameSite=${sameSite[0]!.toUpperCase() + sameSite.slice(1)}${
      under ? `; Domain=${under}` : ''
    }${(secure ?? location.protocol === 'https:') || sameSite === 'none' ? '; Secure' : ''}`
  }
  // The cookies of this name the page sees. An empty value is what a removed cookie may leave behind.
  const seen = (key: string) =>
    document.cookie.split('; ').filter((c) => c.length > key.length + 1 && c.startsWith(`${key}=`))
  // Expires every cookie of this name this page can see: at every parent domain and path prefix.
  const sweep = (key: string) => {
    const host = location.hostname.split('.')
    const dirs = location.pathname.split('/')
    for (let d = 0; d <= host.length; d++)
      for (let p = 1; p <= dirs.length; p++)
        for (const end of ['', '/'])
          write(key, '', 0, dirs.slice(0, p).join('/') + end || '/', host.slice(d).join('.'))
  }
  const get = (key: string): string | null => {
    const found = seen(key)
    if (found[1]) {
      // Two cookies of this name: another path's, or one a sibling subdomain planted for the parent
      // domain (cookie tossing). Nothing tells which is ours, so none is trusted: each one is expired,
      // and the entry counts as corrupt.
      sweep(key)
      return ''
    }
    const value = found[0]?.slice(key.length + 1)
    try {
      return value ? decodeURIComponent(value) : null
    } catch {
      return value!
    }
  }
  const remove = (key: string) => {
    write(key, '', 0)
    // One still seen was set at another path or for a parent domain (an older `cookie` config, a
    // sibling subdomain): read as the entry, it would outlive a logout or the removal of corrupt data.
    if (seen(key)[0]) sweep(key)
  }
  return {
    get,
    remove,
    set(key, value) {
      const encoded = encodeURIComponent(value)
      if (key.length + encoded.length > COOKIE_LIMIT) {
        remove(key)
        // `keep`: the storage works, this one entry does not fit; later entries may.
        throw Object.assign(new AuthError('storage_unavailable', 'Session too large for a cookie'), {
          keep: true,
        })
      }
      const before = get(key)
      write(key, encoded, maxAge)
      // A second cookie of this name was found (and expired, see get()): write ours again.
      if (get(key) === '') write(key, encoded, maxAge)
      const after = get(key)
      // Not ours, but another than before: a tab in another process wrote its own just after (cookies are
      // shared at once), which is no failure. Nothing there, or what was there before: the write was lost.
      if (after !== value && (!after || after === before))
        throw new AuthError('storage_unavailable', 'Cookies are disabled')
    },
  }
}
