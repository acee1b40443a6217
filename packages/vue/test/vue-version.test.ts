// @vitest-environment happy-dom
import { mount } from '@vue/test-utils'
import { expect, inject, it } from 'vitest'
import { createApp, createSSRApp, defineComponent, getCurrentInstance, h, version } from 'vue'
import { renderToString } from 'vue/server-renderer'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Vue version the project's config resolves `vue` to. */
    vue: string
  }
}

/**
 * The suite runs once per Vue version of the peer range (vitest.config.ts): these pin that each run
 * has the version it names, and one copy of it, so a pass on 3.3 or 3.4 is not a pass on 3.5.
 */
it('imports the Vue its project names', () => {
  expect(version).toBe(inject('vue'))
})

it('mounts through @vue/test-utils with that same Vue', () => {
  const wrapper = mount(defineComponent({ render: () => h('p') }))
  expect(wrapper.vm.$.appContext.app.version).toBe(version)
  wrapper.unmount()
})

it('renders on the server with that same Vue', async () => {
  // Each Vue build creates its component instances with its own set of fields: the server renderer's
  // instance has the same fields as one created by createApp only if they share one Vue.
  const fields = (set: (keys: string) => void) =>
    defineComponent({
      setup() {
        set(
          Object.keys(getCurrentInstance() ?? {})
            .sort()
            .join(),
        )
        return () => h('p', 'ok')
      },
    })
  let server = ''
  let client = ''
  expect(await renderToString(createSSRApp(fields((keys) => (server = keys))))).toBe('<p>ok</p>')
  const app = createApp(fields((keys) => (client = keys)))
  app.mount(document.createElement('div'))
  app.unmount()
  expect(server).not.toBe('')
  expect(server).toBe(client)
})
