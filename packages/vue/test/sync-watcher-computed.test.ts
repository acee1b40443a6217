import { type AuthClient, createAuthClient } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { computed, createApp, version, watch, watchSyncEffect } from 'vue'
import { createAuthPlugin, useAuth } from '../src/index'

/**
 * The suite runs on each Vue of the peer range (vitest.config.ts). Vue 3.4 and 3.5 trigger the effects
 * of an array mutation in one batch, once every index is set; Vue 3.3 triggers each index as it sets it,
 * so a sync watcher runs in the middle of the adapter's one splice. The README states both.
 */
const batches = !version.startsWith('3.3.')

const clients: AuthClient[] = []
afterEach(() => {
  for (const auth of clients.splice(0)) auth.destroy()
})

function install() {
  const client = createAuthClient({ syncTabs: false })
  clients.push(client)
  const app = createApp({ render: () => null }).use(createAuthPlugin(client))
  return { client, app, auth: app.runWithContext(() => useAuth<{ sub: string }>()) }
}

describe('useAuth() read by an app computed inside a sync watcher', () => {
  it('sees the claims of the snapshot whose status triggered the watcher, from Vue 3.4 on', () => {
    const { client, app, auth } = install()
    // An app's derived value, read by a watcher on another field: the shape of a router guard
    // (`watch(() => auth.status, () => router.push(home.value), { flush: 'sync' })`).
    const user = computed(() => auth.claims?.sub ?? 'guest')
    const seen: string[] = []
    watch(
      () => auth.status,
      (status) => seen.push(`${status}:${user.value}`),
      { flush: 'sync' },
    )
    user.value // evaluated once before the change, as a rendered template would
    client.setTokens({ accessToken: createTestToken({ sub: 'ada' }) })
    void client.logout()
    app.unmount()
    // On 3.3 the computed over `claims` catches up only when `claims` is set, after `status`.
    expect(seen).toEqual([batches ? 'authenticated:ada' : 'authenticated:guest', 'unauthenticated:guest'])
  })

  it('sees the status of the snapshot whose claims triggered the watcher', () => {
    const { client, app, auth } = install()
    const signedIn = computed(() => auth.status === 'authenticated')
    const seen: string[] = []
    watch(
      () => auth.claims?.sub,
      (sub) => seen.push(`${sub}:${signedIn.value}`),
      { flush: 'sync' },
    )
    signedIn.value
    client.setTokens({ accessToken: createTestToken({ sub: 'ada' }) })
    void client.logout()
    app.unmount()
    // Also on 3.3, where `status` is set before `claims`, so the computed has caught up already.
    expect(seen).toEqual(['ada:true', 'undefined:false'])
  })

  it('runs a sync watcher of several fields, or of the whole object, once per snapshot from Vue 3.4 on', () => {
    const { client, app, auth } = install()
    let whole = 0
    let fields = 0
    watch(auth, () => whole++, { flush: 'sync' })
    watchSyncEffect(() => {
      void [auth.status, auth.accessToken, auth.claims, auth.expiresAt]
      fields++
    })
    client.setTokens({ accessToken: createTestToken({ sub: 'ada' }) })
    app.unmount()
    // 3.3 runs them once per changed field: five fields changed, four of them read by the effect.
    expect([whole, fields - 1]).toEqual(batches ? [1, 1] : [5, 4])
  })

  it('keeps following the client after a sync watcher changes the state in the middle of an update', () => {
    const { client, app, auth } = install()
    let refuse = true
    watch(
      () => auth.status,
      (status) => {
        if (status === 'authenticated' && refuse) void client.logout()
      },
      { flush: 'sync' },
    )
    const shown: boolean[] = []
    watchSyncEffect(() => shown.push(auth.isAuthenticated))
    client.setTokens({ accessToken: createTestToken({ sub: 'mallory' }) })
    refuse = false
    client.setTokens({ accessToken: createTestToken({ sub: 'ada' }) })
    app.unmount()
    expect(shown.at(-1)).toBe(true)
  })
})
