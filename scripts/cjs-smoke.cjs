// The CJS builds at work under `require`, each resolved through its `exports` map from its own folder
// (as an app's dependency finds it): a client signs in and every adapter shows it. Loading alone
// misses interop faults (a default import of a CJS dependency), which only show when code runs.
// Run by check-packages.mjs after the build; exits non-zero on the first failure.
const assert = require('node:assert/strict')
const { createRequire } = require('node:module')
const { join } = require('node:path')

const from = (name) => createRequire(join(__dirname, '..', 'packages', name, 'package.json'))

async function main() {
  const core = from('core')('@latchkey/core')
  const testing = from('testing')('@latchkey/testing')
  const token = testing.createTestToken({ sub: 'ada' })
  const auth = core.createAuthClient()
  const changes = []
  auth.on('change', (state) => changes.push(state.status))
  auth.setTokens({ accessToken: token, refreshToken: 'r' })
  assert.equal(auth.getState().claims.sub, 'ada')
  assert.deepEqual(changes, ['authenticated'])
  assert.equal(core.isAuthError(new core.InvalidTokenError('x')), true)

  const React = from('react')('react')
  const { renderToString } = from('react')('react-dom/server')
  const R = from('react')('@latchkey/react')
  const Page = () =>
    React.createElement('p', null, `${R.useAuth().status}:${R.useAuthSelector((s) => s.claims?.sub)}`)
  const html = renderToString(
    React.createElement(
      R.AuthProvider,
      { client: auth, serverState: auth.getState() },
      React.createElement(Page),
    ),
  )
  assert.equal(html, '<p>authenticated:ada</p>')

  const vue = from('vue')('vue')
  const V = from('vue')('@latchkey/vue')
  const Status = vue.defineComponent({
    setup() {
      const state = V.useAuth()
      return () => vue.h('p', `${state.status}:${state.claims?.sub}`)
    },
  })
  const app = vue.createSSRApp(Status).use(V.createAuthPlugin(auth))
  assert.equal(await from('vue')('vue/server-renderer').renderToString(app), '<p>authenticated:ada</p>')

  let seen
  from('svelte')('@latchkey/svelte')
    .authStore(auth)
    .subscribe((state) => (seen = state))()
  assert.equal(seen, auth.getState())

  const api = from('axios')('axios').create({ baseURL: 'https://api.example.com' })
  const detach = from('axios')('@latchkey/axios').attachAuth(api, auth, {
    origins: ['https://api.example.com'],
  })
  const adapter = async (config) => ({
    data: config.headers.get('Authorization'),
    status: 200,
    headers: {},
    config,
  })
  assert.equal((await api.get('/me', { adapter })).data, `Bearer ${token}`)
  detach()

  const { setupServer } = from('testing')('msw/node')
  const mock = testing.createMockAuthServer({ baseUrl: 'https://auth.example.com' })
  const server = setupServer(...mock.handlers)
  server.listen({ onUnhandledRequest: 'error' })
  try {
    await auth.logout()
    const signIn = core.createAuthClient({
      login: async (credentials) => {
        const res = await fetch('https://auth.example.com/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(credentials),
        })
        const body = await res.json()
        return { accessToken: body.access_token, refreshToken: body.refresh_token }
      },
    })
    await signIn.login({ username: 'alice', password: 'wonderland' })
    assert.equal(signIn.getState().claims.sub, 'alice')
    assert.equal(mock.calls.login, 1)
    signIn.destroy()
  } finally {
    server.close()
    auth.destroy()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
