import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
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
    // An option set to undefined is one left out (the types allow it, for exactOptionalPropertyTypes).
    expect(new RefreshError('x', { permanent: undefined, status: 401 })).toMatchObject({
      code: 'refresh_rejected',
      permanent: true,
    })
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

  it('keep their names in a minified bundle, where class names are mangled', async () => {
    // What an app's production build does to core: every identifier renamed.
    const bundled = await build({
      entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'neutral',
      write: false,
      logLevel: 'silent',
    })
    const code = bundled.outputFiles[0]!.text
    const minified = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)
    const errors = [
      new minified.AuthError('destroyed'),
      new minified.InvalidTokenError('bad'),
      new minified.RefreshError('nope', { permanent: true }),
    ]
    expect(errors.map((e) => e.name)).toEqual(['AuthError', 'InvalidTokenError', 'RefreshError'])
    // Another copy (this unminified one) recognises them, and the minified copy recognises ours.
    expect(errors.every((e) => isAuthError(e) && !(e instanceof AuthError))).toBe(true)
    expect(minified.isAuthError(new RefreshError('x'))).toBe(true)
  })
})
