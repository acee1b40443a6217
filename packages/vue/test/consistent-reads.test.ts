// @vitest-environment happy-dom
import { type AuthClient, createAuthClient } from '@latchkey/core'
import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp, defineComponent, h, watch, watchSyncEffect } from 'vue'
import { createAuthPlugin, useAuth } from '../src/index'

/**
 * useAuth()'s fields are read together: a sync watcher (flush: 'sync', watchSyncEffect) that runs in
 * the middle of an update sees one snapshot, never one field new and another old.
 */

const clients: AuthClient[] = []
afterEach(() => {
  for (const auth of clients.splice(0)) auth.destroy()
  document.body.innerHTML = ''
})

function setup(run: (auth: ReturnType<typeof useAuth>) => void) {
  const client = createAuthClient({ syncTabs: false })
  clients.push(client)
  const Probe = defineComponent({
    setup() {
      run(useAuth())
      return () => h('p')
    },
  })
  const app = createApp(Probe).use(createAuthPlugin(client))
  app.mount(document.createElement('div'))
  return { client, app }
}

describe('useAuth() fields seen together', () => {
  it("a sync watcher on status sees the same snapshot's accessToken and claims", () => {
    const seen: Array<[string, string | null, unknown]> = []
    const { client, app } = setup((auth) => {
      // flush: 'sync' (as watchSyncEffect, Pinia plugins, router guards' helpers use): runs at the write.
      watch(
        () => auth.status,
        (status) =>
          seen.push([status, auth.accessToken, (auth.claims as { sub?: string } | null)?.sub ?? null]),
        { flush: 'sync' },
      )
    })
    const token = createTestToken({ sub: 'ada' })
    client.setTokens({ accessToken: token })
    void client.logout()
    app.unmount()
    // Each status arrives with the token and claims of its own snapshot, as with one snapshot ref.
    expect(seen).toEqual([
      ['authenticated', token, 'ada'],
      ['unauthenticated', null, null],
    ])
  })

  it('watchSyncEffect never sees isAuthenticated without an accessToken', () => {
    const torn: string[] = []
    const { client, app } = setup((auth) => {
      watchSyncEffect(() => {
        if (auth.isAuthenticated !== (auth.accessToken !== null))
          torn.push(`${auth.isAuthenticated}/${auth.accessToken}`)
      })
    })
    client.setTokens({ accessToken: createTestToken({ sub: 'ada' }) })
    void client.logout()
    app.unmount()
    expect(torn).toEqual([])
  })
})
