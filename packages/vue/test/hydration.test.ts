// @vitest-environment happy-dom
import { type AuthClient, createAuthClient } from '@latchkey/core'
import { countSubscriptions, createTestToken as makeToken } from '@latchkey/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type App, createSSRApp, defineComponent, h, nextTick } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { type AuthPluginOptions, createAuthPlugin, useAuth } from '../src/index'

const Page = defineComponent({
  setup() {
    const auth = useAuth()
    return () =>
      auth.status === 'loading'
        ? h('p', 'Loading…')
        : auth.isAuthenticated
          ? h('header', `Signed in as ${auth.claims?.sub}`)
          : h('form', 'Sign in')
  },
})

const clients: AuthClient[] = []
const apps: App[] = []
afterEach(() => {
  for (const app of apps.splice(0)) app.unmount()
  for (const auth of clients.splice(0)) auth.destroy()
  localStorage.clear()
  document.body.innerHTML = ''
})

function client(options: Parameters<typeof createAuthClient>[0] = {}): AuthClient {
  const auth = createAuthClient(options)
  clients.push(auth)
  return auth
}

/** The browser side: a client that starts from the session a previous visit left in localStorage. */
function returningUser(): AuthClient {
  const previous = createAuthClient({ storage: 'localStorage' })
  previous.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
  previous.destroy()
  return client({ storage: 'localStorage' })
}

/** Hydrates `html` with a `createSSRApp` using the plugin; returns the container and Vue's warnings. */
function hydrate(html: string, auth: AuthClient, options?: AuthPluginOptions) {
  const el = document.createElement('div')
  el.innerHTML = html
  document.body.append(el)
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
  const error = vi.spyOn(console, 'error').mockImplementation(() => {})
  const app = createSSRApp(Page).use(createAuthPlugin(auth, options))
  apps.push(app)
  app.mount(el)
  const reported = [...warn.mock.calls, ...error.mock.calls].map((c) => String(c[0]))
  warn.mockRestore()
  error.mockRestore()
  return { el, reported }
}

describe('createAuthPlugin({ ssr: true })', () => {
  it('hydrates the loading snapshot without mismatch, then follows the browser client', async () => {
    const server = client()
    server.setTokens({ accessToken: makeToken({ sub: 'someone else' }) })
    const html = await renderToString(createSSRApp(Page).use(createAuthPlugin(server, { ssr: true })))
    expect(html).toBe('<p>Loading…</p>')

    const auth = returningUser()
    expect(auth.getState().status).toBe('authenticated')
    const { el, reported } = hydrate(html, auth, { ssr: true })
    expect(reported).toEqual([])
    expect(el.textContent).toBe('Loading…')
    await nextTick()
    expect(el.textContent).toBe('Signed in as ada')
    await auth.logout()
    await nextTick()
    expect(el.textContent).toBe('Sign in')
  })

  it('follows the browser client after hydrating a functional root, whose mount() returns null', async () => {
    const Root = () => h(Page)
    const html = await renderToString(createSSRApp(Root).use(createAuthPlugin(client(), { ssr: true })))
    const auth = returningUser()
    const el = document.createElement('div')
    el.innerHTML = html
    document.body.append(el)
    const app = createSSRApp(Root).use(createAuthPlugin(auth, { ssr: true }))
    apps.push(app)
    expect(app.mount(el)).toBe(null)
    await nextTick()
    expect(el.textContent).toBe('Signed in as ada')
    await auth.logout()
    await nextTick()
    expect(el.textContent).toBe('Sign in')
  })

  it('hydrates without mismatch when the same serverState is given on both sides', async () => {
    const token = makeToken({ sub: 'ada' })
    const server = client()
    server.setTokens({ accessToken: token })
    const html = await renderToString(
      createSSRApp(Page).use(createAuthPlugin(server, { serverState: server.getState() })),
    )
    expect(html).toBe('<header>Signed in as ada</header>')

    const auth = client()
    const { el, reported } = hydrate(html, auth, { serverState: server.getState() })
    expect(reported).toEqual([])
    expect(el.textContent).toBe('Signed in as ada')
    await nextTick()
    expect(el.textContent).toBe('Sign in') // this browser client holds no session
  })

  it('subscribes only once mounted: never on the server, until unmount in the browser', async () => {
    const server = countSubscriptions(client())
    await renderToString(createSSRApp(Page).use(createAuthPlugin(server.client, { ssr: true })))
    expect(server.active()).toBe(0)

    const browser = countSubscriptions(client())
    hydrate('<p>Loading…</p>', browser.client, { ssr: true })
    expect(browser.active()).toBe(1)
    apps.pop()?.unmount()
    expect(browser.active()).toBe(0)
  })

  it('reports a mismatch without the option, which renders the client state at once (the check works)', async () => {
    const html = await renderToString(createSSRApp(Page).use(createAuthPlugin(client(), { ssr: true })))
    const { el, reported } = hydrate(html, returningUser())
    expect(reported.join('\n')).toMatch(/Hydration/)
    expect(el.textContent).toBe('Signed in as ada')
  })
})

describe('with ssr, a mount() that mounts nothing', () => {
  // "It subscribes once per app and unsubscribes when the app unmounts": Vue warns and returns nothing
  // for these mounts; the plugin must not subscribe for them.
  const Status = defineComponent({
    setup() {
      const auth = useAuth()
      return () => h('p', auth.status)
    },
  })
  const mounted = () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { client: auth, active } = countSubscriptions(client())
    const app = createSSRApp(Status).use(createAuthPlugin(auth, { ssr: true }))
    const el = document.createElement('div')
    el.id = 'app'
    return { app, el, active }
  }
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('a second mount() leaves no subscription behind after unmount()', () => {
    const { app, el, active } = mounted()
    document.body.append(el)
    app.mount(el)
    app.mount(el)
    app.unmount()
    expect(active()).toBe(0)
  })

  it('a mount() on a selector that matches nothing yet subscribes only with the real mount', () => {
    const { app, el, active } = mounted()
    app.mount('#app')
    expect(active()).toBe(0)
    document.body.append(el)
    app.mount('#app')
    expect(active()).toBe(1)
    app.unmount()
    expect(active()).toBe(0)
  })

  it('a mount() after unmount() subscribes no more', () => {
    const { app, el, active } = mounted()
    document.body.append(el)
    app.mount(el)
    app.unmount()
    app.mount(el)
    expect(active()).toBe(0)
  })
})
