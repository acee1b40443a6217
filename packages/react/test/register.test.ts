import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { typeErrors } from '../../core/test/support/register'

const fixture = fileURLToPath(new URL('./fixtures/register', import.meta.url))

it('claims and credentials declared once in Register type useAuth, useAuthSelector, useAuthClient, authStore and createAuthClient', () => {
  expect(typeErrors(fixture, ['register.ts', 'uses.tsx'])).toEqual([])
}, 60_000)

it('without the declaration the same code does not compile: the claims are unknown, any credentials pass', () => {
  const errors = typeErrors(fixture, ['uses.tsx'])
  expect(errors.some((e) => /'unknown' is not assignable to type 'string\[\]/.test(e))).toBe(true)
  expect(errors).toContain("uses.tsx: Unused '@ts-expect-error' directive.")
}, 60_000)
