// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type AuthError, createAuthClient, type TokenStorage } from '../src'
import { flush, token } from './helpers'
import { clearCookies, recordCookieWrites } from './support/browser'

const modes = ['localStorage', 'sessionStorage', 'cookie'] as const

beforeEach(() => {
  localStorage.clear()
  sessionStorage.clear()
  clearCookies()
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
})

const throwing = {
  getItem() {
    throw new DOMException('denied', 'SecurityError')
  },
  setItem() {
    throw new DOMException('denied', 'SecurityError')
  },
  removeItem() {
    throw new DOMException('denied', 'SecurityError')
  },
}

describe.each(modes)('%s storage', (storage) => {
  it('hydrates a second client with the same storageKey in the right status with the same claims', () => {
    const a = createAuthClient({ storage, storageKey: 'app' })
    a.setTokens({ accessToken: token(300, { roles: ['x'] }), refreshToken: 'rt' })
    const b = createAuthClient({
      storage,
      storageKey: 'app',
      refresh: async () => ({ accessToken: token() }),
    })
    expect(b.getState()).toMatchObject({
      status: 'authenticated',
      claims: a.getState().claims,
      accessToken: a.getState().accessToken,
      expiresAt: a.getState().expiresAt,
      canRefresh: true,
    })
    a.destroy()
    b.destroy()
  })

  it('stores a versioned entry under the storageKey itself', () => {
    const a = createAuthClient({ storage, storageKey: 'k1' })
    a.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const raw =
      storage === 'cookie'
        ? decodeURIComponent(
            document.cookie
              .split('; ')
              .find((c) => c.startsWith('k1='))!
              .slice(3),
          )
        : (storage === 'localStorage' ? localStorage : sessionStorage).getItem('k1')!
    expect(JSON.parse(raw)).toMatchObject({ v: 1, at: a.getState().accessToken, rt: 'rt' })
    a.destroy()
  })

  it('a different storageKey is a different session', () => {
    createAuthClient({ storage, storageKey: 'one' }).setTokens({ accessToken: token() })
    expect(createAuthClient({ storage, storageKey: 'two' }).getState().status).toBe('unauthenticated')
  })

  it('removes the entry on logout', async () => {
    const a = createAuthClient({ storage, storageKey: 'k2' })
    a.setTokens({ accessToken: token() })
    await a.logout()
    expect(createAuthClient({ storage, storageKey: 'k2' }).getState().status).toBe('unauthenticated')
  })

  it.each([
    ['not JSON', '{nope'],
    ['no version', JSON.stringify({ at: 'x', rt: null, sk: 0, g: 1 })],
    ['an unknown version', JSON.stringify({ v: 2, at: 'x', rt: null, sk: 0, g: 1 })],
    ['a malformed token', JSON.stringify({ v: 1, at: 'a.b', rt: null, sk: 0, g: 1 })],
    ['a wrong-typed refresh token', JSON.stringify({ v: 1, at: token(), rt: 5, sk: 0, g: 1 })],
    ['a non-numeric skew', JSON.stringify({ v: 1, at: token(), rt: null, sk: 'x', g: 1 })],
    ['JSON null', 'null'],
    // An opaque token's expiry and lifetime (`x`) as digit strings: taken, they made `expiresAt` a string.
    [
      'an expiry of digit strings',
      JSON.stringify({
        v: 1,
        at: 'opaque',
        rt: null,
        sk: 0,
        g: 1,
        x: [String(Date.now() + 300_000), '300000'],
      }),
    ],
    [
      'an expiry that is one digit string',
      JSON.stringify({ v: 1, at: 'opaque', rt: null, sk: 0, g: 1, x: '99' }),
    ],
  ])('removes corrupt data (%s) and starts unauthenticated with storage_corrupt', async (_, raw) => {
    if (storage === 'cookie') document.cookie = `bad=${encodeURIComponent(raw)}; Path=/`
    else (storage === 'localStorage' ? localStorage : sessionStorage).setItem('bad', raw)
    const auth = createAuthClient({ storage, storageKey: 'bad' })
    const errors: AuthError[] = []
    auth.on('error', (e) => errors.push(e))
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', error: { code: 'storage_corrupt' } })
    await flush()
    expect(errors.map((e) => e.code)).toEqual(['storage_corrupt'])
    expect(createAuthClient({ storage, storageKey: 'bad' }).getState().error).toBeNull()
  })
})

