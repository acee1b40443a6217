import type { CookieOptions, StorageOption, TokenStorage } from '../types'
import { cookieStorage } from './cookie'
import { webStorage } from './webStorage'

/** The storage behind an option (`null` for memory) and whether other tabs see it. */
export function resolveStorage(
  option: StorageOption = 'memory',
  cookie?: CookieOptions,
): { storage: TokenStorage | null; shared: boolean } {
  if (option === 'memory') return { storage: null, shared: false }
  const storage =
    option === 'cookie'
      ? cookieStorage(cookie)
      : option === 'localStorage' || option === 'sessionStorage'
        ? webStorage(option)
        : option
  // Cookies are shared though they cannot report changes; any other storage is when it can
  // (`subscribe`), as the `localStorage` one does.
  return { storage, shared: option === 'cookie' || typeof storage.subscribe === 'function' }
}
