// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { createTestToken } from '../src/index'
import { payload } from './decode'

describe('createTestToken under happy-dom', () => {
  it('builds unsigned and signed tokens', () => {
    expect(typeof window).toBe('object')
    expect(payload(createTestToken({ sub: 'a' }, { issuedAt: 1 }))).toEqual({ sub: 'a', iat: 1, exp: 3601 })
    expect(createTestToken({ sub: 'a' }, { secret: 's' }).split('.')[2]).toMatch(/^[\w-]{43}$/)
  })
})
