import { createTestToken } from '@latchkey/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { type AuthClient, createAuthClient, createAuthFetch, type TokenSet } from '../src'

/**
 * Late 401s (to requests that left before a refresh ended) cost one refresh in all: also when the
 * refresh sent the held token back, and across the fetch wrappers an app keeps on one client.
 */
const API = 'https://api.example.com'
const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
})
const track = (auth: AuthClient) => {
  clients.push(auth)
  return auth
}
const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms))
const jwt = () =>
  createTestToken(
    { sub: 'alice', jti: Math.random() },
    { expiresIn: 300, issuedAt: Math.floor(Date.now() / 1000) },
  )
/** A fetch whose responses the test gives, one per request, in order. */
function heldServer() {
  const answers: Array<(r: Response) => void> = []
  const sent: Array<string | null> = []
  const fetch = (async (_input: unknown, init?: RequestInit) => {
    sent.push(new Headers(init?.headers).get('authorization'))
    return new Promise<Response>((resolve) => answers.push(resolve))
  }) as typeof globalThis.fetch
  const answer = (i: number) => answers[i]!(new Response('', { status: 401 }))
  return { fetch, answers, sent, answer }
}

describe('a refresh that sends the held JWT back', () => {
  it('returns the 401, never replays the refused token, and late 401s for it cost no more refreshes', async () => {
    const held = jwt()
    let refreshes = 0
    const auth = track(
      createAuthClient({
        syncTabs: false,
        refresh: async (): Promise<TokenSet> => {
          refreshes++
          return { accessToken: held }
        },
      }),
    )
    auth.setTokens({ accessToken: held, refreshToken: 'rt' })
    const server = heldServer()
    const api = createAuthFetch(auth, { origins: [API], fetch: server.fetch })
    const pending = [1, 2, 3].map((i) => api(`${API}/r${i}`))
    await tick()
    expect(server.answers).toHaveLength(3)
    server.answer(0)
    expect((await pending[0]!).status).toBe(401)
    server.answer(1)
    await pending[1]
    server.answer(2)
    const statuses = (await Promise.all(pending)).map((r) => r.status)
    expect({ statuses, sent: server.sent.length, refreshes }).toEqual({
      statuses: [401, 401, 401],
      sent: 3,
      refreshes: 1,
    })
  })
})

describe('two fetch wrappers on one client (auth.fetch and createAuthFetch)', () => {
  it.each([
    ['two wrappers', 2],
    ['one wrapper', 1],
  ])('after a transient failure, a late 401 starts no new refresh (%s)', async (_, wrappers) => {
    let refreshes = 0
    const auth = track(
      createAuthClient({
        syncTabs: false,
        retry: { attempts: 4, baseDelay: 600_000, maxDelay: 600_000 },
        refresh: async (): Promise<TokenSet> => {
          refreshes++
          throw Object.assign(new Error('down'), { status: 503 })
        },
      }),
    )
    auth.setTokens({ accessToken: jwt(), refreshToken: 'rt' })
    const server = heldServer()
    const a = createAuthFetch(auth, { origins: [API], fetch: server.fetch })
    const b = wrappers === 2 ? createAuthFetch(auth, { origins: [API], fetch: server.fetch }) : a
    const pa = a(`${API}/a`)
    const pb = b(`${API}/b`)
    await tick()
    server.answer(0)
    expect((await pa).status).toBe(401)
    expect(refreshes).toBe(1)
    server.answer(1) // late: it left before that failure
    expect((await pb).status).toBe(401)
    expect(refreshes).toBe(1)
  })
})
