// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { createAuthClient, type StorageOption, type TokenSet } from '../src'
import { T0, token } from './helpers'
import { online, otherTab, useOutageTabs } from './support/outage'
import { logEvents } from './support/tabs'

/**
 * Tabs of one session through an outage of the refresh endpoint (503s, or 429s with `Retry-After`) and
 * its recovery, on fake timers, with a BroadcastChannel stand-in that posts each message as a timer
 * task (support/outage.ts).
 */
const clients = useOutageTabs()

type Answer = 'ok' | '503' | '429' | 'invalid_grant'
/**
 * A token endpoint that rotates refresh tokens and refuses a second spend of one (reuse detection). It
 * answers as `answer` says; `calls` records `<answer> <refresh token> <tab> <ms since T0>`.
 */
function endpoint() {
  const state = { answer: 'ok' as Answer, current: 'rt-0', calls: [] as string[] }
  const refreshFor =
    (tab: string) =>
    async ({ refreshToken }: { refreshToken: string | null }): Promise<TokenSet> => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      const reused = state.answer === 'ok' && refreshToken !== state.current
      state.calls.push(`${reused ? 'reused' : state.answer} ${refreshToken} ${tab} ${Date.now() - T0}`)
      if (state.answer === '503') throw Object.assign(new Error('Unavailable'), { status: 503 })
      if (state.answer === '429')
        throw Object.assign(new Error('Too many requests'), {
          response: { status: 429, headers: new Headers({ 'Retry-After': '30' }) },
        })
      if (state.answer === 'invalid_grant' || reused)
        throw Object.assign(new Error('Bad grant'), { status: 400, error: 'invalid_grant' })
      state.current = `rt-${Number(state.current.slice(3)) + 1}`
      return { accessToken: token(300, { rt: state.current }), refreshToken: state.current }
    }
  return { state, refreshFor, spends: () => state.calls.filter((c) => !/^(503|429) /.test(c)) }
}

/** `n` tabs on `storage`, the first signed in (a 300 s token, due at 240 s); events as `a: expired`. */
function tabs(n: number, server: ReturnType<typeof endpoint>, storage: StorageOption = 'localStorage') {
  const events: string[] = []
  const list = Array.from({ length: n }, (_, i) => {
    const name = String.fromCharCode(97 + i)
    const tab = createAuthClient({ storage, refresh: server.refreshFor(name) })
    clients.push(tab)
    if (i === 0) tab.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    logEvents(events, name, tab)
    tab.on('expired', () => events.push(`${name}: expired`))
    tab.on('refreshError', (e) =>
      events.push(`${name}: refreshError ${e.error.code} #${e.attempt} ${e.willRetry}`),
    )
    return tab
  })
  const states = () => list.map((t) => `${t.getState().status} ${t.getState().claims?.rt ?? '-'}`)
  const of = (name: string) => events.filter((e) => e.startsWith(`${name}: `) && !e.includes('login'))
  return { list, events, states, of }
}

