import type { TokenStorage } from '../../src'

/**
 * An async shared storage whose `get` answers `readMs` (default 20) later with the value it held when
 * asked: a read that can land after a change made meanwhile. Its events never arrive by themselves:
 * each `subscribe` callback is pushed to `listeners`, for the test to call.
 */
export function slowStore(
  backing: Map<string, string>,
  { readMs = 20, listeners = [] as Array<(value: string | null) => void> } = {},
): TokenStorage {
  return {
    get: (k) => {
      const v = backing.get(k) ?? null
      return new Promise((resolve) => setTimeout(() => resolve(v), readMs))
    },
    set: async (k, v) => void backing.set(k, v),
    remove: async (k) => void backing.delete(k),
    subscribe: (_k, on) => {
      listeners.push(on)
      return () => {}
    },
  }
}

/**
 * One storage area shared by "tabs" (what localStorage is to them): a write in one tab reaches the
 * other tabs' subscribers a microtask later, as a storage event would. `reads` counts a tab's reads.
 */
export function sharedArea() {
  const map = new Map<string, string>()
  const subs = new Set<{ tab: number; key: string; fn: (v: string | null) => void }>()
  let tabs = 0
  const tab = (): TokenStorage & { reads: number } => {
    const me = ++tabs
    const notify = (key: string, v: string | null) => {
      for (const s of subs) if (s.tab !== me && s.key === key) queueMicrotask(() => s.fn(v))
    }
    const store = {
      reads: 0,
      get: (k: string) => {
        store.reads++
        return map.get(k) ?? null
      },
      set: (k: string, v: string) => {
        map.set(k, v)
        notify(k, v)
      },
      remove: (k: string) => {
        map.delete(k)
        notify(k, null)
      },
      subscribe: (key: string, fn: (v: string | null) => void) => {
        const s = { tab: me, key, fn }
        subs.add(s)
        return () => void subs.delete(s)
      },
    }
    return store
  }
  return { map, tab }
}
