import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAuthFetch } from '../src'
import { useTokenApi } from './support/http'

/**
 * createAuthFetch against a real node:http server on 127.0.0.1. Native fetch reads its input, headers
 * and body when it is called; what the caller does with those objects afterwards (while a request waits
 * for a refresh, or before its 401 is replayed) does not change what goes on the wire.
 */

const server = useTokenApi({ refusal: 'x'.repeat(64 * 1024) })
const { hits } = server

afterEach(() => {
  vi.restoreAllMocks()
})

/**
 * A client whose refresh waits for `release()` and then issues a token the server accepts.
 * `expired`: the session's token has expired, so a request waits for the refresh before it is sent.
 * Otherwise the token is live but the server refuses it: the request gets a 401 and waits for the
 * refresh before its replay.
 */
const gatedClient = ({ expired = false } = {}) => server.client({ gated: true, refused: true, expired })

describe('createAuthFetch reads the request when it is called, as fetch does', () => {
  it('sends each request to the URL it was called with, when the app reuses a URL object during a refresh', async () => {
    const { auth, release } = gatedClient({ expired: true })
    const api = createAuthFetch(auth, { origins: [server.origin] })
    const url = new URL(`${server.origin}/items`)
    const pending: Promise<Response>[] = []
    for (const id of ['1', '2', '3']) {
      // The common pattern of building one URL and firing a request per item.
      url.searchParams.set('id', id)
      pending.push(api(url))
    }
    release()
    const responses = await Promise.all(pending)
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200])
    // Native fetch would have requested id=1, 2 and 3.
    expect(hits.map((h) => h.url).sort()).toEqual(['/items?id=1', '/items?id=2', '/items?id=3'])
  })

  it('sends the body it was called with, when the app reuses the body object during a refresh', async () => {
    const { auth, release } = gatedClient({ expired: true })
    const api = createAuthFetch(auth, { origins: [server.origin] })
    const form = new URLSearchParams()
    const pending: Promise<Response>[] = []
    for (const id of ['1', '2']) {
      form.set('id', id)
      pending.push(api(`${server.origin}/items`, { method: 'POST', body: form }))
    }
    release()
    await Promise.all(pending)
    expect(hits.map((h) => h.text).sort()).toEqual(['id=1', 'id=2'])
  })

  const bodies: Array<[string, () => { body: BodyInit; change: () => void }]> = [
    [
      'URLSearchParams',
      () => {
        const body = new URLSearchParams({ amount: '100' })
        return { body, change: () => body.set('amount', '999') }
      },
    ],
    [
      'FormData',
      () => {
        const body = new FormData()
        body.set('amount', '100')
        return { body, change: () => body.set('amount', '999') }
      },
    ],
    [
      'Uint8Array',
      () => {
        const body = new TextEncoder().encode('amount=100')
        return { body, change: () => body.set(new TextEncoder().encode('999'), 7) }
      },
    ],
    [
      'ArrayBuffer',
      () => {
        const bytes = new TextEncoder().encode('amount=100')
        return { body: bytes.buffer, change: () => bytes.set(new TextEncoder().encode('999'), 7) }
      },
    ],
  ]

  it.each(bodies)(
    'replays a 401 with the bytes first sent, when the app changes its %s body after the call',
    async (_, make) => {
      const { auth, release, refresh } = gatedClient()
      const api = createAuthFetch(auth, { origins: [server.origin] })
      const { body, change } = make()
      const pending = api(`${server.origin}/pay`, { method: 'POST', body })
      // The request went out with the body as it was at the call (native fetch copied it). The app
      // then reuses its object, e.g. for the next form submission.
      change()
      await vi.waitUntil(() => refresh.mock.calls.length === 1)
      release()
      expect((await pending).status).toBe(200)
      expect(hits).toHaveLength(2)
      expect(hits[0]!.text).toContain('100')
      expect(hits[1]!.text).toBe(hits[0]!.text)
    },
  )

  it.each([
    [
      'a Headers',
      () => {
        const headers = new Headers({ 'x-id': 'first' })
        return { headers, change: () => headers.set('x-id', 'second') }
      },
    ],
    [
      'a plain object',
      () => {
        const headers: Record<string, string> = { 'x-id': 'first' }
        return { headers, change: () => void (headers['x-id'] = 'second') }
      },
    ],
  ] as Array<[string, () => { headers: HeadersInit; change: () => void }]>)(
    'replays a 401 with the headers first sent, when the app changes %s after the call',
    async (_, make) => {
      const { auth, release, refresh } = gatedClient()
      const api = createAuthFetch(auth, { origins: [server.origin] })
      const { headers, change } = make()
      const pending = api(`${server.origin}/me`, { headers })
      change()
      await vi.waitUntil(() => refresh.mock.calls.length === 1)
      release()
      expect((await pending).status).toBe(200)
      expect(hits.map((h) => h.headers['x-id'])).toEqual(['first', 'first'])
    },
  )
})

describe('createAuthFetch and abort', () => {
  it("cancels the 401's body when the caller aborts while the replay waits for the refresh", async () => {
    const { auth, refresh, release } = gatedClient()
    const responses: Response[] = []
    const api = createAuthFetch(auth, {
      origins: [server.origin],
      fetch: async (input, init) => {
        const response = await fetch(input, init)
        responses.push(response)
        return response
      },
    })
    const controller = new AbortController()
    const reason = new Error('user left the page')
    const pending = api(`${server.origin}/me`, { signal: controller.signal })
    await vi.waitUntil(() => refresh.mock.calls.length === 1)
    controller.abort(reason)
    await expect(pending).rejects.toBe(reason)
    release()
    await auth.getAccessToken()
    expect(responses).toHaveLength(1)
    expect(responses[0]!.status).toBe(401)
    // Nobody will ever read this 64 KB body: unless it is cancelled, its connection stays busy
    // (undici keeps it until garbage collection).
    expect(responses[0]!.bodyUsed).toBe(true)
  })

  it("honours init.signal: null, which detaches the request from a Request's aborted signal (as fetch does)", async () => {
    const { auth } = server.client()
    const api = createAuthFetch(auth, { origins: [server.origin] })
    // A Request made with a signal that has since aborted (a cancelled page load), sent again on purpose.
    const request = new Request(`${server.origin}/me`, { signal: AbortSignal.abort() })
    expect((await fetch(request, { signal: null })).status).toBe(401) // native fetch sends it (no token)
    hits.length = 0
    const res = await api(request, { signal: null })
    expect(res.status).toBe(200)
    expect(hits).toHaveLength(1)
  })
})