describe('createAuthClient: tabs through an outage of the refresh endpoint', () => {
  it.each([
    ['503', '503'],
    ['429 with Retry-After: 30', '429'],
  ] as const)('%s, then recovery: one spend for every tab, each told once', async (_, answer) => {
    const server = endpoint()
    const { list, states, of } = tabs(4, server)
    await vi.advanceTimersByTimeAsync(100)
    server.state.answer = answer
    // Each tab tries, retries with backoff and then waits for `online`: no tab spends anything. The tabs
    // tell each other their failures, so the outage costs one call per round (the 4 tries of
    // `retry.attempts`), not one per tab and round.
    await vi.advanceTimersByTimeAsync(400_000)
    expect(states()).toEqual(Array(4).fill('expired -'))
    expect(server.spends()).toEqual([])
    expect(server.state.calls).toHaveLength(4)
    if (answer === '429') {
      // No tab came back sooner than the Retry-After any tab was told.
      const times = server.state.calls.map((call) => Number(call.split(' ')[3]))
      for (const [i, ms] of times.slice(1).entries()) expect(ms - times[i]!).toBeGreaterThanOrEqual(30_000)
    }
    server.state.answer = 'ok'
    online()
    await vi.advanceTimersByTimeAsync(5_000)
    // One tab spent rt-0 once; the others adopted its tokens: nothing reused, nobody left expired.
    expect(server.spends()).toHaveLength(1)
    expect(server.spends()[0]).toMatch(/^ok rt-0 /)
    expect(states()).toEqual(Array(4).fill('authenticated rt-1'))
    for (const [i, name] of ['a', 'b', 'c', 'd'].entries()) {
      // Told of the expiry once, then of the renewal once, last.
      expect(of(name).filter((e) => /expired|refresh$/.test(e))).toEqual([
        `${name}: expired`,
        `${name}: refresh`,
      ])
      expect(of(name).at(-1)).toBe(`${name}: refresh`)
      expect(list[i]!.getState().error).toBeNull()
    }
  })

  it('recovery while the tabs wait to retry: the first success ends every pending retry', async () => {
    const server = endpoint()
    const { states, of } = tabs(4, server)
    await vi.advanceTimersByTimeAsync(100)
    server.state.answer = '503'
    await vi.advanceTimersByTimeAsync(240_000) // due: every tab's first try fails
    server.state.answer = 'ok'
    await vi.advanceTimersByTimeAsync(60_000)
    expect(server.spends()).toHaveLength(1)
    expect(states()).toEqual(Array(4).fill('authenticated rt-1'))
    for (const name of ['a', 'b', 'c', 'd'])
      expect(of(name).filter((e) => e.endsWith('refresh'))).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(60_000) // no retry left behind
    expect(server.spends()).toHaveLength(1)
  })

  it('online in every tab at once: one try for all tabs while the endpoint is down, one spend once it is back', async () => {
    const server = endpoint()
    const { states, of } = tabs(4, server)
    await vi.advanceTimersByTimeAsync(100)
    server.state.answer = '503'
    await vi.advanceTimersByTimeAsync(400_000)
    const before = server.state.calls.length
    online()
    await vi.advanceTimersByTimeAsync(5_000)
    // The first tab's failure reaches the tabs queued behind it, which take it for their own.
    expect(server.state.calls.length - before).toBe(1)
    for (const name of ['a', 'b', 'c', 'd'])
      expect(of(name).at(-1)).toMatch(new RegExp(`^${name}: refreshError refresh_failed #\\d false$`))
    expect(states()).toEqual(Array(4).fill('expired -'))
    server.state.answer = 'ok'
    online()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(server.state.calls.length - before).toBe(2)
    expect(states()).toEqual(Array(4).fill('authenticated rt-1'))
  })

  it('a rejection in one tab while the others wait to retry signs every tab out once, spending nothing more', async () => {
    const server = endpoint()
    const { states, of, events } = tabs(3, server)
    await vi.advanceTimersByTimeAsync(100)
    server.state.answer = '503'
    await vi.advanceTimersByTimeAsync(240_000) // every tab's first try fails; their retries are scheduled
    server.state.answer = 'invalid_grant'
    await vi.advanceTimersByTimeAsync(60_000)
    expect(states()).toEqual(Array(3).fill('unauthenticated -'))
    expect(server.state.calls.filter((c) => c.startsWith('invalid_grant'))).toHaveLength(1)
    const rejected = events.find((e) => e.endsWith('logout refresh_rejected'))!.slice(0, 1)
    for (const name of ['a', 'b', 'c'])
      expect(of(name).filter((e) => e.includes('logout'))).toEqual([
        `${name}: logout ${name === rejected ? 'refresh_rejected' : 'other_tab'}`,
      ])
    expect(localStorage.getItem('latchkey')).toBeNull()
  })

  it('a sign-out while the other tabs wait for online: online then starts no refresh anywhere', async () => {
    const server = endpoint()
    const { list, states, of } = tabs(3, server)
    await vi.advanceTimersByTimeAsync(100)
    server.state.answer = '503'
    await vi.advanceTimersByTimeAsync(400_000)
    const before = server.state.calls.length
    await list[1]!.logout()
    await vi.advanceTimersByTimeAsync(100)
    server.state.answer = 'ok'
    online()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(server.state.calls.length).toBe(before)
    expect(states()).toEqual(Array(3).fill('unauthenticated -'))
    expect([of('a').at(-1), of('b').at(-1), of('c').at(-1)]).toEqual([
      'a: logout other_tab',
      'b: logout user',
      'c: logout other_tab',
    ])
  })

  it('copies of a sessionStorage sign-in: through the outage and on recovery its refresh token is spent once', async () => {
    const server = endpoint()
    // Two clients of one page read one sessionStorage entry, as a tab and its copy ("Duplicate tab") do.
    const { list, states, of } = tabs(3, server, 'sessionStorage')
    expect(list.map((t) => t.getState().accessToken)).toEqual(Array(3).fill(list[0]!.getState().accessToken))
    await vi.advanceTimersByTimeAsync(100)
    server.state.answer = '503'
    await vi.advanceTimersByTimeAsync(400_000)
    expect(states()).toEqual(Array(3).fill('expired -'))
    server.state.answer = 'ok'
    online()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(server.spends()).toHaveLength(1)
    expect(states()).toEqual(Array(3).fill('authenticated rt-1'))
    for (const name of ['a', 'b', 'c']) expect(of(name).at(-1)).toBe(`${name}: refresh`)
  })
})

