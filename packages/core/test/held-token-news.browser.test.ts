// @vitest-environment happy-dom
import { createTestToken } from '@latchkey/testing'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createAuthClient } from '../src'

// API.md, State: "canRefresh: a session exists, `refresh` is set, and a refresh token is held", and
// getState() "returns a frozen snapshot. The same object is returned until something changes". Another tab
// that stores the access token held here again, with a refresh token added or removed, changes what this
// tab holds: its state says so (a new snapshot, told to subscribers), with no event (the token is the same).

beforeEach(() => localStorage.clear())
afterEach(() => localStorage.clear())

const tick = () => new Promise((r) => setTimeout(r, 20))
const refresh = async () => ({ accessToken: createTestToken({ sub: 'u', n: Math.random() }) })

it.each([
  ['removed', 'r1', undefined, false],
  ['added', undefined, 'r1', true],
])(
  'the held token stored again by another tab, its refresh token %s: canRefresh follows',
  async (_, first, then, canRefresh) => {
    const held = createTestToken({ sub: 'u' }, { expiresIn: 300 })
    const a = createAuthClient({ storage: 'localStorage', refresh })
    const b = createAuthClient({ storage: 'localStorage', refresh })
    a.setTokens({ accessToken: held, refreshToken: first })
    await tick()
    expect(b.getState()).toMatchObject({ accessToken: held, canRefresh: !canRefresh })
    const seen: boolean[] = []
    b.subscribe((s) => seen.push(s.canRefresh))
    const events: string[] = []
    for (const type of ['login', 'refresh', 'logout'] as const) b.on(type, () => events.push(type))
    a.setTokens({ accessToken: held, refreshToken: then })
    await tick()
    expect(b.getState()).toMatchObject({ accessToken: held, canRefresh })
    expect(seen).toEqual([canRefresh])
    expect(events).toEqual([])
    a.destroy()
    b.destroy()
  },
)
