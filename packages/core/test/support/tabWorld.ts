import { vi } from 'vitest'
import { type AuthClient, createAuthClient, RefreshError, type TokenSet, type TokenStorage } from '../../src'
import { token } from '../helpers'
import { createLocks } from './locks'

/**
 * A model of tabs of one origin for the multi-tab chaos test and its findings: `n` clients on one
 * synchronous shared storage (what localStorage is to tabs; with `async`, a custom storage whose calls
 * answer later) and one BroadcastChannel, whose news is
 * never delivered by itself. Each write in tab i queues a storage event for every other tab, each post
 * a message; the test hands them over one at a time. Per sender and receiver each source keeps its
 * order (as browsers do), but storage events and messages interleave in any order. The refresh
 * endpoint is a server that rotates refresh tokens and detects reuse (a token spent twice revokes its
 * sign-in: 400 `invalid_grant`); its answers wait for `resolve()`.
 *
 * Needs fake timers and stubs globals (BroadcastChannel, navigator.locks, Math.random): the caller
 * installs fake timers first and undoes the stubs after `destroy()`.
 */

export type Source = 'storage' | 'channel'
export type Outcome = 'ok' | '503' | 'lost' | 'hang'
export type Action =
  | { kind: 'setTokens'; tab: number; user: 'alice' | 'bob' }
  | { kind: 'logout'; tab: number }
  | { kind: 'refresh'; tab: number }
  | { kind: 'getAccessToken'; tab: number }
  | { kind: 'deliver'; tab: number; source: Source; pick: number }
  | { kind: 'resolve'; pick: number; outcome: Outcome }
  | { kind: 'advance'; ms: number }

/** One sign-in at the server: its refresh tokens rotate, and one spent twice revokes them all. */
interface Family {
  id: number
  user: string
  current: string
  spent: Set<string>
  revoked: boolean
  /** A response of this family was lost (processed, never answered): its client may spend the token again. */
  lost: Set<string>
}

interface Call {
  tab: number
  rt: string
  resolve: (t: TokenSet) => void
  reject: (e: unknown) => void
}

const TTL = 300
const KEY = 'tabs-chaos'

/** Waits for pending promise chains (no timers): enough rounds for the engine's longest chain. */
export const settleMicrotasks = async () => {
  for (let i = 0; i < 60; i++) await Promise.resolve()
}

