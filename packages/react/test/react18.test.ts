// @vitest-environment happy-dom
/**
 * The hooks on React 18, the oldest React the peer range (`react >= 18`) accepts: the root
 * devDependencies `react18` and `react-dom18` are react and react-dom 18.3.1 (at the root, so pnpm
 * gives that react-dom React 18, not this package's React 19). No JSX here: the JSX runtime would
 * be React 19's.
 */
import { type AuthClient, createAuthClient } from '@latchkey/core'
import { controlledRefresh, countSubscriptions, createTestToken, startRefresh } from '@latchkey/testing'
import { afterEach, expect, it, vi } from 'vitest'

vi.mock('react', () => import('react18'))

const React = await import('react')
const { createRoot, hydrateRoot } = await import('react-dom18/client')
const { renderToString } = await import('react-dom18/server')
const { AuthProvider, RequireAuth, useAuth, useAuthSelector } = await import('../src/index')
const h = React.createElement
const { act } = React as unknown as { act: (fn: () => unknown) => Promise<void> }
;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

const clients: AuthClient[] = []
afterEach(() => {
  for (const auth of clients.splice(0)) auth.destroy()
  document.body.innerHTML = ''
})

function Page() {
  const { status, logout } = useAuth()
  const sub = useAuthSelector((s) => s.claims?.sub)
  return h(
    'main',
    null,
    h('p', null, `${status}:${sub ?? '-'}`),
    h(RequireAuth, { fallback: 'guest', loading: 'wait' }, h('button', { onClick: () => logout() }, 'out')),
  )
}

const seen = vi.fn()
function Sub() {
  const sub = useAuthSelector((s) => s.claims?.sub)
  seen(sub)
  return h('p', null, String(sub))
}

function Bare() {
  useAuth()
  return null
}

it('runs on React 18', () => {
  expect(React.version).toMatch(/^18\./)
})

it('renders on the server: the loading snapshot by default, the session with serverState', () => {
  const auth = createAuthClient()
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'ada' }) })
  expect(renderToString(h(AuthProvider, { client: auth }, h(Page)))).toBe('<main><p>loading:-</p>wait</main>')
  expect(renderToString(h(AuthProvider, { client: auth, serverState: auth.getState() }, h(Page)))).toBe(
    '<main><p>authenticated:ada</p><button>out</button></main>',
  )
})

it('hydrates without a mismatch, follows the client and unsubscribes on unmount', async () => {
  const { client: auth, active } = countSubscriptions(createAuthClient())
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'ada' }), refreshToken: 'r1' })
  const app = h(AuthProvider, { client: auth, serverState: auth.getState() }, h(Page))
  const container = document.createElement('div')
  container.innerHTML = renderToString(app)
  document.body.append(container)
  const errors = vi.spyOn(console, 'error')
  let root!: ReturnType<typeof hydrateRoot>
  await act(async () => {
    root = hydrateRoot(container, app, { onRecoverableError: (error: unknown) => console.error(error) })
  })
  expect(errors).not.toHaveBeenCalled()
  expect(container.textContent).toBe('authenticated:adaout')
  expect(active()).toBeGreaterThan(0)

  errors.mockRestore()

  await act(async () => {
    container.querySelector('button')!.click()
  })
  expect(container.textContent).toBe('unauthenticated:-guest')
  await act(async () => root.unmount())
  expect(active()).toBe(0)
})

it('re-renders a useAuthSelector component only when its selection changes', async () => {
  const control = controlledRefresh()
  const auth = createAuthClient({ refresh: control.refresh })
  clients.push(auth)
  auth.setTokens({ accessToken: createTestToken({ sub: 'ada' }), refreshToken: 'r1' })
  seen.mockClear()
  const container = document.createElement('div')
  const root = createRoot(container)
  await act(async () => root.render(h(AuthProvider, { client: auth }, h(Sub))))
  expect(seen).toHaveBeenCalledTimes(1)
  // isRefreshing flips twice and the token changes; `sub` stays.
  let done!: Promise<string>
  await act(async () => {
    ;({ done } = await startRefresh(auth))
  })
  await act(async () => {
    control.settle({ accessToken: createTestToken({ sub: 'ada', n: 2 }) })
    await done
  })
  expect(seen).toHaveBeenCalledTimes(1)
  await act(async () => {
    auth.setTokens({ accessToken: createTestToken({ sub: 'grace' }) })
  })
  expect(seen).toHaveBeenCalledTimes(2)
  expect(container.textContent).toBe('grace')
  await act(async () => root.unmount())
})

it('throws an error naming AuthProvider outside a provider', async () => {
  const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
  expect(() => renderToString(h(Bare))).toThrow(/AuthProvider/)
  errors.mockRestore()
})
