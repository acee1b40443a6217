// @vitest-environment happy-dom
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestToken } from '@latchkey/testing'
import { transform } from 'esbuild'
import { afterEach, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import { compileScript, parse } from 'vue/compiler-sfc'

afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
  localStorage.clear()
})

it('the README example (main.ts and App.vue) signs in and out as written', async () => {
  // happy-dom's URL knows no file: URLs, so the README is found by path.
  const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8')
  const example = readme.slice(readme.indexOf('## Example'))
  const main = /```ts\n([\s\S]*?)```/.exec(example)?.[1]
  const sfc = /```vue\n([\s\S]*?)```/.exec(example)?.[1]
  if (!main || !sfc) throw new Error('no main.ts and App.vue under "## Example" in README.md')
  // What @vitejs/plugin-vue does with App.vue, as far as this component needs.
  const { descriptor } = parse(sfc, { filename: 'App.vue' })
  const script = compileScript(descriptor, { id: 'readme-app', inlineTemplate: true })
  const { code: app } = await transform(script.content, { loader: 'ts', format: 'esm' })
  // The example's server: the first sign-in is refused, the next answers what main.ts's comment shows.
  const bodies: unknown[] = []
  vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
    bodies.push(init.body)
    if (bodies.length === 1) return new Response(null, { status: 401 })
    return Response.json({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'rt' })
  })
  document.body.innerHTML = '<div id="app"></div>'
  const dir = join(import.meta.dirname, `.readme-${process.pid}-${Date.now()}`)
  mkdirSync(dir)
  writeFileSync(join(dir, 'App.vue.js'), app)
  writeFileSync(join(dir, 'main.ts'), main.replace("from './App.vue'", "from './App.vue.js'"))
  try {
    await import(/* @vite-ignore */ join(dir, 'main.ts'))
  } finally {
    rmSync(dir, { recursive: true })
  }
  await nextTick()
  const [email, password] = document.querySelectorAll('input')
  email!.value = 'alice@example.com'
  email!.dispatchEvent(new Event('input'))
  password!.value = 'wonderland'
  password!.dispatchEvent(new Event('input'))
  const submit = () =>
    document.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }))
  submit()
  await vi.waitFor(() => expect(document.querySelector('[role=alert]')?.textContent).toBe('login_failed'))
  submit()
  await vi.waitFor(() => expect(document.body.textContent).toContain('Signed in as alice'))
  // The template's `{ email, password }` sends the refs' values.
  expect(bodies).toEqual(
    Array(2).fill(JSON.stringify({ email: 'alice@example.com', password: 'wonderland' })),
  )
  document.querySelector('button')!.click()
  await vi.waitFor(() => expect(document.querySelector('form')).not.toBeNull())
})