describe('web storage faults', () => {
  it.each([
    ['throws on every call', () => vi.stubGlobal('localStorage', throwing)],
    [
      'throws when accessed',
      () =>
        // Stubbing first lets unstubAllGlobals restore the real property afterwards.
        vi.stubGlobal('localStorage', undefined) &&
        Object.defineProperty(globalThis, 'localStorage', {
          configurable: true,
          get() {
            throw new DOMException('denied', 'SecurityError')
          },
        }),
    ],
  ])('falls back to memory when the storage %s, and keeps working', async (_, install) => {
    install()
    const auth = createAuthClient({ storage: 'localStorage' })
    const errors: AuthError[] = []
    auth.on('error', (e) => errors.push(e))
    expect(auth.getState().error?.code).toBe('storage_unavailable')
    await flush()
    expect(errors.map((e) => e.code)).toEqual(['storage_unavailable'])
    const t = token()
    auth.setTokens({ accessToken: t })
    expect(await auth.getAccessToken()).toBe(t)
  })

  it('keeps a valid session in memory when a write fails with a quota error', () => {
    const auth = createAuthClient({ storage: 'localStorage' })
    vi.stubGlobal('localStorage', {
      getItem: () => null,
      removeItem: () => {},
      setItem() {
        throw new DOMException('full', 'QuotaExceededError')
      },
    })
    const onError = vi.fn()
    auth.on('error', onError)
    const t = token()
    const state = auth.setTokens({ accessToken: t, refreshToken: 'rt' })
    expect(state).toMatchObject({
      status: 'authenticated',
      accessToken: t,
      error: { code: 'storage_unavailable' },
    })
    expect(onError).toHaveBeenCalledTimes(1)
    // Later writes go to memory and do not fail again.
    auth.setTokens({ accessToken: token(500) })
    expect(onError).toHaveBeenCalledTimes(1)
  })

  it('reports garbage written by another script and writes the valid session back', () => {
    const auth = createAuthClient({ storage: 'localStorage', storageKey: 'ls' })
    const t = token()
    auth.setTokens({ accessToken: t, refreshToken: 'rt' })
    const good = localStorage.getItem('ls')
    localStorage.setItem('ls', 'garbage')
    window.dispatchEvent(
      new StorageEvent('storage', { key: 'ls', newValue: 'garbage', storageArea: localStorage }),
    )
    expect(auth.getState()).toMatchObject({
      status: 'authenticated',
      accessToken: t,
      error: { code: 'storage_corrupt' },
    })
    expect(localStorage.getItem('ls')).toBe(good)
  })

  it('sessionStorage, which no storage event covers: garbage found when the page wakes is reported and mended', () => {
    const auth = createAuthClient({ storage: 'sessionStorage', storageKey: 'ss' })
    const t = token()
    auth.setTokens({ accessToken: t, refreshToken: 'rt' })
    const good = sessionStorage.getItem('ss')
    const errors: string[] = []
    auth.on('error', (e) => errors.push(e.code))
    window.dispatchEvent(new Event('focus'))
    expect(errors).toEqual([]) // an unchanged entry is no news
    sessionStorage.setItem('ss', 'garbage')
    window.dispatchEvent(new Event('focus'))
    expect(auth.getState()).toMatchObject({
      status: 'authenticated',
      accessToken: t,
      error: { code: 'storage_corrupt' },
    })
    expect(errors).toEqual(['storage_corrupt'])
    expect(sessionStorage.getItem('ss')).toBe(good)
    // A reload takes the session, not the garbage.
    expect(createAuthClient({ storage: 'sessionStorage', storageKey: 'ss' }).getState().accessToken).toBe(t)
  })

  it.each([
    ['localStorage', (v: string) => localStorage.setItem('mine', v), () => localStorage.getItem('mine')],
    [
      'cookie',
      (v: string) => {
        document.cookie = `mine=${v}; Path=/`
      },
      () => document.cookie,
    ],
  ] as const)(
    '%s: garbage a script in this tab wrote, found by a refresh, is reported before it is replaced',
    async (storage, put, held) => {
      const auth = createAuthClient({
        storage,
        storageKey: 'mine',
        refresh: async () => ({ accessToken: token(600), refreshToken: 'rt-1' }),
      })
      auth.setTokens({ accessToken: token(), refreshToken: 'rt-0' })
      const events: string[] = []
      auth.on('error', (e) => events.push(e.code))
      auth.on('refresh', () => events.push('refresh'))
      // No storage event tells this tab of its own script's write.
      put('garbage')
      const renewed = await auth.refresh()
      expect(events).toEqual(['storage_corrupt', 'refresh'])
      // The refresh's success does not hide the garbage it found.
      expect(auth.getState()).toMatchObject({
        status: 'authenticated',
        accessToken: renewed,
        error: { code: 'storage_corrupt' },
      })
      expect(held()).not.toContain('garbage')
      auth.destroy()
      expect(createAuthClient({ storage, storageKey: 'mine' }).getState().accessToken).toBe(renewed)
    },
  )

  it.each([
    ['localStorage', (v: string) => localStorage.setItem('seen', v), () => localStorage.getItem('seen')],
    [
      'cookie',
      (v: string) => {
        document.cookie = `seen=${v}; Path=/`
      },
      () => decodeURIComponent(document.cookie.replace(/^(?:.*; )?seen=([^;]*).*$/, '$1')),
    ],
  ] as const)(
    '%s: a new tab that removes garbage the open tab has not seen signs nobody out; both keep the session',
    async (storage, put, held) => {
      // Two clients in one window stand in for two tabs: they share storage and a BroadcastChannel name.
      const one = createAuthClient({ storage, storageKey: 'seen' })
      const t = token(600, { sub: 'alice' })
      one.setTokens({ accessToken: t, refreshToken: 'rt-0' })
      const events: string[] = []
      one.on('logout', (e) => events.push(`one: logout ${e.reason}`))
      // Written by a script of tab one: no storage event there (a cookie has none anywhere).
      put('garbage')
      const two = createAuthClient({ storage, storageKey: 'seen' })
      two.on('login', () => events.push('two: login'))
      expect(two.getState()).toMatchObject({ status: 'unauthenticated', error: { code: 'storage_corrupt' } })
      await vi.waitFor(() => expect(two.getState().accessToken).toBe(t))
      // Tab one wakes up and reads storage: its session is there, written back.
      window.dispatchEvent(new Event('focus'))
      await flush()
      expect(one.getState()).toMatchObject({ status: 'authenticated', accessToken: t, error: null })
      expect(events).toEqual(['two: login'])
      expect(JSON.parse(held()!)).toMatchObject({ at: t, rt: 'rt-0' })
      one.destroy()
      two.destroy()
    },
  )

  it('a listener told of that garbage signs out: the refresh spends nothing and nothing comes back', async () => {
    const refresh = vi.fn(async () => ({ accessToken: token(600), refreshToken: 'rt-1' }))
    const auth = createAuthClient({ storage: 'localStorage', storageKey: 'mine', refresh })
    auth.setTokens({ accessToken: token(), refreshToken: 'rt-0' })
    auth.on('error', () => auth.logout())
    localStorage.setItem('mine', 'garbage')
    const settled = await auth.refresh().then(String, (e: AuthError) => e.code)
    expect(settled).toBe('no_refresh')
    expect(refresh).not.toHaveBeenCalled()
    expect(auth.getState().status).toBe('unauthenticated')
    expect(localStorage.getItem('mine')).toBeNull()
  })

  it('an async storage of this tab alone is not read when the page wakes (its read would be dropped)', async () => {
    const entries = new Map<string, string>()
    let reads = 0
    const store: TokenStorage = {
      get: async (key) => {
        // After start-up the store fails: a read made and dropped would be an unhandled rejection.
        if (++reads > 1) throw new Error('store closed')
        return entries.get(key) ?? null
      },
      set: async (key, value) => void entries.set(key, value),
      remove: async (key) => void entries.delete(key),
    }
    const auth = createAuthClient({ storage: store, storageKey: 'async-alone' })
    await auth.ready
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    window.dispatchEvent(new Event('focus'))
    await flush()
    expect(reads).toBe(1)
    expect(auth.getState()).toMatchObject({ status: 'authenticated', error: null })
    auth.destroy()
  })

  it('follows a session written by another tab and a logout in another tab', () => {
    const auth = createAuthClient({ storage: 'localStorage', storageKey: 'tab' })
    const other = createAuthClient({ storage: 'localStorage', storageKey: 'tab', syncTabs: false })
    const events: string[] = []
    auth.on('login', () => events.push('login'))
    auth.on('logout', (e) => events.push(`logout:${e.reason}`))
    other.setTokens({ accessToken: token() })
    const raw = localStorage.getItem('tab')
    window.dispatchEvent(
      new StorageEvent('storage', { key: 'tab', newValue: raw, storageArea: localStorage }),
    )
    expect(auth.getState().accessToken).toBe(other.getState().accessToken)
    localStorage.removeItem('tab')
    window.dispatchEvent(
      new StorageEvent('storage', { key: 'tab', newValue: null, storageArea: localStorage }),
    )
    expect(auth.getState().status).toBe('unauthenticated')
    expect(events).toEqual(['login', 'logout:other_tab'])
  })
})

