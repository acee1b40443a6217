import { createAuthClient, type TokenSet } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { DemoClaims } from '../src/authServer'
import { eventLog, logClientEvents } from '../src/eventLog'
import { fingerprint } from '../src/format'

const claims = { sub: 'alice', name: 'Alice', email: 'alice@example.com', roles: ['user', 'admin'] }
let issued = 0
const tokens = (): TokenSet => ({
  // `jti` makes every token distinct, even two issued within the same second.
  accessToken: createTestToken({ ...claims, jti: String(++issued) }, { expiresIn: 30 }),
  refreshToken: `refresh-token-${issued}-${'x'.repeat(32)}`,
})

afterEach(() => eventLog.clear())

describe('logClientEvents', () => {
  it('logs login, refresh, change and logout, naming tokens by fingerprint only', async () => {
    const seen: TokenSet[] = []
    const issue = async () => {
      const set = tokens()
      seen.push(set)
      return set
    }
    const client = createAuthClient<DemoClaims, unknown>({ login: issue, refresh: issue })
    const stop = logClientEvents(client)

    await client.login({})
    await client.refresh()
    await client.logout()
    stop()
    client.destroy()

    const entries = [...eventLog.getSnapshot()].reverse()
    const types = entries.map((e) => e.type)
    expect(types).toContain('login')
    expect(types).toContain('refresh')
    expect(types).toContain('change')
    expect(types.at(-1)).toBe('logout')
    expect(entries.find((e) => e.type === 'login')?.detail).toContain('signed in as alice')
    expect(entries.find((e) => e.type === 'refresh')?.detail).toContain(fingerprint(seen[1]!.accessToken))

    const text = entries.map((e) => e.detail).join('\n')
    for (const set of seen) {
      expect(text).not.toContain(set.accessToken.slice(0, -6))
      expect(text).not.toContain(set.refreshToken!.slice(0, -6))
    }
  })

  it('stops logging once unsubscribed', async () => {
    const client = createAuthClient<DemoClaims, unknown>({ login: async () => tokens() })
    logClientEvents(client)()
    await client.login({})
    client.destroy()
    expect(eventLog.getSnapshot()).toEqual([])
  })
})

describe('fingerprint', () => {
  it('shows at most the last 6 characters', () => {
    expect(fingerprint('header.payload.signature-abcdef')).toBe('…abcdef')
    expect(fingerprint(null)).toBe('—')
  })
})