export function createTabWorld(n: number, seed = 1, { async = false, lag = false } = {}) {
  const log: string[] = []
  const violations: string[] = []
  const area = new Map<string, string>()
  // queues[`${to}<${from}:${source}`]: what tab `to` has still to hear from tab `from`.
  const queues = new Map<string, unknown[]>()
  const listeners: Array<((v: string | null, old?: string | null) => void) | undefined> = []
  const channels: Array<Channel | undefined> = []
  const enqueue = (to: number, from: number, source: Source, value: unknown, old?: string | null) => {
    const q = `${to}<${from}:${source}`
    if (!queues.has(q)) queues.set(q, [])
    // Boxed, so each item keeps its place in the order. A storage event also carries the value replaced.
    const item = { value, old }
    queues.get(q)!.push(item)
  }
  // Set while a tab's client is created (and while it acts), so its channel and writes are known as its own.
  let current = -1

  class Channel {
    onmessage: ((e: { data: unknown }) => void) | null = null
    readonly tab = current
    closed = false
    constructor(readonly name: string) {
      channels[this.tab] = this
    }
    postMessage(data: unknown) {
      for (let to = 0; to < n; to++)
        if (to !== this.tab && channels[to] && !channels[to]!.closed)
          enqueue(to, this.tab, 'channel', structuredClone(data))
    }
    close() {
      this.closed = true
    }
  }

  let random = seed
  vi.spyOn(Math, 'random').mockImplementation(
    () => (random = (random * 16_807) % 2_147_483_647) / 2_147_483_647,
  )
  vi.stubGlobal('BroadcastChannel', Channel)
  vi.stubGlobal('navigator', { ...navigator, locks: createLocks() })

  const storageOf = (tab: number): TokenStorage => {
    // Like localStorage: an event only when the value changes, in every other tab that listens, with the
    // value it replaced (a StorageEvent's oldValue).
    const changed = (v: string | null, old: string | null) => {
      for (let to = 0; to < n; to++) if (to !== tab && listeners[to]) enqueue(to, tab, 'storage', v, old)
    }
    // `async`: a custom storage whose calls answer 1 ms later (IndexedDB, say). A write lands at once
    // and is acknowledged then; a read answers what the area holds then. With `lag`, a write lands only
    // as it is acknowledged, 3 ms later (an encrypting store): a read made before that does not find it.
    const answer = <T>(value: () => T, ms = 1) =>
      async ? new Promise<T>((resolve) => setTimeout(() => resolve(value()), ms)) : value()
    const land = (change: () => void) => {
      if (!lag) change()
      return answer(
        () => {
          if (lag) change()
        },
        1 + 2 * +lag,
      )
    }
    return {
      get: (k) => answer(() => area.get(k) ?? null),
      set: (k, v) =>
        land(() => {
          const old = area.get(k) ?? null
          if (old !== v) {
            area.set(k, v)
            changed(v, old)
          }
        }),
      remove: (k) =>
        land(() => {
          const old = area.get(k)
          if (old !== undefined) {
            area.delete(k)
            changed(null, old)
          }
        }),
      subscribe: (_k, on) => {
        listeners[tab] = on
        return () => {
          listeners[tab] = undefined
        }
      },
    }
  }

  // ---- the server ----
  const families: Family[] = []
  const familyOf = new Map<string, Family>() // access or refresh token → its sign-in
  const labels = new Map<string, string>() // access token → `alice/f1#2`
  const pending: Call[] = []
  // Calls whose answer never comes (lost or hung): each holds its tab's refresh lock until it times out.
  const stranded = new Set<Call>()
  const spentTwice: string[] = []
  let serial = 0
  const stats = { calls: 0, rotations: 0, rejections: 0 }
  const issue = (f: Family): TokenSet => {
    const accessToken = token(TTL, { sub: f.user, f: f.id, n: ++serial })
    const refreshToken = `rt-${f.id}-${serial}`
    f.current = refreshToken
    familyOf.set(accessToken, f)
    familyOf.set(refreshToken, f)
    labels.set(accessToken, `${f.user}/f${f.id}#${serial}`)
    return { accessToken, refreshToken }
  }
  const signIn = (user: string) => {
    const f: Family = {
      id: families.length + 1,
      user,
      current: '',
      spent: new Set(),
      revoked: false,
      lost: new Set(),
    }
    families.push(f)
    return issue(f)
  }
  const label = (at: string | null | undefined) => (at ? (labels.get(at) ?? '?') : '-')
  /** The server processes a call: rotates its refresh token, or finds it spent and revokes the sign-in. */
  const process = (call: Call): TokenSet | RefreshError => {
    const f = familyOf.get(call.rt)
    if (!f || f.revoked) return new RefreshError('invalid_grant', { status: 400 })
    if (f.spent.has(call.rt) || call.rt !== f.current) {
      stats.rejections++
      // Spent before: legitimate only when its answer never reached the client (lost on the way).
      if (!f.lost.has(call.rt)) spentTwice.push(`${call.rt} by tab ${call.tab}`)
      f.revoked = true
      return new RefreshError('invalid_grant', { status: 400 })
    }
    f.spent.add(call.rt)
    stats.rotations++
    return issue(f)
  }
  const refreshOf =
    (tab: number) =>
    ({ refreshToken, signal }: { refreshToken: string | null; signal: AbortSignal }) =>
      new Promise<TokenSet>((resolve, reject) => {
        const call: Call = { tab, rt: refreshToken ?? '', resolve, reject }
        log.push(`  server: tab ${tab} calls with ${refreshToken}`)
        stats.calls++
        pending.push(call)
        // Aborted (timed out, or the session replaced): the request is cancelled before the server sees it.
        signal.addEventListener('abort', () => {
          const i = pending.indexOf(call)
          if (i >= 0) pending.splice(i, 1)
          stranded.delete(call)
          reject(signal.reason)
        })
      })

  // ---- the tabs ----
  const ended = new Set<Family>() // sign-ins a logout() ended
  // Per tab, the ended sign-ins it knows are over: it signed out of them, or heard of it. A tab may still
  // sign in with one it has not heard is over (news of a sign-in, then of its end, come in that order).
  const over: Array<Set<Family>> = []
  const held: Array<string | null> = [] // each tab's token as its events last told
  const errors: unknown[] = []
  const tabs: AuthClient[] = []
  for (let i = 0; i < n; i++) {
    current = i
    const tab = createAuthClient({
      storage: storageOf(i),
      storageKey: KEY,
      refresh: refreshOf(i),
      refreshTimeout: 5_000,
      retry: { attempts: 3, baseDelay: 500, maxDelay: 2_000 },
    })
    current = -1
    tabs.push(tab)
    held.push(null)
    over.push(new Set())
    const say = (what: string) => log.push(`  tab ${i}: ${what}`)
    const follow = (type: 'login' | 'refresh', at: string | null) => {
      const f = at ? familyOf.get(at) : undefined
      const was = held[i] ? familyOf.get(held[i]!) : undefined
      // A sign-in never comes back to a tab that knows a logout ended it.
      if (f && ended.has(f) && over[i]!.has(f) && (type === 'login' || was !== f))
        violations.push(`tab ${i} ${type} with ${label(at)}, a sign-in a logout ended`)
      held[i] = at
      say(`${type} ${label(at)}`)
    }
    tab.on('login', (s) => follow('login', s.accessToken))
    tab.on('refresh', (s) => follow('refresh', s.accessToken))
    tab.on('logout', (e) => {
      const f = held[i] ? familyOf.get(held[i]!) : undefined
      if (f) over[i]!.add(f)
      held[i] = null
      say(`logout ${e.reason}`)
    })
    tab.on('expired', (s) => say(`expired ${label(s.accessToken)}`))
    tab.on('refreshError', (e) => {
      errors.push(e.error)
      say(`refreshError ${e.error.code} ${e.error.status ?? ''} #${e.attempt} retry=${e.willRetry}`)
    })
    tab.on('error', (e) => {
      errors.push(e)
      say(`error ${e.code}`)
    })
  }

  const promises: Array<Promise<unknown>> = []
  const track = (p: Promise<unknown>) => promises.push(p.catch((e) => errors.push(e)))

  const waiting = (to: number, source: Source) =>
    [...queues].filter(([q, values]) => q.startsWith(`${to}<`) && q.endsWith(`:${source}`) && values.length)

  async function act(a: Action): Promise<void> {
    switch (a.kind) {
      case 'setTokens': {
        const tokens = signIn(a.user)
        log.push(`tab ${a.tab}: setTokens ${label(tokens.accessToken)}`)
        // Its own sign-in counts as held: no login event tells it.
        held[a.tab] = tabs[a.tab]!.setTokens(tokens).accessToken
        break
      }
      case 'logout': {
        const at = tabs[a.tab]!.getState().accessToken
        log.push(`tab ${a.tab}: logout (held ${label(at)})`)
        const f = at ? familyOf.get(at) : undefined
        if (f) {
          ended.add(f)
          over[a.tab]!.add(f)
        }
        track(tabs[a.tab]!.logout())
        break
      }
      case 'refresh':
        log.push(`tab ${a.tab}: refresh()`)
        track(tabs[a.tab]!.refresh())
        break
      case 'getAccessToken':
        log.push(`tab ${a.tab}: getAccessToken()`)
        track(tabs[a.tab]!.getAccessToken())
        break
      case 'deliver': {
        const ready = waiting(a.tab, a.source)
        if (!ready.length) return
        const [q, values] = ready[a.pick % ready.length]!
        const item = values.shift() as { value: unknown; old?: string | null }
        const value = item.value
        const from = q.slice(q.indexOf('<') + 1, q.indexOf(':'))
        const shown = typeof value === 'string' ? label(JSON.parse(value).at) : JSON.stringify(value)
        log.push(`tab ${a.tab} hears ${a.source} from tab ${from}: ${shown}`)
        if (a.source === 'storage') listeners[a.tab]?.(value as string | null, item.old)
        else {
          const c = channels[a.tab]
          if (c && !c.closed) c.onmessage?.({ data: value })
        }
        break
      }
      case 'resolve': {
        if (!pending.length) return
        const call = pending.splice(a.pick % pending.length, 1)[0]!
        if (a.outcome === 'hang' || a.outcome === 'lost') stranded.add(call)
        if (a.outcome === 'hang') {
          log.push(`server: call of tab ${call.tab} with ${call.rt} hangs`)
          break
        }
        if (a.outcome === '503') {
          log.push(`server: call of tab ${call.tab} with ${call.rt} → 503`)
          call.reject(Object.assign(new Error('HTTP 503'), { status: 503 }))
          break
        }
        const answer = process(call)
        const shown = answer instanceof RefreshError ? '400 invalid_grant' : label(answer.accessToken)
        if (a.outcome === 'lost') {
          // Processed, but the answer never arrives: the client times out.
          familyOf.get(call.rt)?.lost.add(call.rt)
          log.push(`server: call of tab ${call.tab} with ${call.rt} → ${shown}, lost`)
          break
        }
        log.push(`server: call of tab ${call.tab} with ${call.rt} → ${shown}`)
        if (answer instanceof RefreshError) call.reject(answer)
        else call.resolve(answer)
        break
      }
      case 'advance':
        log.push(`advance ${a.ms} ms`)
        await vi.advanceTimersByTimeAsync(a.ms)
        break
    }
    await settleMicrotasks()
  }

  // Set when the run reached a known bug that is not fixed (none today): its outcome says nothing new.
  let excluded: string | undefined

  const queued = () => [...queues.values()].some((v) => v.length)

  /**
   * Lets everything settle: hands over all news (in an order `order` picks), answers every call, lets
   * timers run a little, until nothing is left to hear or answer.
   */
  async function settle(order: number[] = [0]): Promise<void> {
    let k = 0
    const next = () => order[k++ % order.length]!
    for (let round = 0; round < 100; round++) {
      // Quiet: time for the lock's hold, a retry or a timeout to do something; and, while a call lost or
      // hung holds a refresh lock, until it timed out. A tab's write over an ended sign-in's entry may wait
      // in that lock: judged settled before, a run ended with that entry stored (lag seed 41). In steps,
      // so a call that starts meanwhile is answered, not left to time out; one more after the last one
      // timed out, for what waited behind it.
      for (
        let more = true, quiet = 0;
        more && !queued() && !pending.length && quiet < 60_000;
        quiet += 2_500
      ) {
        more = stranded.size > 0
        await act({ kind: 'advance', ms: 2_500 })
      }
      if (!queued() && !pending.length) return
      // Bounded: tabs that keep telling each other news forever never settle, a failure, not a hang.
      for (let steps = 0; (queued() || pending.length) && steps < 1_000; steps++) {
        const choices = [...queues].filter(([, v]) => v.length)
        if (pending.length && (!choices.length || next() % 3 === 0))
          await act({ kind: 'resolve', pick: next(), outcome: 'ok' })
        else {
          const [q] = choices[next() % choices.length]!
          const to = Number(q.slice(0, q.indexOf('<')))
          const source = q.endsWith(':storage') ? 'storage' : 'channel'
          const pick = waiting(to, source).findIndex(([other]) => other === q)
          await act({ kind: 'deliver', tab: to, source, pick })
        }
      }
      await act({ kind: 'advance', ms: 100 })
    }
    violations.push('never settled')
  }

  /** What must hold once everything settled. */
  function check(unhandled: unknown[]): string[] {
    const found = [...violations]
    const stored = area.get(KEY)
    const expected = stored ? (JSON.parse(stored).at as string) : null
    tabs.forEach((t, i) => {
      const at = t.getState().accessToken
      if (at !== expected) found.push(`tab ${i} holds ${label(at)}, storage ${label(expected)}`)
    })
    const f = expected ? familyOf.get(expected) : undefined
    if (f && ended.has(f)) found.push(`storage holds ${label(expected)}, a sign-in a logout ended`)
    for (const s of spentTwice) found.push(`refresh token spent twice: ${s}`)
    for (const u of unhandled) found.push(`unhandled rejection: ${String(u)}`)
    const secrets = [...familyOf.keys()]
    for (const e of [...errors, ...tabs.map((t) => t.getState().error)]) {
      const message = (e as Error | null)?.message ?? ''
      if (secrets.some((s) => message.includes(s))) found.push(`a token in an error message: ${message}`)
    }
    return found
  }

  async function destroy(): Promise<void> {
    for (const t of tabs) t.destroy()
    await settleMicrotasks()
    await Promise.all(promises)
  }

  return {
    tabs,
    act,
    /** Acts out `actions` in order. */
    async run(...actions: Action[]) {
      for (const a of actions) await act(a)
    },
    /** What each tab holds, by label (`-`: signed out). */
    holds: () => tabs.map((t) => label(t.getState().accessToken)),
    /** What storage holds, by label. */
    stored: () => {
      const raw = area.get(KEY)
      return label(raw ? JSON.parse(raw).at : null)
    },
    settle,
    check,
    destroy,
    log,
    area,
    label,
    pending,
    key: KEY,
    excluded: () => excluded,
    stats,
  }
}
