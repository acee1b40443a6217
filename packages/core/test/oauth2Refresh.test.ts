import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createAuthClient, oauth2Refresh, type RefreshError } from '../src'
import { token } from './helpers'

const endpoint = 'https://id.example.com/oauth/token'
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const refresh = oauth2Refresh({ tokenEndpoint: endpoint, clientId: 'spa', scope: 'openid api' })
const context = (refreshToken: string | null = 'rt-1') => ({
  refreshToken,
  accessToken: 'ignored',
  signal: new AbortController().signal,
})

function answer(status: number, body: string | Record<string, unknown>, contentType = 'application/json') {
  const seen: Array<{ contentType: string | null; body: URLSearchParams }> = []
  server.use(
    http.post(endpoint, async ({ request }) => {
      seen.push({
        contentType: request.headers.get('content-type'),
        body: new URLSearchParams(await request.text()),
      })
      return typeof body === 'string'
        ? new HttpResponse(body, { status, headers: { 'Content-Type': contentType } })
        : HttpResponse.json(body, { status })
    }),
  )
  return seen
}

describe('oauth2Refresh', () => {
  it('sends an RFC 6749 §6 form-encoded refresh grant and maps the response', async () => {
    const at = token()
    const seen = answer(200, {
      access_token: at,
      token_type: 'Bearer',
      expires_in: 300,
      refresh_token: 'rt-2',
      scope: 'openid api',
    })
    expect(await refresh(context())).toEqual({ accessToken: at, refreshToken: 'rt-2', expiresIn: 300 })
    expect(seen[0]!.contentType).toMatch(/^application\/x-www-form-urlencoded/)
    expect(Object.fromEntries(seen[0]!.body)).toEqual({
      grant_type: 'refresh_token',
      client_id: 'spa',
      refresh_token: 'rt-1',
      scope: 'openid api',
    })
  })

  it('omits refreshToken when the server does not rotate, so the client keeps the current one', async () => {
    answer(200, { access_token: 'opaque-at', token_type: 'Bearer', expires_in: '60' })
    expect(await refresh(context())).toEqual({ accessToken: 'opaque-at', expiresIn: 60 })
  })

  it('reads expires_in as a number or a decimal string', async () => {
    for (const [expires_in, expiresIn] of [
      [3600, 3600],
      ['3600', 3600],
      [' 90.5 ', 90.5],
      [0, 0],
    ] as const) {
      answer(200, { access_token: 'at-2', expires_in })
      expect(await refresh(context())).toEqual({ accessToken: 'at-2', expiresIn })
    }
  })

  it('takes an empty or non-numeric expires_in as absent, as it does an empty refresh_token', async () => {
    for (const expires_in of ['', ' ', true, [], null, '12abc', '0x10', '1e3', '-60', 'Infinity']) {
      answer(200, { access_token: 'at-2', expires_in, refresh_token: '' })
      expect(await refresh(context())).toEqual({ accessToken: 'at-2' })
    }
  })

  it('sends extra parameters such as resource', async () => {
    const seen = answer(200, { access_token: token(), expires_in: 300 })
    const withResource = oauth2Refresh({
      tokenEndpoint: endpoint,
      clientId: 'spa',
      params: { resource: 'https://api' },
    })
    await withResource(context())
    expect(seen[0]!.body.get('resource')).toBe('https://api')
    expect(seen[0]!.body.get('grant_type')).toBe('refresh_token')
  })

  it('sends a scope given in params when the scope option is not set', async () => {
    const seen = answer(200, { access_token: token(), expires_in: 300 })
    const withScope = oauth2Refresh({
      tokenEndpoint: endpoint,
      clientId: 'spa',
      params: { scope: 'offline_access' },
    })
    await withScope(context())
    expect(seen[0]!.body.get('scope')).toBe('offline_access')
  })

  it('the scope option wins over a scope in params, as grant_type and client_id do', async () => {
    const seen = answer(200, { access_token: token(), expires_in: 300 })
    const both = oauth2Refresh({
      tokenEndpoint: endpoint,
      clientId: 'spa',
      scope: 'openid',
      params: { scope: 'other', grant_type: 'password', client_id: 'other' },
    })
    await both(context())
    expect(seen[0]!.body.getAll('scope')).toEqual(['openid'])
    expect(seen[0]!.body.get('grant_type')).toBe('refresh_token')
    expect(seen[0]!.body.get('client_id')).toBe('spa')
  })

  it('sends no refresh_token with refreshWithoutToken (cookie-held)', async () => {
    const seen = answer(200, { access_token: token(), expires_in: 300 })
    await refresh(context(null))
    expect(seen[0]!.body.has('refresh_token')).toBe(false)
  })

  it.each([
    [400, { error: 'invalid_grant', error_description: 'Token reused' }, 'refresh_rejected', true],
    [401, { error: 'invalid_client' }, 'refresh_rejected', true],
    [400, { error: 'invalid_request' }, 'refresh_rejected', true],
    [200, { error: 'invalid_grant' }, 'refresh_rejected', true],
    [200, { error: 'bad_refresh_token' }, 'refresh_rejected', true],
    [500, { error: 'server_error' }, 'refresh_failed', false],
    [503, { error: 'temporarily_unavailable' }, 'refresh_failed', false],
  ])('turns %i %j into a RefreshError (%s)', async (status, body, code, permanent) => {
    answer(status, body)
    const e = (await refresh(context()).catch((x) => x)) as RefreshError
    expect(e).toMatchObject({ name: 'RefreshError', code, permanent, status })
    expect(e.cause).toMatchObject({ error: body.error })
    expect(e.message).toContain(body.error)
  })

  it.each([
    [502, '<html><body>Bad gateway</body></html>', 'text/html', false],
    [200, 'not json at all', 'text/plain', false],
    [401, '<html>login</html>', 'text/html', true],
  ])('a %i non-JSON body is a RefreshError', async (status, body, type, permanent) => {
    answer(status, body, type)
    const e = (await refresh(context()).catch((x) => x)) as RefreshError
    expect(e).toMatchObject({ name: 'RefreshError', permanent, status })
  })

  it.each([
    ['a 429 with delay-seconds', 429, '{"error":"slow_down"}', { 'Retry-After': '30' }, 30],
    ['a 503 HTML page from a proxy', 503, '<html>maintenance</html>', { 'Retry-After': ' 120 ' }, 120],
    ['a 503 without Retry-After', 503, '{"error":"temporarily_unavailable"}', {}, undefined],
    ['a Retry-After that is neither seconds nor a date', 429, '{}', { 'Retry-After': 'soon' }, undefined],
    [
      'a Retry-After date in the past',
      503,
      '{}',
      { 'Retry-After': 'Thu, 01 Jan 1970 00:00:00 GMT' },
      undefined,
    ],
  ])('%s: retryAfter %s', async (_, status, body, headers, retryAfter) => {
    server.use(http.post(endpoint, () => new HttpResponse(body, { status, headers })))
    const e = (await refresh(context()).catch((x) => x)) as RefreshError
    expect(e).toMatchObject({ name: 'RefreshError', code: 'refresh_failed', status })
    expect(e.retryAfter).toBe(retryAfter)
  })

  it.each([
    ['a 200', 200, { access_token: 'at-2', expires_in: 300 }, { accessToken: 'at-2' }],
    ['a 401 invalid_grant', 401, { error: 'invalid_grant' }, { permanent: true, status: 401 }],
  ])('a custom fetch whose headers.get throws: %s is read as before', async (_, status, body, expected) => {
    // A fetch polyfill or wrapper of a native HTTP plugin, with a headers object of its own.
    const fetch = async () =>
      ({
        status,
        ok: status < 300,
        headers: {
          get() {
            throw new TypeError('headers unavailable')
          },
        },
        json: async () => body,
      }) as unknown as Response
    const result = await oauth2Refresh({ tokenEndpoint: endpoint, clientId: 'spa', fetch })(context()).catch(
      (e: unknown) => e,
    )
    expect(result).toMatchObject(expected)
  })

  // The three forms of RFC 9110 §5.6.7, all in GMT: asctime's says no zone, and is not local time.
  it.each([
    ['IMF-fixdate', (d: Date) => d.toUTCString()],
    [
      'rfc850-date',
      (d: Date) => {
        const [, date, month, year, time] = d.toUTCString().replace(',', '').split(' ')
        const day = d.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' })
        return `${day}, ${date}-${month}-${year!.slice(2)} ${time} GMT`
      },
    ],
    [
      'asctime-date',
      (d: Date) => {
        const [day, date, month, year, time] = d.toUTCString().replace(',', '').split(' ')
        return `${day} ${month} ${date!.replace(/^0/, ' ').padStart(2)} ${time} ${year}`
      },
    ],
  ])('a Retry-After %s is read as seconds from now, in any time zone', async (_, format) => {
    const zone = process.env.TZ
    try {
      for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata']) {
        process.env.TZ = tz
        const at = format(new Date(Date.now() + 60_000))
        server.use(
          http.post(endpoint, () => HttpResponse.json({}, { status: 429, headers: { 'Retry-After': at } })),
        )
        const e = (await refresh(context()).catch((x) => x)) as RefreshError
        // HTTP dates have whole seconds: 59–60 s from now.
        expect(e.retryAfter, `${at} in ${tz}`).toBeGreaterThan(58)
        expect(e.retryAfter, `${at} in ${tz}`).toBeLessThanOrEqual(60)
      }
    } finally {
      if (zone === undefined) delete process.env.TZ
      else process.env.TZ = zone
    }
  })

  it('an error body that quotes the refresh token back passes none of it on', async () => {
    // Spring Security OAuth's DefaultTokenServices answers `Invalid refresh token: <the token>`; a
    // server may put it in `error` too. The RefreshError reaches refreshError events and logs.
    const rt = 'rt-SECRET-Q7xK2s'
    for (const body of [
      { error: 'invalid_grant', error_description: `Invalid refresh token: ${rt}` },
      { error: `invalid_grant ${rt}`, error_description: [rt] },
    ]) {
      answer(400, body)
      const e = (await refresh(context(rt)).catch((x) => x)) as RefreshError
      expect(e).toMatchObject({ name: 'RefreshError', code: 'refresh_rejected', status: 400 })
      const printed = `${e.message} ${e.stack} ${JSON.stringify(e)} ${JSON.stringify(e.cause)}`
      expect(printed).not.toContain('Q7xK2s')
    }
    // What the server said around it stays.
    answer(400, { error: 'invalid_grant', error_description: `Invalid refresh token: ${rt}` })
    const e = (await refresh(context(rt)).catch((x) => x)) as RefreshError
    expect(e.cause).toMatchObject({ error: 'invalid_grant' })
    expect((e.cause as { error_description: string }).error_description).toMatch(/^Invalid refresh token: /)
  })

  it('a refresh token quoted back encoded, as the form carried it or a URL would, passes none of it on', async () => {
    // A server that echoes the raw form parameter, or a URL holding the token, quotes it encoded.
    const rt = 'rt+SECRET/Q7xK2s== (x)!~.*'
    const quoted = [
      encodeURIComponent(rt),
      // URLSearchParams, as Java's URLEncoder, also encodes `!'()~` and leaves `*`.
      new URLSearchParams({ refresh_token: rt }).toString().slice('refresh_token='.length),
      encodeURIComponent(rt).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
      rt.replace('.', '%2E'),
    ]
    for (const q of quoted) {
      answer(400, { error: `invalid_grant:${q}`, error_description: `Invalid refresh token: ${q}.` })
      const e = (await refresh(context(rt)).catch((x) => x)) as RefreshError
      const printed = `${e.message} ${e.stack} ${JSON.stringify(e)} ${JSON.stringify(e.cause)}`
      expect(printed, q).not.toContain('Q7xK2s')
      // What the server said around it stays.
      expect(e.cause).toEqual({
        error: 'invalid_grant:[redacted]',
        error_description: 'Invalid refresh token: [redacted].',
      })
    }
  })

  it('redacts the token alone: a `.` in it stands for a `.`, not any character', async () => {
    // (A `.` matching anything made 24 of them take 0.1 s, each two more 4 to 5 times that.)
    const rt = `${'a.'.repeat(24)}b`
    const near = `${'aX'.repeat(24)}b ${'a.'.repeat(23)}ab`
    answer(400, { error: 'invalid_grant', error_description: `${near} / ${rt}` })
    const e = (await refresh(context(rt)).catch((x) => x)) as RefreshError
    expect((e.cause as { error_description: string }).error_description).toBe(`${near} / [redacted]`)
  })

  // A fetch that honours the signal rejects the body read with the abort; one that ignores it hands
  // its parser what it got, which fails with a message that quotes it.
  it.each([
    ['a fetch that honours the signal', 400, (signal: AbortSignal) => Promise.reject(signal.reason)],
    [
      'a fetch that ignores it',
      200,
      () => Promise.resolve().then(() => JSON.parse('{"access_token":"at-SECRET')),
    ],
  ])(
    'an abort while the body is read rejects with the abort, not a body without JSON: %s',
    async (_, status, read) => {
      const controller = new AbortController()
      const fetch = async () =>
        ({
          status,
          ok: status < 300,
          headers: new Headers(),
          json: () => {
            controller.abort()
            return read(controller.signal)
          },
        }) as unknown as Response
      const refresh = oauth2Refresh({ tokenEndpoint: endpoint, clientId: 'spa', fetch })
      const e = await refresh({ ...context(), signal: controller.signal }).catch((x: unknown) => x)
      expect(e).toBe(controller.signal.reason)
      expect(e).toMatchObject({ name: 'AbortError' })
    },
  )

  it('a body that is not JSON leaves no trace of itself in the error (it may hold a token)', async () => {
    for (const body of ['at-Q7xK2s', '{"access_token":opaqueSECRET}']) {
      answer(200, body, 'text/plain')
      const e = (await refresh(context()).catch((x) => x)) as RefreshError
      expect(e).toMatchObject({ name: 'RefreshError', status: 200 })
      const printed = `${e.message} ${String(e.cause)} ${JSON.stringify(e)}`
      expect(printed).not.toMatch(/Q7xK2s|SECRET/)
    }
  })

  it.each([
    ['omitted', {}],
    ['null', { refresh_token: null }],
    ['empty', { refresh_token: '' }],
  ])('a refresh_token that is %s keeps the current one (RFC 6749 §6)', async (_, extra) => {
    const seen: Array<string | null> = []
    server.use(
      http.post(endpoint, async ({ request }) => {
        seen.push(new URLSearchParams(await request.text()).get('refresh_token'))
        return HttpResponse.json({ access_token: token(300), expires_in: 300, ...extra })
      }),
    )
    const auth = createAuthClient({ refresh })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt-1' })
    await auth.refresh()
    await auth.refresh()
    expect(seen).toEqual(['rt-1', 'rt-1'])
    expect(auth.getState().canRefresh).toBe(true)
    auth.destroy()
  })

  it('an empty or null error in a 2xx with tokens is no error (a server that serializes every field)', async () => {
    // Since a 2xx that names an error ends the session, an empty one must not count as one.
    const at = token()
    for (const error of ['', null]) {
      answer(200, { access_token: at, expires_in: 300, refresh_token: 'rt-2', error, error_description: '' })
      expect(await refresh(context())).toEqual({ accessToken: at, refreshToken: 'rt-2', expiresIn: 300 })
    }
    // Through a client: the session goes on with the new tokens.
    const auth = createAuthClient({ refresh })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt-1' })
    answer(200, { access_token: at, expires_in: 300, refresh_token: 'rt-2', error: '' })
    await expect(auth.refresh()).resolves.toBe(at)
    expect(auth.getState().status).toBe('authenticated')
    auth.destroy()
    // A failure status with an empty error is a failure, named by its status.
    answer(503, { error: '' })
    const e = (await refresh(context()).catch((x) => x)) as RefreshError
    expect(e).toMatchObject({ code: 'refresh_failed', permanent: false, status: 503 })
    expect(e.message).toBe('Token endpoint error: 503')
  })

  it('a success without access_token is handed to the client, which rejects it as permanent', async () => {
    answer(200, { token_type: 'Bearer' })
    const auth = createAuthClient({ refresh })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt-1' })
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_rejected' })
    expect(auth.getState().status).toBe('unauthenticated')
  })

  it('drives a client through rotation and then invalid_grant', async () => {
    let current = 'rt-1'
    server.use(
      http.post(endpoint, async ({ request }) => {
        const rt = new URLSearchParams(await request.text()).get('refresh_token')
        if (rt !== current) return HttpResponse.json({ error: 'invalid_grant' }, { status: 400 })
        current = `rt-${Number(current.slice(3)) + 1}`
        return HttpResponse.json({ access_token: token(300), refresh_token: current, expires_in: 300 })
      }),
    )
    const auth = createAuthClient({ refresh })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt-1' })
    await auth.refresh()
    await auth.refresh()
    expect(current).toBe('rt-3')
    current = 'revoked'
    const logout: string[] = []
    auth.on('logout', (e) => logout.push(e.reason))
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_rejected', status: 400 })
    expect(logout).toEqual(['refresh_rejected'])
  })

  it('a network error is transient', async () => {
    server.use(http.post(endpoint, () => HttpResponse.error()))
    const auth = createAuthClient({ refresh })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt-1' })
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_failed', permanent: false })
    expect(auth.getState().status).toBe('authenticated')
    auth.destroy()
  })
})
