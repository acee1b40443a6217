// @vitest-environment happy-dom
import { type AuthClient, createAuthClient } from '@latchkey/core'
import {
  controlledRefresh,
  countSubscriptions,
  createTestToken as makeToken,
  startRefresh,
} from '@latchkey/testing'
import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp, defineComponent, h, isProxy, isReadonly, nextTick, onUpdated, toRefs } from 'vue'
import { createAuthPlugin, type UseAuthReturn, useAuth } from '../src/index'

const clients: AuthClient[] = []
function client(options: Parameters<typeof createAuthClient>[0] = {}): AuthClient {
  const auth = createAuthClient(options)
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

describe('createAuthPlugin', () => {
  it('renders the status and follows setTokens and logout called from outside', async () => {
    const auth = client()
    const wrapper = mount(Status, { global: { plugins: [createAuthPlugin(auth)] } })
    expect(wrapper.text()).toBe('unauthenticated:-')
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    await nextTick()
    expect(wrapper.text()).toBe('authenticated:ada')
    await auth.logout()
    await nextTick()
    expect(wrapper.text()).toBe('unauthenticated:-')
    wrapper.unmount()
  })

  it('unsubscribes when the app unmounts', () => {
    const { client: auth, active } = countSubscriptions(client())
    const wrapper = mount(Status, { global: { plugins: [createAuthPlugin(auth)] } })
    expect(active()).toBe(1)
    wrapper.unmount()
    expect(active()).toBe(0)
  })

  it('unsubscribes through app.unmount where app.onUnmount is missing (Vue < 3.5)', () => {
    const { client: auth, active } = countSubscriptions(client())
    const app = createApp(Status)
    ;(app as { onUnmount?: unknown }).onUnmount = undefined
    app.use(createAuthPlugin(auth)).mount(document.createElement('div'))
    expect(active()).toBe(1)
    app.unmount()
    expect(active()).toBe(0)
  })

  it('re-renders a component only when a field it reads changes', async () => {
    const control = controlledRefresh()
    const auth = client({ refresh: control.refresh })
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }), refreshToken: 'r1' })
    const updated = vi.fn()
    const OnlyStatus = defineComponent({
      setup() {
        const state = useAuth()
        onUpdated(updated)
        return () => h('p', state.status)
      },
    })
    const wrapper = mount(OnlyStatus, { global: { plugins: [createAuthPlugin(auth)] } })
    const refresh = await startRefresh(auth)
    await nextTick()
    control.settle({ accessToken: makeToken({ sub: 'ada' }) })
    await refresh.done
    await nextTick()
    expect(updated).not.toHaveBeenCalled()
    await auth.logout()
    await nextTick()
    expect(updated).toHaveBeenCalledTimes(1)
    expect(wrapper.text()).toBe('unauthenticated')
    wrapper.unmount()
  })
})

describe('useAuth', () => {
  function setup(auth: AuthClient) {
    let result!: UseAuthReturn
    const wrapper = mount(
      defineComponent({
        setup() {
          result = useAuth()
          return () => null
        },
      }),
      { global: { plugins: [createAuthPlugin(auth)] } },
    )
    return { result, wrapper }
  }

  it('returns every state field, the methods and the client itself', () => {
    const auth = client()
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    const { result, wrapper } = setup(auth)
    const state = auth.getState()
    for (const key of Object.keys(state) as (keyof typeof state)[]) {
      expect(result[key]).toEqual(state[key])
    }
    expect(result.client).toBe(auth)
    expect(isProxy(result.client)).toBe(false)
    for (const method of ['login', 'logout', 'refresh', 'getAccessToken'] as const) {
      expect(result[method]).toBe(auth[method])
    }
    wrapper.unmount()
  })

  it('is read-only', () => {
    const auth = client()
    const { result, wrapper } = setup(auth)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    expect(isReadonly(result)).toBe(true)
    ;(result as { status: string }).status = 'authenticated'
    expect(result.status).toBe('unauthenticated')
    expect(warn).toHaveBeenCalled()
    warn.mockRestore()
    wrapper.unmount()
  })

  it('returns methods that work when destructured, and fields that toRefs keeps reactive', async () => {
    const auth = client({
      login: async (credentials) => ({ accessToken: makeToken(credentials as Record<string, unknown>) }),
    })
    const { result, wrapper } = setup(auth)
    const { login, logout, getAccessToken } = result
    const { status } = toRefs(result)
    await login({ sub: 'grace' })
    expect(status.value).toBe('authenticated')
    expect(result.claims?.sub).toBe('grace')
    expect(await getAccessToken()).toBe(auth.getState().accessToken)
    await logout()
    expect(status.value).toBe('unauthenticated')
    wrapper.unmount()
  })

  it('returns a refresh that works when destructured', async () => {
    const next = makeToken({ sub: 'ada', n: 2 })
    const auth = client({ refresh: async () => ({ accessToken: next }) })
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }), refreshToken: 'r1' })
    const { result, wrapper } = setup(auth)
    const { refresh } = result
    expect(await refresh()).toBe(next)
    expect(result.accessToken).toBe(next)
    wrapper.unmount()
  })

  it('works in app.runWithContext', () => {
    const auth = client()
    const app = createApp({ render: () => null }).use(createAuthPlugin(auth))
    expect(app.runWithContext(() => useAuth().client)).toBe(auth)
  })

  it('throws an error naming createAuthPlugin outside the plugin', () => {
    expect(() => useAuth()).toThrow(/createAuthPlugin/)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    expect(() => mount(Status)).toThrow(/app\.use\(createAuthPlugin\(auth\)\)/)
    warn.mockRestore()
  })
})
