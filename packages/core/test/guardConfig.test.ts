import { describe, expect, it, vi } from 'vitest'
import { createOriginMatcher, guardConfig } from '../src'

/**
 * guardConfig(allowed) readies each axios config that carries the token (@latchkey/axios): `redact`
 * names Authorization, and `beforeRedirect` strips the header on a hop to an origin not allowed.
 */
const allowed = createOriginMatcher(['https://api.example.com'])
type Options = { href?: string; headers?: Record<string, unknown> }
const hop = (href: string, headers: Record<string, unknown>): Options => ({ href, headers })

describe('guardConfig', () => {
  it('gives every config the same beforeRedirect: nothing is made per request', () => {
    const guard = guardConfig(allowed)
    const a: { beforeRedirect?: (o: Options) => void } = {}
    const b: { beforeRedirect?: (o: Options) => void } = {}
    guard(a)
    guard(b)
    expect(a.beforeRedirect).toBeTypeOf('function')
    expect(b.beforeRedirect).toBe(a.beforeRedirect)
    // A config sent again (a retry) is not wrapped twice.
    guard(a)
    expect(a.beforeRedirect).toBe(b.beforeRedirect)
  })

  it('strips Authorization, in any spelling, on a hop to an origin not allowed, and keeps it on one allowed', () => {
    const config: { beforeRedirect?: (o: Options) => void } = {}
    guardConfig(allowed)(config)
    const away = hop('https://x.api.example.com/landing', { AUTHORIZATION: 'Bearer t', accept: '*/*' })
    config.beforeRedirect!(away)
    expect(away.headers).toEqual({ accept: '*/*' })
    const within = hop('https://api.example.com/next', { authorization: 'Bearer t' })
    config.beforeRedirect!(within)
    expect(within.headers).toEqual({ authorization: 'Bearer t' })
  })

  it("runs the app's own beforeRedirect after the header is gone, with every argument", () => {
    const own = vi.fn((options: Options, ..._rest: unknown[]) => ({ ...options.headers }))
    const config: { beforeRedirect?: (o: Options, ...rest: unknown[]) => void } = { beforeRedirect: own }
    guardConfig(allowed)(config)
    expect(config.beforeRedirect).not.toBe(own)
    const away = hop('https://evil.example/', { Authorization: 'Bearer t' })
    config.beforeRedirect!(away, { statusCode: 302 }, { url: 'https://api.example.com/' })
    expect(own).toHaveBeenCalledWith(away, { statusCode: 302 }, { url: 'https://api.example.com/' })
    expect(own.mock.results[0]!.value).toEqual({})
  })

  it.each([
    ['no redact', undefined, ['Authorization']],
    ['an array', ['X-Api-Key'], ['X-Api-Key', 'Authorization']],
    ['not an array (axios ignores it)', true, ['Authorization']],
  ])('redact: %s', (_, redact, expected) => {
    const config: { redact?: unknown } = { redact }
    guardConfig(allowed)(config)
    expect(config.redact).toEqual(expected)
  })

  describe('with sentTo: the header checked again when axios transforms the request', () => {
    type Config = { url: string; transformRequest?: unknown; redact?: unknown }
    type Transform = (this: Config, data: unknown, headers: Headers) => unknown
    class Headers {
      constructor(public Authorization?: unknown) {}
      delete(name: string) {
        delete (this as Record<string, unknown>)[name]
      }
    }
    /** What axios does after the request interceptors: each transform with the config as `this`. */
    const transform = (config: Config, headers: Headers, data: unknown = 'body') =>
      ([config.transformRequest].flat() as Transform[]).reduce((d, fn) => fn.call(config, d, headers), data)
    const setup = () => guardConfig(allowed, (config: Config) => config.url)

    it('removes the header put on when the URL now goes to an origin not allowed', () => {
      const guard = setup()
      const config: Config = { url: 'https://api.example.com/a', transformRequest: [] }
      guard(config, 'Bearer t')
      config.url = 'https://evil.example/a'
      const headers = new Headers('Bearer t')
      expect(transform(config, headers)).toBe('body')
      expect(headers.Authorization).toBeUndefined()
    })

    it('keeps it on an allowed URL, and keeps a header set after it (the app’s)', () => {
      const guard = setup()
      const home: Config = { url: 'https://api.example.com/a', transformRequest: [] }
      guard(home, 'Bearer t')
      const kept = new Headers('Bearer t')
      transform(home, kept)
      expect(kept.Authorization).toBe('Bearer t')
      const away: Config = { url: 'https://api.example.com/a', transformRequest: [] }
      guard(away, 'Bearer t')
      away.url = 'https://other.example/a'
      const own = new Headers('Basic YXBwOmtleQ==')
      transform(away, own)
      expect(own.Authorization).toBe('Basic YXBwOmtleQ==')
    })

    it('runs before the transforms the config had, which still run, as many (axios normalizes the headers before each); one wrapper per first transform, a list per config', () => {
      const guard = setup()
      const seen: unknown[] = []
      const own = function (this: Config, data: unknown, headers: Headers) {
        seen.push(headers.Authorization ?? null)
        return `${data}!`
      }
      const defaults = [own]
      const a: Config = { url: 'https://api.example.com/a', transformRequest: defaults }
      const b: Config = { url: 'https://api.example.com/b', transformRequest: defaults }
      guard(a, 'Bearer t')
      // axios gives each request a copy of its defaults' list: the wrapper is made once all the same.
      b.transformRequest = [...defaults]
      guard(b, 'Bearer t')
      const listA = a.transformRequest as Transform[]
      const listB = b.transformRequest as Transform[]
      expect(listA).toHaveLength(1)
      expect(listA[0]).toBe(listB[0])
      // A list of its own: an interceptor that adds to one request's list changes no other request.
      expect(listA).not.toBe(listB)
      expect(defaults).toEqual([own])
      // Sent again (a replay keeps its config's list): not added twice.
      guard(a, 'Bearer u')
      expect(a.transformRequest).toBe(listA)
      a.url = 'https://evil.example/'
      expect(transform(a, new Headers('Bearer u'))).toBe('body!')
      expect(transform(b, new Headers('Bearer t'))).toBe('body!')
      expect(seen).toEqual([null, 'Bearer t'])
      // A single function, not a list, runs too.
      const c: Config = { url: 'https://evil.example/', transformRequest: own }
      guard(c, 'Bearer t')
      expect(transform(c, new Headers('Bearer t'))).toBe('body!')
      expect(seen.at(-1)).toBe(null)
      // The redact list names Authorization once, however often the config is readied.
      expect(a.redact).toEqual(['Authorization'])
    })

    it('checks a config that had no transforms, the first one readied included', () => {
      const guard = setup()
      const config: Config = { url: 'https://api.example.com/a' }
      guard(config, 'Bearer t')
      config.url = 'https://evil.example/a'
      const headers = new Headers('Bearer t')
      expect(transform(config, headers)).toBe('body')
      expect(headers.Authorization).toBeUndefined()
    })

    it('knows the last eight headers it put on: a request held back carries an older token', () => {
      const guard = setup()
      const held: Config = { url: 'https://api.example.com/a', transformRequest: [] }
      guard(held, 'Bearer 0')
      for (let i = 1; i < 8; i++) {
        const other: Config = { url: 'https://api.example.com/b', transformRequest: [] }
        guard(other, `Bearer ${i}`)
      }
      held.url = 'https://evil.example/'
      const headers = new Headers('Bearer 0')
      transform(held, headers)
      expect(headers.Authorization).toBeUndefined()
    })

    it('adds itself to an empty list, and keeps its place in a replay’s copy of the list', () => {
      const guard = setup()
      const config: Config = { url: 'https://evil.example/', transformRequest: [] }
      guard(config, 'Bearer t')
      expect(config.transformRequest).toHaveLength(1)
      // axios copies the list into the replay's config.
      const replay: Config = {
        url: 'https://evil.example/',
        transformRequest: [...(config.transformRequest as [])],
      }
      guard(replay, 'Bearer t')
      expect(replay.transformRequest).toHaveLength(1)
      const headers = new Headers('Bearer t')
      transform(replay, headers)
      expect(headers.Authorization).toBeUndefined()
    })

    describe('records: what a request was sent with, for its 401', () => {
      type Sent = { token: string }
      type Full = Config & { headers?: { Authorization?: unknown }; data?: unknown }
      const sendable = (header: string, data: unknown = 'body'): Full => ({
        url: 'https://api.example.com/a',
        transformRequest: [(d: unknown) => d],
        headers: { Authorization: header },
        data,
      })
      /** axios's copy of a config sent again (axios-retry): its list sliced, its data as transformed. */
      const again = (config: Full, data: unknown = config.data): Full => ({
        ...config,
        transformRequest: [...(config.transformRequest as [])],
        data,
      })

      it('keeps the record on the list it gives the config, and adds no key to the config', () => {
        const guard = guardConfig<Sent>(allowed, (config: Config) => config.url)
        const config = sendable('Bearer t')
        const keys = Object.keys(config)
        guard(config, 'Bearer t', [{ token: 't' }, 'copy'])
        expect(Reflect.ownKeys(config).sort()).toEqual([...keys, 'redact', 'beforeRedirect'].sort())
        expect(guard.sentWith(config)).toEqual([{ token: 't' }, 'copy'])
        // Not a list it made: the app's own, or another guard's (another client on the instance).
        expect(guard.sentWith(sendable('Bearer t'))).toBeUndefined()
        expect(guardConfig<Sent>(allowed, (c: Config) => c.url).sentWith(config)).toBeUndefined()
      })

      it('gives a config sent again what the first request with its header was sent with, and its own body', () => {
        const guard = guardConfig<Sent>(allowed, (config: Config) => config.url)
        const first = sendable('Bearer t')
        guard(first, 'Bearer t', [{ token: 't' }, 'first copy'])
        const second = sendable('Bearer t')
        guard(second, 'Bearer t', [{ token: 't', n: 2 } as Sent, 'second copy'])
        expect(guard.sentWith(again(second, '"sent"'))).toEqual([{ token: 't' }, '"sent"'])
        // A header it never put on, or one put on without a record, tells nothing.
        const other = again(first)
        other.headers = { Authorization: 'Basic YXBwOmtleQ==' }
        expect(guard.sentWith(other)).toBeUndefined()
        const bare = guardConfig<Sent>(allowed, (config: Config) => config.url)
        const replay = sendable('Bearer u')
        bare(replay, 'Bearer u')
        expect(bare.sentWith(again(replay))).toBeUndefined()
        // A header put on first without a record (a replay), then with one, has that record.
        bare(sendable('Bearer u'), 'Bearer u', [{ token: 'u' }, null])
        expect(bare.sentWith(again(replay))).toEqual([{ token: 'u' }, 'body'])
      })

      it('remembers the headers of the last eight tokens only', () => {
        const guard = guardConfig<Sent>(allowed, (config: Config) => config.url)
        const sent = Array.from({ length: 9 }, (_, i) => {
          const config = sendable(`Bearer ${i}`)
          guard(config, `Bearer ${i}`, [{ token: String(i) }, null])
          return config
        })
        expect(guard.sentWith(again(sent[0]!))).toBeUndefined()
        expect(guard.sentWith(again(sent[1]!))?.[0]).toEqual({ token: '1' })
      })
    })

    it('touches no transformRequest without a header (no token put on) or without sentTo', () => {
      const config: Config = { url: 'https://evil.example/', transformRequest: [] }
      setup()(config)
      guardConfig(allowed)(config, 'Bearer t')
      expect(config.transformRequest).toEqual([])
    })
  })
})
