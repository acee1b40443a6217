// @vitest-environment happy-dom
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestToken } from '@latchkey/testing'
import { act, fireEvent, screen, waitFor } from '@testing-library/react'
import { afterEach, expect, it, vi } from 'vitest'

afterEach(() => {
  vi.unstubAllGlobals()
})

it('the README example renders, signs in and signs out as written', async () => {
  // happy-dom's URL knows no file: URLs, so the README is found by path.
  const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8')
  const code = /```tsx\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Example')))?.[1]
  if (!code) throw new Error('no tsx example under "## Example" in README.md')
  // The example's server: /api/login answers the token set its comment shows.
  const calls: string[] = []
  // The first sign-in is refused.
  const bodies: unknown[] = []
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push(url)
    bodies.push(init.body)
    if (calls.length === 1) return new Response(null, { status: 401 })
    return Response.json({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'rt' })
  })
  ;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true
  document.body.innerHTML = '<div id="root"></div>'
  const file = join(import.meta.dirname, `.readme-${process.pid}-${Date.now()}.tsx`)
  writeFileSync(file, code)
  try {
    await act(() => import(/* @vite-ignore */ file))
  } finally {
    rmSync(file)
  }

  fireEvent.change(document.querySelector('input[name=email]')!, { target: { value: 'alice@example.com' } })
  fireEvent.change(document.querySelector('input[name=password]')!, { target: { value: 'wonderland' } })
  const submit = () =>
    act(async () => {
      fireEvent.submit(document.querySelector('form')!)
    })
  await submit()
  await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('login_failed'))
  await submit()
  await waitFor(() => expect(document.body.textContent).toContain('Signed in as alice'))
  expect(calls).toEqual(['/api/login', '/api/login'])
  expect(bodies).toEqual(
    Array(2).fill(JSON.stringify({ email: 'alice@example.com', password: 'wonderland' })),
  )

  await act(async () => {
    fireEvent.click(screen.getByText('Sign out'))
  })
  expect(document.querySelector('input[name=email]')).not.toBeNull()
  localStorage.clear()
})
