// @vitest-environment happy-dom
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestToken } from '@latchkey/testing'
import { type Component, flushSync, mount, unmount } from 'svelte'
import { afterEach, expect, it, vi } from 'vitest'

afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
  localStorage.clear()
})

it('the README example (auth.ts and App.svelte) signs in and out as written', async () => {
  // happy-dom's URL knows no file: URLs, so the README is found by path.
  const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8')
  const example = readme.slice(readme.indexOf('## Example'))
  const auth = /```ts\n([\s\S]*?)```/.exec(example)?.[1]
  const app = /```svelte\n([\s\S]*?)```/.exec(example)?.[1]
  if (!auth || !app) throw new Error('no auth.ts and App.svelte under "## Example" in README.md')
  // The example's server: the first sign-in is refused, the next answers what main.ts's comment shows.
  const bodies: unknown[] = []
  vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
    bodies.push(init.body)
    if (bodies.length === 1) return new Response(null, { status: 401 })
    return Response.json({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'rt' })
  })
  // A folder of its own: App.svelte imports './auth'.
  const dir = join(import.meta.dirname, `.readme-${process.pid}-${Date.now()}`)
  mkdirSync(dir)
  writeFileSync(join(dir, 'auth.ts'), auth)
  writeFileSync(join(dir, 'App.svelte'), app)
  let App: Component
  try {
    App = (await import(/* @vite-ignore */ join(dir, 'App.svelte'))).default
  } finally {
    rmSync(dir, { recursive: true })
  }
  const component = mount(App, { target: document.body })
  flushSync()
  const [email, password] = document.querySelectorAll('input')
  email!.value = 'alice@example.com'
  email!.dispatchEvent(new Event('input'))
  password!.value = 'wonderland'
  password!.dispatchEvent(new Event('input'))
  const submit = () =>
    document.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }))
  submit()
  await vi.waitFor(() => {
    flushSync()
    expect(document.querySelector('[role=alert]')?.textContent).toBe('login_failed')
  })
  submit()
  await vi.waitFor(() => {
    flushSync()
    expect(document.body.textContent).toContain('Signed in as alice')
  })
  expect(bodies).toEqual(
    Array(2).fill(JSON.stringify({ email: 'alice@example.com', password: 'wonderland' })),
  )
  document.querySelector('button')!.click()
  await vi.waitFor(() => {
    flushSync()
    expect(document.querySelector('form')).not.toBeNull()
  })
  await unmount(component)
})
