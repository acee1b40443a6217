// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { useAuth } from '../src/index'

/** Tests written in a mutation review of @latchkey/vue: each one fails with a change no other test caught. */
describe('@latchkey/vue (mutation review)', () => {
  // Mutant: useAuth() called inject() outside setup(), where Vue warns before useAuth throws its own error.
  it('throws outside setup() with its own message only, without a Vue warning', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    expect(() => useAuth()).toThrow(/createAuthPlugin/)
    expect(warn).not.toHaveBeenCalled()
    warn.mockRestore()
  })
})
