import { type AuthClient, createAuthClient } from '@latchkey/core'
import { createTestToken as makeToken } from '@latchkey/testing'
import { derived, get } from 'svelte/store'
import { afterEach, describe, expect, it } from 'vitest'
import { authStore } from '../src/index'

const clients: AuthClient[] = []
function client(): AuthClient {
  const auth = createAuthClient()
  clients.push(auth)
  return auth
}
afterEach(() => {
  for (const auth of clients.splice(0)) auth.destroy()
})

describe('authStore', () => {
  it('keeps two stores over two clients apart, also in one derived store', async () => {
    const a = authStore(client())
    const b = authStore(client())
    const both = derived([a, b], ([sa, sb]) => `${sa.claims?.sub ?? '-'}/${sb.claims?.sub ?? '-'}`)
    const seen: string[] = []
    const stop = both.subscribe((v) => seen.push(v))
    a.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    b.setTokens({ accessToken: makeToken({ sub: 'bob' }) })
    await a.logout()
    stop()
    expect(seen).toEqual(['-/-', 'ada/-', 'ada/bob', '-/bob'])
    expect(get(b).claims?.sub).toBe('bob')
  })
})
