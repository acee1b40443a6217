import { describe, expect, it } from 'vitest'
import { AuthError, InvalidTokenError, isAuthError, RefreshError } from '../src'

describe('errors', () => {
  it('carry name, a stable code and cause', () => {
    const cause = new Error('x')
    const e = new RefreshError('nope', { permanent: true, status: 401, cause })
    expect(e).toBeInstanceOf(AuthError)
    expect(e).toMatchObject({
      name: 'RefreshError',
      code: 'refresh_rejected',
      permanent: true,
      status: 401,
      cause,
    })
    expect(new RefreshError('x')).toMatchObject({ code: 'refresh_failed', permanent: false })
    expect(new InvalidTokenError('bad')).toMatchObject({ name: 'InvalidTokenError', code: 'invalid_token' })
    expect(new AuthError('destroyed')).toMatchObject({ name: 'AuthError', code: 'destroyed' })
  })

  it('isAuthError recognises errors from another copy or realm by name and code', () => {
    expect(isAuthError(new InvalidTokenError('x'))).toBe(true)
    expect(isAuthError({ name: 'RefreshError', code: 'refresh_failed' })).toBe(true)
    expect(isAuthError(Object.assign(new Error('x'), { name: 'AuthError', code: 'destroyed' }))).toBe(true)
    expect(isAuthError({ name: 'AuthError', code: 'nope' })).toBe(false)
    expect(isAuthError({ name: 'TypeError', code: 'invalid_token' })).toBe(false)
    expect(isAuthError(new Error('invalid_token'))).toBe(false)
    expect(isAuthError(null)).toBe(false)
    expect(isAuthError('invalid_token')).toBe(false)
  })
})
