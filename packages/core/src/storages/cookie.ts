import { AuthError } from '../errors'
import type { CookieOptions, TokenStorage } from '../types'

/** Browsers drop a cookie whose name and value exceed this many bytes, silently. */
export const COOKIE_LIMIT = 4096

/**
 * A cookie named after the storage key: `Secure` on https, `SameSite=Strict`, `Path=/` and a
 * 30-day `Max-Age` unless configured. It is readable by page scripts: it is not HttpOnly.
 */
export function cookieStorage(options: CookieOptions = {}): TokenStorage {
  const { path = '/', sameSite = 'strict', maxAge = 30 * 86_400, domain } = options
  const attributes = (age: number) => {
    const secure = options.secure ?? globalThis.location?.protocol === 'https:'
    return `; Path=${path}; Max-Age=${age}; SameSite=${sameSite[0]!.toUpperCase()}${sameSite.slice(1)}${
      domain ? `; Domain=${domain}` : ''
    }${secure || sameSite === 'none' ? '; Secure' : ''}`
  }
  const get = (key: string): string | null => {
    for (const part of document.cookie.split('; ')) {
      // An empty value is what a removed cookie may leave behind.
      if (part.startsWith(`${key}=`) && part.length > key.length + 1) {
        try {
          return decodeURIComponent(part.slice(key.length + 1))
        } catch {
          return part.slice(key.length + 1)
        }
      }
    }
    return null
  }
  const remove = (key: string) => {
    document.cookie = `${key}=${attributes(0)}`
  }
  return {
    get,
    remove,
    set(key, value) {
      const encoded = encodeURIComponent(value)
      if (key.length + encoded.length + 1 > COOKIE_LIMIT) {
        remove(key)
        // `keep`: the storage works, this one entry does not fit; later entries may.
        throw Object.assign(new AuthError('storage_unavailable', 'Session too large for a cookie'), {
          keep: true,
        })
      }
      document.cookie = `${key}=${encoded}${attributes(maxAge)}`
      if (get(key) !== value) throw new AuthError('storage_unavailable', 'Cookies are disabled')
    },
  }
}
