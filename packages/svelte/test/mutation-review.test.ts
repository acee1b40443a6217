import { type AuthClient, createAuthClient } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { authStore } from '../src/index'

/** Tests written in a mutation review of authStore: each one fails with a change no other test caught. */
const clients: AuthClient[] = []
afterEach(() => {
  for (const auth of clients.splice(0)) auth.destroy()
})

describe('authStore (mutation review)', () => {
  // Mutant: subscribe() called `run` with the first value before it subscribed to the client.
  it('delivers a change that the first run itself makes', () => {
    const auth = createAuthClient({ syncTabs: false })
    clients.push(auth)
    const store = authStore(auth)
    const statuses: string[] = []
    const stop = store.subscribe((state) => {
      statuses.push(state.status)
      // A component that signs in a demo user as soon as it sees nobody is signed in.
      if (state.status === 'unauthenticated')
        store.setTokens({ accessToken: createTestToken({ sub: 'demo' }) })
    })
    expect(statuses).toEqual(['unauthenticated', 'authenticated'])
    stop()
  })
})
