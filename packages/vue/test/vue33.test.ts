/**
 * The plugin on Vue 3.3, the oldest Vue the peer range (`vue >= 3.3`) and the README accept (the
 * devDependency `vue33` is vue@3.3.13). Before Vue 3.4 a computed notified its readers on every change
 * of its source, even when its own value stayed the same. The whole suite runs on 3.3 as well
 * (vitest.vue33.config.ts); this file, run with the rest on 3.5, keeps the cases written for 3.3.
 */
import { createAuthClient } from '@latchkey/core'
import { controlledRefresh, createTestToken as makeToken, startRefresh } from '@latchkey/testing'
import { expect, it, vi } from 'vitest'

vi.mock('vue', () => import('vue33'))

it('does not re-run an effect reading only `status` when only isRefreshing and the token change', async () => {
  const vue = await import('vue')
  expect(vue.version).toMatch(/^3\.3\./)
  const { createAuthPlugin, useAuth } = await import('../src/index')
  const control = controlledRefresh()
  const client = createAuthClient({ refresh: control.refresh })
  client.setTokens({ accessToken: makeToken({ sub: 'ada' }), refreshToken: 'r1' })
  const app = vue.createApp({ render: () => null }).use(createAuthPlugin(client))
  const auth = app.runWithContext(() => useAuth())
  let runs = 0
  const statuses: string[] = []
  vue.watchEffect(
    () => {
      statuses.push(auth.status)
      runs++
    },
    { flush: 'sync' },
  )
  const changes: string[] = []
  vue.watch(auth, (s) => changes.push(String(s.isRefreshing)), { flush: 'sync' })
  const { done } = await startRefresh(client)
  control.settle({ accessToken: makeToken({ sub: 'ada', jti: 'next' }) })
  await done
  expect(auth.status).toBe('authenticated')
  // isRefreshing turned true, then false with the new token: `status` never changed.
  expect(runs).toBe(1)
  expect(statuses).toEqual(['authenticated'])
  // The whole object is a watch source, on 3.3 too.
  expect(changes.length).toBeGreaterThan(0)
  client.destroy()
})

it('installs with a frozen client, and gives it back as it is', async () => {
  const vue = await import('vue')
  expect(vue.version).toMatch(/^3\.3\./)
  const { createAuthPlugin, useAuth } = await import('../src/index')
  const client = Object.freeze(createAuthClient())
  const app = vue.createApp({ render: () => null }).use(createAuthPlugin(client))
  const auth = app.runWithContext(() => useAuth())
  expect(auth.client).toBe(client)
  expect(vue.isProxy(auth.client)).toBe(false)
  client.destroy()
})

it('gives a sync watcher on `status` the same snapshot’s token and claims, on 3.3 too', async () => {
  const vue = await import('vue')
  expect(vue.version).toMatch(/^3\.3\./)
  const { createAuthPlugin, useAuth } = await import('../src/index')
  const client = createAuthClient({ syncTabs: false })
  const app = vue.createApp({ render: () => null }).use(createAuthPlugin(client))
  const auth = app.runWithContext(() => useAuth<{ sub: string }>())
  const seen: string[] = []
  // 3.3 applies the fields one at a time: each read still comes from the snapshot being shown.
  vue.watch(
    () => auth.status,
    (status) => seen.push(`${status}:${auth.claims?.sub}:${auth.accessToken !== null}`),
    { flush: 'sync' },
  )
  client.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
  void client.logout()
  expect(seen).toEqual(['authenticated:ada:true', 'unauthenticated:undefined:false'])
  app.unmount()
  client.destroy()
})

it('keeps following the client after a sync watcher changes the state in the middle of an update, on 3.3', async () => {
  const vue = await import('vue')
  expect(vue.version).toMatch(/^3\.3\./)
  const { createAuthPlugin, useAuth } = await import('../src/index')
  const client = createAuthClient({ syncTabs: false })
  const app = vue.createApp({ render: () => null }).use(createAuthPlugin(client))
  const auth = app.runWithContext(() => useAuth())
  // A guard that signs out a session it refuses, the moment it appears.
  let refuse = true
  vue.watch(
    () => auth.status,
    (status) => {
      if (status === 'authenticated' && refuse) void client.logout()
    },
    { flush: 'sync' },
  )
  const shown: boolean[] = []
  vue.watchEffect(() => shown.push(auth.isAuthenticated), { flush: 'sync' })
  client.setTokens({ accessToken: makeToken({ sub: 'mallory' }) })
  expect(client.getState().isAuthenticated).toBe(false)
  refuse = false
  client.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
  expect(auth.isAuthenticated).toBe(true)
  // The effect reading isAuthenticated heard of the sign-in that stayed.
  expect(shown.at(-1)).toBe(true)
  app.unmount()
  client.destroy()
})
