import { createAuthClient } from '@latchkey/core'
import { createTestToken as makeToken } from '@latchkey/testing'
import { describe, expect, it } from 'vitest'
import { createSSRApp, defineComponent, h } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { createAuthPlugin, useAuth } from '../src/index'

describe('server rendering', () => {
  it('renders the client state without browser globals', async () => {
    expect(typeof window).toBe('undefined')
    const auth = createAuthClient()
    auth.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    const Status = defineComponent({
      setup() {
        const state = useAuth()
        return () => h('p', `${state.status}:${state.claims?.sub}`)
      },
    })
    const app = createSSRApp(Status).use(createAuthPlugin(auth))
    expect(await renderToString(app)).toBe('<p>authenticated:ada</p>')
    auth.destroy()
  })
})
