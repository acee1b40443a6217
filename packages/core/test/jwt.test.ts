import { describe, expect, it } from 'vitest'
import { createAuthClient, InvalidTokenError, isAuthError } from '../src'
import { rawJwt, token } from './helpers'

const H = { alg: 'HS256', typ: 'JWT' }
const big = 'a'.repeat(10)

// Each entry: [what it is, token, expiresIn?]
const malformed: Array<[string, unknown, unknown?]> = [
  ['empty string', ''],
  ['undefined', undefined],
  ['null', null],
  ['a number', 42],
  ['an object', { token: 'x' }],
  ['an array', ['a', 'b', 'c']],
  ['one segment without expiresIn', 'opaque-token'],
  ['two segments', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0'],
  ['four segments', `${rawJwt(H, { sub: '1' })}.extra`],
  ['five segments', 'a.b.c.d.e'],
  ['empty header segment', `.${rawJwt(H, { sub: '1' }).split('.')[1]}.sig`],
  ['empty payload segment', `${rawJwt(H, {}).split('.')[0]}..sig`],
  ['standard base64 characters', 'eyJhbGc+OiJIUzI1NiJ9.eyJzdWIiOiIxIn0/.sig'],
  ['base64 padding', 'eyJhbGciOiJIUzI1NiJ9==.eyJzdWIiOiIxIn0=.sig'],
  ['spaces inside', 'eyJhbGciOiJIUzI1NiJ9 .eyJzdWIiOiIxIn0.sig'],
  ['a newline (header injection)', `${rawJwt(H, { sub: '1' })}\r\nX-Evil: 1`],
  ['non-ASCII characters', `${rawJwt(H, { sub: '1' })}é`],
  ['payload not base64url JSON', `${rawJwt(H, {}).split('.')[0]}.${big}.sig`],
  ['header not JSON', `bm90IGpzb24.${rawJwt(H, {}).split('.')[1]}.sig`],
  ['payload a JSON array', rawJwt(H, [1, 2])],
  ['payload a JSON string', rawJwt(H, '"hello"')],
  ['payload JSON null', rawJwt(H, 'null')],
  ['payload a JSON number', rawJwt(H, '12')],
  ['header a JSON array', rawJwt([1], { sub: '1' })],
  ['exp a string', rawJwt(H, { exp: '1893456000' })],
  ['exp null', rawJwt(H, { exp: null })],
  ['exp an object', rawJwt(H, { exp: {} })],
  ['exp a boolean', rawJwt(H, { exp: true })],
  ['exp negative', rawJwt(H, { exp: -1 })],
  ['exp huge (1e300)', rawJwt(H, { exp: 1e300 })],
  ['exp beyond year 9999', rawJwt(H, { exp: 253402300800 })],
  ['exp NaN-like (1e999 → Infinity is not JSON, so a string)', rawJwt(H, '{"exp":"NaN"}')],
  ['iat a string', rawJwt(H, { iat: 'now', exp: 2e9 })],
  ['nbf an array', rawJwt(H, { nbf: [1], exp: 2e9 })],
  ['truncated JSON payload', `${rawJwt(H, {}).split('.')[0]}.eyJzdWIiOiIx.sig`],
  ['expiresIn NaN, for a JWT without exp', rawJwt(H, { sub: 'u' }), Number.NaN],
  ['expiresIn negative', 'opaque', -5],
  ['expiresIn Infinity', 'opaque', Number.POSITIVE_INFINITY],
  ['expiresIn a string', 'opaque', '3600'],
]

describe('setTokens with malformed tokens', () => {
  it.each(malformed)('rejects %s with invalid_token and changes nothing', (_, accessToken, expiresIn) => {
    const auth = createAuthClient()
    auth.setTokens({ accessToken: token(), refreshToken: 'rt' })
    const before = auth.getState()
    let thrown: unknown
    try {
      auth.setTokens({ accessToken, expiresIn } as never)
    } catch (e) {
      thrown = e
    }
    expect(thrown).toBeInstanceOf(InvalidTokenError)
    expect(isAuthError(thrown) && thrown.code).toBe('invalid_token')
    expect(auth.getState()).toBe(before)
    // The message never carries the token.
    if (typeof accessToken === 'string' && accessToken.length > 8) {
      expect((thrown as Error).message).not.toContain(accessToken)
    }
    auth.destroy()
  })

  it('has a table of at least 25 cases', () => {
    expect(malformed.length).toBeGreaterThanOrEqual(25)
  })

  it('rejects a token set that is not an object, or a refresh token that is not a string', () => {
    const auth = createAuthClient()
    expect(() => auth.setTokens(null as never)).toThrow(InvalidTokenError)
    expect(() => auth.setTokens({ accessToken: token(), refreshToken: 42 as never })).toThrow(
      InvalidTokenError,
    )
    expect(() => auth.setTokens({ accessToken: token(), refreshToken: '' })).toThrow(InvalidTokenError)
    expect(auth.getState().status).toBe('unauthenticated')
  })
})

describe('setTokens with well-formed tokens', () => {
  it('accepts an opaque token with expiresIn', () => {
    const auth = createAuthClient({ now: () => 1_000_000 })
    const s = auth.setTokens({ accessToken: 'opaque-abc_123', expiresIn: 60 })
    expect(s).toMatchObject({ status: 'authenticated', claims: null, expiresAt: 1_060_000 })
  })

  it('uses expiresIn for a JWT without exp, and never expires a JWT with neither', () => {
    const auth = createAuthClient({ now: () => 5_000 })
    expect(auth.setTokens({ accessToken: rawJwt(H, { sub: 'x' }), expiresIn: 10 }).expiresAt).toBe(15_000)
    const s = auth.setTokens({ accessToken: rawJwt(H, { sub: 'x' }) })
    expect(s).toMatchObject({ status: 'authenticated', expiresAt: null, claims: { sub: 'x' } })
  })

  it('accepts an unsecured JWT, whose signature segment is empty (RFC 7519 §6.1)', () => {
    const auth = createAuthClient({ now: () => 0 })
    const unsecured = `${rawJwt({ alg: 'none' }, { sub: 'u', exp: 100 }).split('.').slice(0, 2).join('.')}.`
    const s = auth.setTokens({ accessToken: unsecured })
    expect(s).toMatchObject({ status: 'authenticated', accessToken: unsecured, claims: { sub: 'u' } })
    expect(s.expiresAt).toBe(100_000)
    // Only the signature may be empty: the header and the payload must hold JSON objects.
    expect(() => auth.setTokens({ accessToken: `${unsecured.split('.')[0]}..` })).toThrow(InvalidTokenError)
  })

  it('ignores expiresIn when the JWT has exp', () => {
    const auth = createAuthClient({ now: () => 0 })
    const s = auth.setTokens({ accessToken: rawJwt(H, { exp: 100 }), expiresIn: 5 })
    expect(s.expiresAt).toBe(100_000)
  })
})