describe('cookie storage', () => {
  it('writes SameSite=Strict, Path=/ and a 30-day Max-Age, without Secure on http', () => {
    const writes = recordCookieWrites()
    createAuthClient({ storage: 'cookie', storageKey: 'ck' }).setTokens({ accessToken: token() })
    expect(writes.at(-1)).toMatch(/^ck=[^;]+; Path=\/; Max-Age=2592000; SameSite=Strict$/)
  })

  it('adds Secure on https pages, and honours configured attributes', () => {
    const writes = recordCookieWrites()
    vi.spyOn(window, 'location', 'get').mockReturnValue({
      ...window.location,
      protocol: 'https:',
    } as Location)
    createAuthClient({ storage: 'cookie', storageKey: 'ck' }).setTokens({ accessToken: token() })
    // happy-dom's own jar (an http page) keeps neither cookie, so each client then falls back to
    // memory and removes it again: the first write for each name is the one under test.
    expect(writes.find((w) => w.startsWith('ck='))).toMatch(/; SameSite=Strict; Secure$/)
    createAuthClient({
      storage: 'cookie',
      storageKey: 'ck2',
      cookie: { path: '/app', sameSite: 'lax', maxAge: 60, secure: false },
    }).setTokens({ accessToken: token() })
    expect(writes.find((w) => w.startsWith('ck2='))).toMatch(
      /^ck2=[^;]+; Path=\/app; Max-Age=60; SameSite=Lax$/,
    )
  })

  it('keeps a session too large for a cookie in memory, reports it, and writes later ones that fit', () => {
    const auth = createAuthClient({ storage: 'cookie', storageKey: 'big' })
    const onError = vi.fn()
    auth.on('error', onError)
    auth.setTokens({ accessToken: token() })
    const large = token(300, { blob: 'x'.repeat(5000) })
    const state = auth.setTokens({ accessToken: large })
    expect(state).toMatchObject({
      status: 'authenticated',
      accessToken: large,
      error: { code: 'storage_unavailable' },
    })
    expect(onError).toHaveBeenCalledTimes(1)
    expect(document.cookie).not.toMatch(/big=[^;]/)
    const small = token(600)
    auth.setTokens({ accessToken: small })
    expect(createAuthClient({ storage: 'cookie', storageKey: 'big' }).getState().accessToken).toBe(small)
  })

  it('falls back to memory when cookies are disabled', () => {
    vi.spyOn(document, 'cookie', 'set').mockImplementation(() => {})
    const auth = createAuthClient({ storage: 'cookie', storageKey: 'off' })
    const t = token()
    expect(auth.setTokens({ accessToken: t })).toMatchObject({
      accessToken: t,
      error: { code: 'storage_unavailable' },
    })
  })

  it('falls back to memory when a write is lost and the cookie keeps what it held before', () => {
    const old = createAuthClient({ storage: 'cookie', storageKey: 'kept' })
    old.setTokens({ accessToken: token() })
    old.destroy()
    vi.spyOn(document, 'cookie', 'set').mockImplementation(() => {})
    const auth = createAuthClient({ storage: 'cookie', storageKey: 'kept' })
    expect(auth.setTokens({ accessToken: token(600) }).error?.code).toBe('storage_unavailable')
  })

  it('a tab that writes the cookie just after this one (shared at once across processes) is no failure', () => {
    // Tab A's write, then tab B's, both before A reads its cookie back: A finds B's entry there.
    let proto = Object.getPrototypeOf(document)
    while (!Object.getOwnPropertyDescriptor(proto, 'cookie')) proto = Object.getPrototypeOf(proto)
    const cookie = Object.getOwnPropertyDescriptor(proto, 'cookie')!
    const other = createAuthClient({ storage: 'memory' })
    other.setTokens({ accessToken: token(900, { sub: 'bob' }) })
    let raced = false
    vi.spyOn(document, 'cookie', 'set').mockImplementation((value: string) => {
      cookie.set!.call(document, value)
      if (raced || !value.startsWith('crossed=')) return
      raced = true
      cookie.set!.call(document, `crossed=${encodeURIComponent('{"v":1,"other":"tab"}')}; path=/`)
    })
    const auth = createAuthClient({ storage: 'cookie', storageKey: 'crossed' })
    const errors: string[] = []
    auth.on('error', (e) => errors.push(e.code))
    const state = auth.setTokens({ accessToken: token(600, { sub: 'alice' }) })
    expect(raced).toBe(true)
    expect(state.error).toBeNull()
    expect(errors).toEqual([])
    other.destroy()
  })
})