describe('createAuthClient: a failure told by one tab to the others', () => {
  /** One tab on localStorage signed in with a 300 s token (due at 240 s); its refresh calls and events. */
  function tab(refresh: (call: number) => Promise<TokenSet>) {
    const calls: number[] = []
    const events: string[] = []
    const auth = createAuthClient({
      storage: 'localStorage',
      refresh: () => refresh(calls.push(Date.now() - T0)),
    })
    clients.push(auth)
    auth.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    auth.on('refreshError', (e) =>
      events.push(`${e.error.code} ${e.error.status} #${e.attempt} ${e.willRetry} ${e.error.message}`),
    )
    return { auth, calls, events }
  }
  const unavailable = () => Promise.reject(Object.assign(new Error('Unavailable'), { status: 503 }))

  it('tells the retry time, the expiry of the token, the code and the status: never a token', async () => {
    const heard: unknown[] = []
    otherTab().onmessage = ({ data }) => heard.push(data)
    const { auth } = tab(unavailable)
    const exp = auth.getState().expiresAt
    await vi.advanceTimersByTimeAsync(240_500)
    const failure = heard.find(Array.isArray) as unknown[]
    expect(failure).toEqual([expect.any(Number), exp, 'refresh_failed', 503, undefined])
    // When this tab tries again: after its try at 240 s.
    expect(failure[0]).toBeGreaterThan(T0 + 240_000)
    expect(JSON.stringify(failure)).not.toContain(auth.getState().accessToken!)
    expect(JSON.stringify(failure)).not.toContain('rt-0')
  })

  it('an automatic try takes it until its time, then tries itself; refresh() tries at once', async () => {
    const { auth, calls, events } = tab(unavailable)
    const exp = auth.getState().expiresAt
    await vi.advanceTimersByTimeAsync(239_000)
    otherTab().postMessage([T0 + 250_000, exp, 'refresh_timeout', undefined])
    await vi.advanceTimersByTimeAsync(1_500)
    // Due at 240 s: the try took the other tab's failure, code and all, and waits past its time.
    expect(calls).toEqual([])
    expect(events).toEqual(['refresh_timeout undefined #1 true Refresh failed in another tab'])
    expect(auth.getState().error?.code).toBe('refresh_timeout')
    await vi.advanceTimersByTimeAsync(9_000)
    expect(calls).toEqual([])
    // After it (plus this tab's own jitter), this tab asks the endpoint itself.
    await vi.advanceTimersByTimeAsync(3_000)
    expect(calls[0]).toBeGreaterThanOrEqual(250_000)
    otherTab().postMessage([Date.now() + 60_000, exp, 'refresh_failed', 503])
    await vi.advanceTimersByTimeAsync(10)
    const before = calls.length
    // The app's refresh() is not an automatic try: it asks at once.
    const refreshed = expect(auth.refresh()).rejects.toMatchObject({ code: 'refresh_failed', status: 503 })
    await vi.advanceTimersByTimeAsync(100)
    await refreshed
    expect(calls).toHaveLength(before + 1)
  })

  it('ignores a failure to renew another token, one whose time has passed, and what is not a failure', async () => {
    const { auth, calls, events } = tab(unavailable)
    const exp = auth.getState().expiresAt!
    await vi.advanceTimersByTimeAsync(100)
    for (const junk of [
      [T0 + 600_000, exp - 1_000, 'refresh_failed', 503], // another token (renewed since, here or there)
      [T0 + 200_000, exp, 'refresh_failed', 503], // its time passes before this token is due
      ['soon', exp, 'refresh_failed', 503],
      { until: T0 + 600_000, exp },
    ])
      otherTab().postMessage(junk)
    await vi.advanceTimersByTimeAsync(240_050)
    expect(calls[0]).toBeGreaterThanOrEqual(240_000)
    expect(events.filter((e) => e.includes('another tab'))).toEqual([])
  })

  it('a try that waited for the lock while another tab failed takes that failure, even one retried already', async () => {
    const calls: string[] = []
    const events: string[] = []
    // Retries after 1 ms at most: the failing tab's retry time has passed when the next tab gets the lock.
    const [a, b] = ['a', 'b'].map((name) => {
      const auth = createAuthClient({
        storage: 'localStorage',
        retry: { baseDelay: 1, maxDelay: 1 },
        refresh: async () => {
          calls.push(name)
          await new Promise((resolve) => setTimeout(resolve, 20))
          throw Object.assign(new Error('Unavailable'), { status: 503 })
        },
      })
      clients.push(auth)
      auth.on('refreshError', (e) =>
        events.push(`${name} #${e.attempt} ${/another tab/.test(e.error.message) ? 'taken' : 'own'}`),
      )
      return auth
    })
    a!.setTokens({ accessToken: token(300), refreshToken: 'rt-0' })
    await vi.advanceTimersByTimeAsync(240_080)
    // Both were due at 240 s: one asked, the other waited for the lock and took its failure.
    expect(calls).toHaveLength(1)
    expect(events).toEqual([`${calls[0]} #1 own`, `${calls[0] === 'a' ? 'b' : 'a'} #1 taken`])
    expect(b!.getState().error?.code).toBe('refresh_failed')
  })

  it('one taken from a tab that waits for online waits for online too, and online clears it', async () => {
    const { auth, calls, events } = tab(unavailable)
    await vi.advanceTimersByTimeAsync(239_000)
    otherTab().postMessage([Infinity, auth.getState().expiresAt, 'refresh_failed', 503])
    await vi.advanceTimersByTimeAsync(400_000)
    expect(calls).toEqual([])
    expect(events).toEqual(['refresh_failed 503 #1 false Refresh failed in another tab'])
    online()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(calls).toHaveLength(1)
  })
})
