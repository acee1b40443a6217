import { afterEach, describe, expect, it, vi } from 'vitest'
import { fakeClock } from '../src/index'

describe('fakeClock', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('starts at 2030-01-01 UTC by default', () => {
    expect(fakeClock().now()).toBe(Date.UTC(2030, 0, 1))
  })

  it('moves only when advanced or set', () => {
    const { now, advance, set } = fakeClock(1_000)
    advance(500)
    expect(now()).toBe(1_500)
    set(42)
    expect(now()).toBe(42)
  })

  it('does not fire timers: advancing models a sleeping laptop', async () => {
    vi.useFakeTimers()
    const clock = fakeClock()
    const fired = vi.fn()
    setTimeout(fired, 1_000)
    clock.advance(5_000)
    expect(fired).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(fired).toHaveBeenCalledOnce()
  })
})
