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
})
