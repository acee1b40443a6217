// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { type AuthClient, createAuthClient, type TokenStorage } from '../src'
import { token } from './helpers'

/**
 * One tab alone, on a custom async storage whose writes land a few ms after they are made while reads
 * answer with what is there now (an encrypting wrapper over localStorage, say: `set` awaits
 * crypto.subtle.encrypt before it writes). No other tab exists.
 */
const wait = (ms = 30) => new Promise((r) => setTimeout(r, ms))
function writeBehind(backing: Map<string, string>): TokenStorage & { log: string[] } {
  const log: string[] = []
  return {
    log,
    get: async (k) => {
      log.push('get')
      return backing.get(k) ?? null
    },
    set: (k, v) => {
      log.push('set')
      return new Promise((r) => setTimeout(() => r(void backing.set(k, v)), 5))
    },
    remove: (k) => {
      log.push('remove')
      return new Promise((r) => setTimeout(() => r(void backing.delete(k)), 5))
    },
    subscribe: () => () => {},
  }
}

describe('one tab, async write-behind storage', () => {
  it('setTokens made right after creation (before ready) is kept, not replaced by the entry it overwrites', async () => {
    const backing = new Map<string, string>()
    // The previous user's session, stored earlier.
    const before: AuthClient = createAuthClient({ storage: writeBehind(backing), storageKey: 'k' })
    await before.ready
    before.setTokens({ accessToken: token(300, { sub: 'previous-user' }), refreshToken: 'rt-old' })
    await wait()
    before.destroy()

    // A reload on the sign-in callback: the app hands the new user's tokens over at once.
    const auth = createAuthClient({ storage: writeBehind(backing), storageKey: 'k' })
    const events: string[] = []
    auth.on('login', () => events.push('login'))
    auth.on('refresh', () => events.push('refresh'))
    auth.setTokens({ accessToken: token(300, { sub: 'new-user' }), refreshToken: 'rt-new' })
    await auth.ready
    await wait()
    const stored = JSON.stringify(backing.get('k') ?? null)
    expect({
      sub: auth.getState().claims?.sub,
      events,
      storedIsNewUser: stored.includes('rt-new'),
    }).toEqual({ sub: 'new-user', events: [], storedIsNewUser: true })
    auth.destroy()
  })

  it('a corrupt entry at start-up is reported once and removed once', async () => {
    const backing = new Map<string, string>([['k', 'garbage']])
    const storage = writeBehind(backing)
    const auth = createAuthClient({ storage, storageKey: 'k' })
    const errors: string[] = []
    auth.on('error', (e) => errors.push(e.code))
    await auth.ready
    await wait()
    expect({ errors, writes: storage.log.filter((op) => op !== 'get') }).toEqual({
      errors: ['storage_corrupt'],
      writes: ['remove'],
    })
    auth.destroy()
  })

  it('two setTokens in a row write twice (an async storage that lands at once, no other tab)', async () => {
    const backing = new Map<string, string>()
    const log: string[] = []
    const storage: TokenStorage = {
      get: async (k) => backing.get(k) ?? null,
      set: async (k, v) => {
        log.push('set')
        backing.set(k, v)
      },
      remove: async (k) => {
        log.push('remove')
        backing.delete(k)
      },
    }
    const auth = createAuthClient({ storage, storageKey: 'k' })
    await auth.ready
    auth.setTokens({ accessToken: token(300, { sub: 'u' }), refreshToken: 'rt-0' })
    auth.setTokens({ accessToken: token(300, { sub: 'u', n: 1 }), refreshToken: 'rt-1' })
    await wait()
    expect(log).toEqual(['set', 'set'])
    auth.destroy()
  })
})
