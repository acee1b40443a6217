// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { createAuthClient, createAuthFetch, RefreshError, type TokenSet } from '../src'
import { T0, token } from './helpers'
import { Channel, online, otherTab, signedInTabs, useOutageTabs } from './support/outage'
import { wait } from './support/tabs'

/**
 * Review of "tabs tell each other their refresh failures": the same harness as outage-tabs (fake timers,
 * a BroadcastChannel stand-in that delivers each message as a timer task, fake Web Locks).
 */
const clients = useOutageTabs()

const tabs = (names: string[], refresh: (tab: string) => Promise<TokenSet>, options = {}) =>
  signedInTabs(clients, names, refresh, options)

describe('review: a failure told by one tab to the others', () => {
  it('a transient failure with status 400 (the README’s Cognito throttling) taken by another tab signs nobody out', async () => {
    // The app says which 400s are transient, as the core README tells it to for the AWS SDK.
    const { list, calls, events } = tabs(['a', 'b'], async () => {
      await wait(20)
      throw new RefreshError('Throttled', { status: 400, permanent: false })
    })
    await vi.advanceTimersByTimeAsync(240_100)
    // Both were due at 240 s: one asked and was throttled, the other took its failure.
    expect(calls).toHaveLength(1)
    expect(events.filter((e) => e.includes('logout'))).toEqual([])
    expect(list.map((t) => t.getState().status)).toEqual(['authenticated', 'authenticated'])
    expect(events.filter((e) => e.includes('refreshError')).sort()).toEqual([
      `a: refreshError refresh_failed 400 #1 true${calls[0]!.startsWith('a') ? '' : ' taken'}`,
      `b: refreshError refresh_failed 400 #1 true${calls[0]!.startsWith('b') ? '' : ' taken'}`,
    ])
  })

  it('a refresh() that joins an automatic try still asks the endpoint itself', async () => {
    const { list, calls } = tabs(['a', 'b'], async () => {
      await wait(2_000)
      throw Object.assign(new Error('Unavailable'), { status: 503 })
    })
    await vi.advanceTimersByTimeAsync(240_100)
    // One tab asks (2 s); the other's timer fired too and waits for the lock.
    expect(calls).toHaveLength(1)
    const waiting = list.find((t) => !calls[0]!.startsWith(t === list[0] ? 'a' : 'b'))!
    expect(waiting.getState().isRefreshing).toBe(true)
    // The app asks for a refresh there (a button, or the 401 of an API call): "refresh() still tries at once".
    const refreshed = waiting.refresh().then(
      () => 'ok',
      (e: RefreshError) => e.message,
    )
    // The other tab's call fails at 242 s; its retry and this tab's come after 243 s at the soonest.
    await vi.advanceTimersByTimeAsync(2_000)
    expect(calls).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(2_100)
    // Its own answer, not the other tab's.
    expect(await refreshed).toBe('Refresh failed')
  })

  it('a 401 in a tab that took a failure with Retry-After is returned, not answered with a refresh', async () => {
    const { list, calls } = tabs(['a', 'b'], async () => {
      await wait(20)
      throw new RefreshError('Rate limited', { status: 429, retryAfter: 30 })
    })
    await vi.advanceTimersByTimeAsync(240_100)
    expect(calls).toHaveLength(1)
    const taker = list.find((t) => /another tab/.test(t.getState().error?.message ?? ''))!
    const first = taker.getState().accessToken!
    // The API refuses the token (revoked, say): a 401, which the 401 rules answer with a refresh unless
    // the server said to wait.
    const fetch = vi.fn(
      async (_: unknown, init?: RequestInit) =>
        new Response(null, {
          status: new Headers(init?.headers).get('authorization')?.endsWith(first) ? 401 : 200,
        }),
    )
    const api = createAuthFetch(taker, { origins: ['https://api.example'], fetch })
    const response = api('https://api.example/x')
    await vi.advanceTimersByTimeAsync(1_000)
    expect((await response).status).toBe(401)
    // Within the 30 s the server asked the other tab for, its token endpoint hears nothing more.
    expect(calls).toHaveLength(1)
  })

  it.each([
    ['a status of 401', [Infinity, 0, 'refresh_failed', 401]],
    ['a status of 403', [Infinity, 0, 'refresh_timeout', 403]],
    ['the code no_refresh', [Infinity, 0, 'no_refresh', undefined]],
  ])('junk on the channel with %s neither signs out nor stalls the tab', async (_, junk) => {
    const { list, calls, events } = tabs(['a'], async () => ({
      accessToken: token(300),
      refreshToken: 'rt-1',
    }))
    const [a] = list
    await vi.advanceTimersByTimeAsync(239_000)
    otherTab().postMessage([junk[0], a!.getState().expiresAt, ...junk.slice(2)])
    await vi.advanceTimersByTimeAsync(1_100)
    // Signed out by a message it cannot verify, or left without a try: either is a bug. A tab taking it as
    // a transient failure waits, at most, until online.
    expect(events.filter((e) => e.includes('logout'))).toEqual([])
    expect(a!.getState().status).toBe('authenticated')
    online()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(a!.getState().status).toBe('authenticated')
    expect(calls.length + events.filter((e) => e.includes('taken')).length).toBeGreaterThan(0)
    await vi.advanceTimersByTimeAsync(120_000)
    expect(a!.getState().status).toBe('authenticated')
  })
})

