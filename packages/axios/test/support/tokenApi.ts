import type { AuthClient } from '@latchkey/core'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll } from 'vitest'

/**
 * An API on every origin (msw) that accepts the access tokens in `valid` and answers 401 to any other
 * Authorization, or none. `seen` records each request's URL and Authorization; `clients` are destroyed
 * after each test, when `seen` and `valid` are emptied.
 */
export function useTokenApi() {
  const seen: Array<{ url: string; authorization: string | null }> = []
  const valid = new Set<string>()
  const clients: AuthClient[] = []
  const server = setupServer(
    http.all('*', ({ request }) => {
      const authorization = request.headers.get('authorization')
      seen.push({ url: request.url, authorization })
      return valid.has(authorization?.replace(/^Bearer /, '') ?? '')
        ? HttpResponse.json({ ok: true })
        : HttpResponse.json({ error: 'invalid_token' }, { status: 401 })
    }),
  )
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => {
    seen.length = 0
    valid.clear()
    for (const c of clients.splice(0)) c.destroy()
  })
  afterAll(() => server.close())
  return { seen, valid, clients, server }
}