describe('custom TokenStorage', () => {
  function asyncStorage(initial: Record<string, string> = {}) {
    const data = new Map(Object.entries(initial))
    const storage: TokenStorage = {
      get: async (k) => data.get(k) ?? null,
      set: async (k, v) => {
        data.set(k, v)
      },
      remove: async (k) => {
        data.delete(k)
      },
    }
    return { storage, data }
  }

  it('starts loading and resolves ready once read', async () => {
    const { storage, data } = asyncStorage()
    const a = createAuthClient({ storage })
    a.setTokens({ accessToken: token() })
    await flush()
    expect(data.size).toBe(1)
    const b = createAuthClient({ storage })
    expect(b.getState().status).toBe('loading')
    const states: string[] = []
    b.subscribe((s) => states.push(s.status))
    await b.ready
    expect(b.getState()).toMatchObject({ status: 'authenticated', claims: a.getState().claims })
    expect(states).toEqual(['authenticated'])
  })

  it('a logout() made while storage is still read revokes the session stored there, and removes it', async () => {
    const { storage, data } = asyncStorage()
    const t = token()
    createAuthClient({ storage }).setTokens({ accessToken: t, refreshToken: 'stored-rt' })
    await flush()
    const revoked: unknown[] = []
    const b = createAuthClient({
      storage,
      logout: async ({ accessToken, refreshToken }) => {
        revoked.push({ accessToken, refreshToken })
      },
    })
    expect(b.getState().status).toBe('loading')
    await b.logout()
    expect(revoked).toEqual([{ accessToken: t, refreshToken: 'stored-rt' }])
    expect(b.getState()).toMatchObject({ status: 'unauthenticated', accessToken: null })
    expect(data.size).toBe(0)
    // Nothing stored, or garbage: there is nothing to revoke.
    data.set('latchkey', '{"v":1')
    const c = createAuthClient({ storage, logout: async (t) => void revoked.push(t.refreshToken) })
    await c.logout()
    expect(revoked.slice(1)).toEqual([null])
  })

  it('getAccessToken waits for the storage to be read', async () => {
    const { storage } = asyncStorage()
    const t = token()
    const a = createAuthClient({ storage })
    a.setTokens({ accessToken: t })
    await flush()
    expect(await createAuthClient({ storage }).getAccessToken()).toBe(t)
  })

  it('falls back to memory when get rejects, and when set rejects', async () => {
    const failing: TokenStorage = {
      get: () => Promise.reject(new Error('db closed')),
      set: () => Promise.reject(new Error('db closed')),
      remove: () => Promise.reject(new Error('db closed')),
    }
    const auth = createAuthClient({ storage: failing })
    const errors: string[] = []
    auth.on('error', (e) => errors.push(e.code))
    await auth.ready
    expect(auth.getState()).toMatchObject({
      status: 'unauthenticated',
      error: { code: 'storage_unavailable' },
    })
    expect(errors).toEqual(['storage_unavailable'])

    const { storage } = asyncStorage()
    storage.set = () => Promise.reject(new Error('quota'))
    const b = createAuthClient({ storage })
    await b.ready
    const t = token()
    b.setTokens({ accessToken: t })
    await flush()
    expect(b.getState()).toMatchObject({ accessToken: t, error: { code: 'storage_unavailable' } })
  })

  it('removes corrupt data from an async storage', async () => {
    const { storage, data } = asyncStorage({ latchkey: '{"v":1}' })
    const auth = createAuthClient({ storage })
    const errors: string[] = []
    auth.on('error', (e) => errors.push(e.code))
    await auth.ready
    await flush()
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', error: { code: 'storage_corrupt' } })
    expect(errors).toEqual(['storage_corrupt'])
    expect(data.size).toBe(0)
  })

  it('takes undefined for a missing key as no entry (idb-keyval), sync or async, and shared', async () => {
    const { storage, data } = asyncStorage()
    const get = storage.get
    storage.get = async (k) => (await get(k)) ?? (undefined as never)
    const auth = createAuthClient({ storage })
    await auth.ready
    expect(auth.getState()).toMatchObject({ status: 'unauthenticated', error: null })
    const sync = createAuthClient({ storage: { ...storage, get: () => undefined as never } })
    expect(sync.getState()).toMatchObject({ status: 'unauthenticated', error: null })

    // Shared (it has subscribe): an entry removed by another tab, read back as undefined, is a sign-out.
    const shared = createAuthClient({ storage: { ...storage, subscribe: () => () => {} } })
    shared.setTokens({ accessToken: token(), refreshToken: 'rt' })
    await flush()
    expect(data.size).toBe(1)
    data.clear()
    window.dispatchEvent(new Event('focus'))
    await flush()
    expect(shared.getState()).toMatchObject({ status: 'unauthenticated', error: null })
    for (const c of [auth, sync, shared]) c.destroy()
  })

  describe('a page that wakes (focus) while a shared async storage is still read at start-up', () => {
    /** A shared async storage whose reads answer only when released: all in order, or the last first. */
    function held(value: string) {
      const reads: Array<() => void> = []
      const data = new Map([['latchkey', value]])
      const storage: TokenStorage = {
        // The first two reads (the start-up one and the wake's) wait; later ones answer at once.
        get: (k) =>
          new Promise((resolve) => {
            const answer = () => resolve(data.get(k) ?? null)
            if (reads.length < 2) reads.push(answer)
            else answer()
          }),
        set: async (k, v) => {
          data.set(k, v)
        },
        remove: async (k) => {
          data.delete(k)
        },
        subscribe: () => () => {},
      }
      return { storage, data, reads }
    }
    const record = (auth: ReturnType<typeof createAuthClient>) => {
      const events: string[] = []
      for (const type of ['login', 'refresh', 'logout', 'expired', 'error'] as const)
        auth.on(type, (e) => events.push(type === 'error' ? `error:${(e as AuthError).code}` : type))
      return events
    }

    it('reports corrupt data found at start-up once', async () => {
      const { storage, data, reads } = held('{"v":2}')
      const auth = createAuthClient({ storage })
      const events = record(auth)
      window.dispatchEvent(new Event('focus'))
      for (const read of [...reads]) read()
      await auth.ready
      await flush()
      expect(auth.getState()).toMatchObject({ status: 'unauthenticated', error: { code: 'storage_corrupt' } })
      expect(events).toEqual(['error:storage_corrupt'])
      expect(data.size).toBe(0)
      auth.destroy()
    })

    it('announces no sign-in for the session storage held all along (the wake read answering first)', async () => {
      const t = token()
      const { storage, reads } = held(JSON.stringify({ v: 1, at: t, rt: 'rt', sk: 0, g: 1, id: 'sign-in' }))
      const auth = createAuthClient({ storage })
      const events = record(auth)
      window.dispatchEvent(new Event('focus'))
      // The wake's read, if it makes one, answers first (a storage whose first read opens it, say), then
      // the start-up one.
      reads[1]?.()
      await flush()
      reads[0]!()
      await auth.ready
      await flush()
      expect(auth.getState()).toMatchObject({ status: 'authenticated', accessToken: t })
      expect(events).toEqual([])
      auth.destroy()
    })
  })
})