describe('review: behaviour worth pinning', () => {
  const unavailable = async () => {
    await wait(20)
    throw Object.assign(new Error('Unavailable'), { status: 503 })
  }

  it('the failing tab closes after telling its retry time: the other tab tries itself after it, and recovers', async () => {
    let down = true
    const { list, calls, events } = tabs(['a', 'b'], async (tab) => {
      await wait(20)
      if (down) throw Object.assign(new Error('Unavailable'), { status: 503 })
      return { accessToken: token(300), refreshToken: `rt-${tab}` }
    })
    await vi.advanceTimersByTimeAsync(240_100)
    expect(calls).toHaveLength(1)
    const failing = list.findIndex((_, i) => calls[0]!.startsWith(['a', 'b'][i]!))
    list[failing]!.destroy()
    down = false
    await vi.advanceTimersByTimeAsync(60_000)
    const rest = list[1 - failing]!
    expect(rest.getState().status).toBe('authenticated')
    expect(calls).toHaveLength(2)
    expect(events.filter((e) => e.includes('taken'))).toHaveLength(1)
  })

  it('a failure of the last sign-in is not taken by the next one, signed in from another tab meanwhile', async () => {
    const { list, calls, events } = tabs(['a', 'b'], unavailable)
    const [a, b] = list
    await vi.advanceTimersByTimeAsync(100)
    const oldExp = a!.getState().expiresAt
    // Another tab failed on the old sign-in's token and waits for online.
    otherTab().postMessage([Infinity, oldExp, 'refresh_failed', 503])
    await vi.advanceTimersByTimeAsync(100)
    await b!.logout()
    await vi.advanceTimersByTimeAsync(100)
    a!.setTokens({ accessToken: token(300, { sub: 'bob' }), refreshToken: 'rt-bob' })
    await vi.advanceTimersByTimeAsync(240_100)
    // The old sign-in's failure waits for online: taken, every tab would wait for it, and none would ask.
    expect(calls).toHaveLength(1)
    // The other tab took this sign-in's own failure, told as it came, and retries after it.
    expect(events.filter((e) => e.includes('taken'))).toEqual([
      `${calls[0]!.startsWith('a') ? 'b' : 'a'}: refreshError refresh_failed 503 #1 true taken`,
    ])
  })

  it('sessionStorage: a failure of one sign-in is never taken by a tab of another sign-in', async () => {
    const calls: string[] = []
    const events: string[] = []
    // Two tabs signed in on their own (not copies): their channels and locks are their sign-ins'.
    const make = (name: string) => {
      const auth = createAuthClient({
        storage: 'sessionStorage',
        refresh: () => {
          calls.push(name)
          return unavailable()
        },
      })
      clients.push(auth)
      auth.on('refreshError', (e) => events.push(`${name} ${/another tab/.test(e.error.message)}`))
      return auth
    }
    const a = make('a')
    a.setTokens({ accessToken: token(300), refreshToken: 'rt-a' })
    sessionStorage.clear()
    const b = make('b')
    b.setTokens({ accessToken: token(300), refreshToken: 'rt-b' })
    expect(a.getState().expiresAt).toBe(b.getState().expiresAt)
    await vi.advanceTimersByTimeAsync(240_100)
    expect(calls.sort()).toEqual(['a', 'b'])
    expect(events.sort()).toEqual(['a false', 'b false'])
  })

  it('without Web Locks (the localStorage lease), the tabs queued behind a failure still take it', async () => {
    vi.stubGlobal('navigator', { ...navigator, locks: undefined })
    const { calls, events } = tabs(['a', 'b', 'c'], unavailable)
    await vi.advanceTimersByTimeAsync(241_000)
    expect(calls).toHaveLength(1)
    expect(events.filter((e) => e.includes('taken'))).toHaveLength(2)
  })

  it('another storageKey hears nothing of it, and takes nothing: its own due token is its own try', async () => {
    const heard: unknown[] = []
    const listener = new Channel('latchkey:other')
    listener.onmessage = ({ data }) => heard.push(data)
    // A client of another storageKey whose token has the same expiry as the failing one's.
    const otherCalls: number[] = []
    const otherEvents: string[] = []
    const other = createAuthClient({
      storage: 'localStorage',
      storageKey: 'other',
      refresh: () => {
        otherCalls.push(Date.now() - T0)
        return unavailable()
      },
    })
    clients.push(other)
    other.on('refreshError', (e) => otherEvents.push(e.error.message))
    const { list, calls } = tabs(['a'], unavailable)
    other.setTokens({ accessToken: token(300), refreshToken: 'rt-other' })
    expect(other.getState().expiresAt).toBe(list[0]!.getState().expiresAt)
    await vi.advanceTimersByTimeAsync(240_100)
    // Its channel carried its own failure alone, none of the tab of the default key.
    expect(heard.filter(Array.isArray)).toHaveLength(otherCalls.length)
    expect(calls).toHaveLength(1)
    expect(otherCalls).toHaveLength(1)
    expect(otherEvents.filter((m) => /another tab/.test(m))).toEqual([])
    listener.close()
  })

  it.each([
    ['no_refresh', 'refresh_failed'],
    ['refresh_rejected', 'refresh_failed'],
    [{ not: 'a code' }, 'refresh_failed'],
    ['refresh_timeout', 'refresh_timeout'],
  ])(
    'a failure told with code %j is taken as %s: transient, and the tab retries after its time',
    async (code, taken) => {
      const { list, calls, events } = tabs(['a'], unavailable)
      await vi.advanceTimersByTimeAsync(100)
      // Told by another version, or a script on the page: `no_refresh` would end this tab's retries.
      otherTab().postMessage([T0 + 250_000, list[0]!.getState().expiresAt, code, 503])
      await vi.advanceTimersByTimeAsync(240_000)
      expect(calls).toEqual([])
      expect(events).toContain(`a: refreshError ${taken} 503 #1 true taken`)
      expect(list[0]!.getState().error?.code).toBe(taken)
      await vi.advanceTimersByTimeAsync(11_000)
      // Its own try comes after the told time plus its jitter (≤ 1 s), and its retries after that.
      expect(calls.length).toBeGreaterThan(0)
      expect(Number(calls[0]!.split(' ')[1])).toBeGreaterThanOrEqual(250_000)
      expect(Number(calls[0]!.split(' ')[1])).toBeLessThanOrEqual(251_000)
    },
  )

  it('no message on the channel ever carries a token, through the outage and recovery', async () => {
    const heard: unknown[] = []
    otherTab().onmessage = ({ data }) => heard.push(data)
    let down = true
    const { list } = tabs(['a', 'b', 'c'], async () => {
      await wait(20)
      if (down) throw Object.assign(new Error('Unavailable'), { status: 503 })
      return { accessToken: token(300), refreshToken: 'rt-1' }
    })
    await vi.advanceTimersByTimeAsync(400_000)
    const failures = heard.filter(Array.isArray)
    expect(failures.length).toBeGreaterThan(0)
    const secrets = [list[0]!.getState().accessToken!, 'rt-0']
    for (const f of failures) for (const s of secrets) expect(JSON.stringify(f)).not.toContain(s)
    for (const f of failures) expect(f).toHaveLength(5)
    down = false
    online()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(list.map((t) => t.getState().status)).toEqual(Array(3).fill('authenticated'))
  })
})
