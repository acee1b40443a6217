import type { CookieOptions, StorageOption, TokenStorage } from '../types'
import { cookieStorage } from './cookie'
import { webStorage } from './webStorage'

/** The storage behind an option (`null` for memory) and whether other tabs see it. */
export function resolveStorage(
  option: StorageOption = 'memory',
  cookie?: CookieOptions,
): { storage: TokenStorage | null; shared: boolean } {
  if (option === 'memory') return { storage: null, shared: false }
  if (option === 'cookie') return { storage: cookieStorage(cookie), shared: true }
  if (option === 'localStorage' || option === 'sessionStorage') {
    return { storage: webStorage(option), shared: option === 'localStorage' }
  }
  return { storage: option, shared: typeof option.subscribe === 'function' }
}
