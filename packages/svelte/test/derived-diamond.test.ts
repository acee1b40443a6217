import { type AuthClient, createAuthClient } from '@latchkey/core'
import { createTestToken as makeToken } from '@latchkey/testing'
import { derived, type Readable } from 'svelte/store'
import { afterEach, describe, expect, it } from 'vitest'
import { authStore } from '../src/index'

const clients: AuthClient[] = []
afterEach(() => {
  for (const auth of clients.splice(0)) auth.destroy()
})

/** Two stores derived from `source`, combined again: what `label` shows on each change. */
function diamond(source: Readable<ReturnType<AuthClient['getState']>>) {
  const status = derived(source, (s) => s.status)
  const sub = derived(source, (s) => s.claims?.sub ?? '-')
  const label = derived([status, sub], ([st, s]) => `${st}:${s}`)
  const seen: string[] = []
  return { seen, stop: label.subscribe((value) => seen.push(value)) }
}

describe('authStore in derived stores combined again', () => {
  it('mixes two snapshots for a moment when combined straight from the store (the README says so)', () => {
    const client = createAuthClient({ syncTabs: false })
    clients.push(client)
    const { seen, stop } = diamond(authStore(client))
    client.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    stop()
    // Svelte's own stores queue the updates of derived stores; a store without Svelte cannot join that queue.
    expect(seen).toEqual(['unauthenticated:-', 'authenticated:-', 'authenticated:ada'])
  })

  it('never mixes two snapshots when derived from derived(auth, (s) => s), as the README advises', async () => {
    const client = createAuthClient({ syncTabs: false })
    clients.push(client)
    const { seen, stop } = diamond(derived(authStore(client), (s) => s))
    client.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    await client.logout()
    stop()
    expect(seen).toEqual(['unauthenticated:-', 'authenticated:ada', 'unauthenticated:-'])
  })
})
