import type { TokenStorage } from '../types'

/**
 * `localStorage` or `sessionStorage`, looked up lazily so importing touches no browser global.
 * The `localStorage` one is shared: it follows other tabs through the `storage` event.
 */
export function webStorage(name: 'localStorage' | 'sessionStorage'): TokenStorage {
  const area = (): Storage => (globalThis as unknown as Record<string, Storage>)[name]!
  const storage: TokenStorage = {
    get: (key) => area().getItem(key),
    set: (key, value) => area().setItem(key, value),
    remove: (key) => area().removeItem(key),
  }
  if (name === 'localStorage') {
    storage.subscribe = (key, onChange) => {
      const listener = (e: StorageEvent) => {
        // Only this area's changes: a sessionStorage change (an iframe's, say) fires the same event.
        if (e.storageArea && e.storageArea !== area()) return
        if (e.key === key || e.key === null) onChange(e.key === null ? null : e.newValue, e.oldValue)
      }
      globalThis.addEventListener?.('storage', listener)
      return () => globalThis.removeEventListener?.('storage', listener)
    }
  }
  return storage
}
