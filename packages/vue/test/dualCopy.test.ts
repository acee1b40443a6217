import { createAuthClient } from '@latchkey/core'
import { describe, expect, it, vi } from 'vitest'
import { createSSRApp, defineComponent, h } from 'vue'
import { renderToString } from 'vue/server-renderer'

/** A fresh copy of the package (as when an app's ESM import and a dependency's require both load it). */
async function loadCopy(): Promise<typeof import('../src/index')> {
  vi.resetModules()
  return import('../src/index')
}

describe('two copies of @latchkey/vue', () => {
  it('useAuth from one copy finds the plugin installed from the other', async () => {
    const first = await loadCopy()
    const second = await loadCopy()
    expect(second.useAuth).not.toBe(first.useAuth)
    const auth = createAuthClient()
    const Page = defineComponent({
      setup() {
        const state = second.useAuth()
        return () => h('p', state.status)
      },
    })
    expect(await renderToString(createSSRApp(Page).use(first.createAuthPlugin(auth)))).toBe(
      '<p>unauthenticated</p>',
    )
    auth.destroy()
  })
})
