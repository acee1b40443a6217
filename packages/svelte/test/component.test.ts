// @vitest-environment happy-dom
import { type AuthClient, createAuthClient } from '@latchkey/core'
import { countSubscriptions, createTestToken as makeToken } from '@latchkey/testing'
import { flushSync, mount, unmount } from 'svelte'
import { afterEach, describe, expect, it } from 'vitest'
import { authStore } from '../src/index'
import AuthStatus from './fixtures/AuthStatus.svelte'

const clients: AuthClient[] = []
afterEach(() => {
  for (const auth of clients.splice(0)) auth.destroy()
  document.body.innerHTML = ''
})

describe('authStore in a compiled Svelte 5 component', () => {
  it('renders $auth and follows changes made outside the component', async () => {
    const base = createAuthClient()
    clients.push(base)
    const { client, active } = countSubscriptions(base)
    const auth = authStore(client)
    const component = mount(AuthStatus, { target: document.body, props: { auth } })
    expect(document.body.textContent?.trim()).toBe('unauthenticated')
    expect(active()).toBe(1)

    client.setTokens({ accessToken: makeToken({ sub: 'ada' }) })
    flushSync()
    const button = document.querySelector('button')
    expect(button?.textContent).toBe('Sign out ada')

    button?.click()
    await Promise.resolve()
    flushSync()
    expect(document.body.textContent?.trim()).toBe('unauthenticated')

    await unmount(component)
    expect(active()).toBe(0)
  })
})
