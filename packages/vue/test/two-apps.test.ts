// @vitest-environment happy-dom
import { type AuthClient, createAuthClient } from '@latchkey/core'
import { countSubscriptions, createTestToken as makeToken } from '@latchkey/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp, defineComponent, h, nextTick } from 'vue'
import { createAuthPlugin, useAuth } from '../src/index'

const clients: AuthClient[] = []
function client(): AuthClient {
  const auth = createAuthClient()
  clients.push(auth)
  return auth
}
afterEach(() => {
  for (const auth of clients.splice(0)) auth.destroy()
})

const Status = defineComponent({
  setup() {
    const auth = useAuth()
    return () => h('p', `${auth.status}:${auth.claims?.sub ?? '-'}`)
  },
})

function mountApp(plugin: ReturnType<typeof createAuthPlugin>) {
  const el = document.createElement('div')
  const app = createApp(Status).use(plugin)
  app.mount(el)
  return { app, el }
}

describe('createAuthPlugin', () => {
  it('keeps two apps on one page with different clients apart', async () => {
    const a = client()
    const b = client()
    const one = mountApp(createAuthPlugin(a))
    const two = mountApp(createAuthPlugin(b))
    a.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    await nextTick()
    expect(one.el.textContent).toBe('authenticated:ada')
    expect(two.el.textContent).toBe('unauthenticated:-')
    b.setTokens({ accessToken: makeToken({ sub: 'bob' }) })
    await a.logout()
    await nextTick()
    expect(one.el.textContent).toBe('unauthenticated:-')
    expect(two.el.textContent).toBe('authenticated:bob')
    one.app.unmount()
    two.app.unmount()
  })

  it('gives each app its own state when one plugin is installed in two apps', async () => {
    const { client: auth, active } = countSubscriptions(client())
    const plugin = createAuthPlugin(auth)
    const one = mountApp(plugin)
    const two = mountApp(plugin)
    expect(active()).toBe(2)
    one.app.unmount()
    expect(active()).toBe(1)
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    await nextTick()
    expect(two.el.textContent).toBe('authenticated:ada')
    two.app.unmount()
    expect(active()).toBe(0)
  })
})
