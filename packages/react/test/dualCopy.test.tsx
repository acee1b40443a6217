import { createAuthClient } from '@latchkey/core'
import { renderToString } from 'react-dom/server'
import { describe, expect, it, vi } from 'vitest'

type Copy = typeof import('../src/index')

const key = Symbol.for('@latchkey/react/context')

/** A fresh copy of the package (as when an app's ESM import and a dependency's require both load it). */
async function loadCopy(): Promise<Copy> {
  vi.resetModules()
  return import('../src/index')
}

/** Reads the state through the hook of one copy. */
function Status({ copy }: { copy: Copy }) {
  return <p>{copy.useAuth().status}</p>
}

describe('two copies of @latchkey/react', () => {
  it('importing creates no context and touches no global', async () => {
    delete (globalThis as Record<symbol, unknown>)[key]
    await loadCopy()
    expect(key in globalThis).toBe(false)
  })

  it('useAuth from one copy finds the <AuthProvider> of the other', async () => {
    const first = await loadCopy()
    const second = await loadCopy()
    expect(second.useAuth).not.toBe(first.useAuth)
    const auth = createAuthClient()
    const html = renderToString(
      <first.AuthProvider client={auth} serverState={auth.getState()}>
        <Status copy={second} />
        <second.RequireAuth fallback="guest" />
      </first.AuthProvider>,
    )
    expect(html).toBe('<p>unauthenticated</p>guest')
    auth.destroy()
  })
})
