import type { TokenStorage } from '../../src'

/**
 * An async shared storage (it has `subscribe`, whose events never arrive) whose `get` answers 20 ms
 * later with the value it held when asked: a read that can land after a change made meanwhile.
 */
export function slowStore(backing: Map<string, string>): TokenStorage {
  return {
    get: (k) => {
      const v = backing.get(k) ?? null
      return new Promise((resolve) => setTimeout(() => resolve(v), 20))
    },
    set: async (k, v) => void backing.set(k, v),
    remove: async (k) => void backing.delete(k),
    subscribe: () => () => {},
  }
}
