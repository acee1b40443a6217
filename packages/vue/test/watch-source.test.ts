// @vitest-environment happy-dom
import { type AuthClient, createAuthClient } from '@latchkey/core'
import { createTestToken as makeToken } from '@latchkey/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp, defineComponent, h, isReactive, nextTick, watch } from 'vue'
import { createAuthPlugin, useAuth } from '../src/index'

const clients: AuthClient[] = []
afterEach(() => {
  for (const auth of clients.splice(0)) auth.destroy()
  vi.restoreAllMocks()
  document.body.innerHTML = ''
})

describe('useAuth() as a readonly reactive object (API.md "Adapters": "a readonly reactive state")', () => {
  it('is a valid watch source: watch(useAuth(), cb) fires when the state changes, without a Vue warning', async () => {
    const warnings: string[] = []
    vi.spyOn(console, 'warn').mockImplementation((...args) => {
      warnings.push(args.map(String).join(' '))
    })
    const client = createAuthClient()
    clients.push(client)
    const changes: string[] = []
    let state: ReturnType<typeof useAuth> | undefined
    const Watcher = defineComponent({
      setup() {
        const auth = useAuth()
        state = auth
        // The usual Vue idiom for "run this whenever anything in that reactive object changes".
        watch(auth, (now) => changes.push(now.status))
        return () => h('p', auth.status)
      },
    })
    const app = createApp(Watcher).use(createAuthPlugin(client))
    app.mount(document.createElement('div'))

    client.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    await nextTick()
    await client.logout()
    await nextTick()
    app.unmount()

    expect(warnings).toEqual([])
    expect(isReactive(state)).toBe(true)
    expect(changes).toEqual(['authenticated', 'unauthenticated'])
  })
})
