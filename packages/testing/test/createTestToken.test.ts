import { createAuthClient } from '@latchkey/core'
import { jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { createTestToken, fakeClock, type MockUser } from '../src/index'
import { header, payload } from './decode'

const NOW = Date.UTC(2030, 0, 1)
const now = () => NOW

describe('createTestToken', () => {
  it('builds three non-empty base64url segments without padding', () => {
    const token = createTestToken({ sub: 'alice' }, { now })
    const parts = token.split('.')
    expect(parts).toHaveLength(3)
    for (const part of parts) expect(part).toMatch(/^[\w-]+$/)
  })

  it('is unsigned by default, with a dummy signature segment', () => {
    const token = createTestToken({ sub: 'alice' }, { now })
    expect(header(token)).toEqual({ alg: 'none', typ: 'JWT' })
    expect(token.split('.')[2]).toBe('dW5zaWduZWQ')
  })

  it('sets iat to now in seconds and exp to iat + 3600', () => {
    expect(payload(createTestToken({ sub: 'alice' }, { now: () => NOW + 999 }))).toEqual({
      sub: 'alice',
      iat: NOW / 1000,
      exp: NOW / 1000 + 3600,
    })
  })

  it('uses expiresIn and issuedAt', () => {
    expect(payload(createTestToken({}, { issuedAt: 100, expiresIn: 60 }))).toEqual({ iat: 100, exp: 160 })
  })

  it('leaves exp out when expiresIn is null', () => {
    expect(payload(createTestToken({ sub: 'a' }, { now, expiresIn: null }))).toEqual({
      sub: 'a',
      iat: NOW / 1000,
    })
  })

  it('lets explicit claims win, and iat: undefined leave iat out', () => {
    expect(payload(createTestToken({ exp: 5, iat: undefined }, { now }))).toEqual({ exp: 5 })
  })

  it('counts exp from an iat given as a claim', () => {
    expect(payload(createTestToken({ iat: 1_000 }, { expiresIn: 60, now }))).toEqual({
      iat: 1_000,
      exp: 1_060,
    })
    // An explicit exp still wins.
    expect(payload(createTestToken({ iat: 1_000, exp: 5 }, { now }))).toEqual({ iat: 1_000, exp: 5 })
  })

  it("gives the README's expired tokens, which latchkey reads as expired", () => {
    const auth = createAuthClient({ now, syncTabs: false })
    const set = (token: string) => auth.setTokens({ accessToken: token }).status
    expect(set(createTestToken({ sub: 'alice' }, { expiresIn: 0, now }))).toBe('unauthenticated')
    expect(set(createTestToken({ sub: 'alice', iat: undefined }, { issuedAt: 0, expiresIn: 1 }))).toBe(
      'unauthenticated',
    )
    // With `iat`, latchkey corrects for the issuer's clock: issued at 0, one second left (see the README).
    expect(set(createTestToken({ sub: 'alice' }, { issuedAt: 0, expiresIn: 1 }))).toBe('authenticated')
    auth.destroy()
  })

  it('reads the clock of a fakeClock', () => {
    const clock = fakeClock()
    clock.advance(10_000)
    expect(payload(createTestToken({}, { now: clock.now })).iat).toBe(NOW / 1000 + 10)
  })

  it('keeps non-ASCII claims intact', () => {
    const claims = { name: 'Zoë 🔑', roles: ['ädmin'] }
    expect(payload(createTestToken(claims, { now }))).toMatchObject(claims)
  })

  it('signs with HS256 when given a secret, verifiable by jose', async () => {
    const secret = 'a-test-secret-of-enough-length!!'
    const token = createTestToken({ sub: 'alice' }, { secret, now: Date.now })
    expect(header(token)).toEqual({ alg: 'HS256', typ: 'JWT' })
    const { payload: verified } = await jwtVerify(token, new TextEncoder().encode(secret))
    expect(verified.sub).toBe('alice')
  })

  it('accepts a byte secret', async () => {
    const secret = new Uint8Array(32).fill(7)
    const token = createTestToken({ sub: 'bob' }, { secret })
    await expect(jwtVerify(token, secret)).resolves.toMatchObject({ payload: { sub: 'bob' } })
  })

  it('fails verification with another secret', async () => {
    const token = createTestToken({}, { secret: 'one' })
    await expect(jwtVerify(token, new TextEncoder().encode('two'))).rejects.toThrow()
  })
})

describe('claims typed by the app', () => {
  // A claims interface has no index signature: these calls type-check (`pnpm typecheck` covers tests).
  interface MyClaims {
    sub: string
    roles: string[]
  }
  const alice: MyClaims = { sub: 'alice', roles: ['admin'] }

  it('accepts the interface an app gives createAuthClient<MyClaims>()', () => {
    expect(payload(createTestToken(alice, { now }))).toMatchObject({ sub: 'alice', roles: ['admin'] })
    const user: MockUser = { password: 'x', claims: alice }
    expect(user.claims).toBe(alice)
  })
})
