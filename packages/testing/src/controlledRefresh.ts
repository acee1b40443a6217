import type { AuthClient, TokenSet } from '@latchkey/core'

/** What {@link controlledRefresh} returns. */
export interface ControlledRefresh {
  /**
   * Pass as the client's `refresh` option. Each call waits until the test settles it, or until the
   * client aborts it (`refreshTimeout`, `destroy()`).
   */
  refresh: (context?: { signal?: AbortSignal | undefined }) => Promise<TokenSet>
  /** Answers the pending refresh calls with `tokens` (none pending yet: the next call). */
  settle(tokens: TokenSet): void
  /**
   * Fails the pending refresh calls with `error` (none pending yet: the next call). Give it a numeric
   * `status` for HTTP failures.
   */
  fail(error: unknown): void
}

/**
 * A `refresh` option whose result the test hands out, to see what the UI shows while a refresh is in
 * flight (`isRefreshing`) and after it ends.
 * @example
 * const control = controlledRefresh()
 * const auth = createAuthClient({ refresh: control.refresh })
 * auth.setTokens({ accessToken: createTestToken({ sub: 'alice' }), refreshToken: 'rt' })
 * const { done } = await startRefresh(auth) // the UI now shows a spinner
 * control.settle({ accessToken: createTestToken({ sub: 'alice' }) })
 * await done
 */
export function controlledRefresh(): ControlledRefresh {
  type Waiter = { resolve: (t: TokenSet) => void; reject: (e: unknown) => void }
  const waiting: Waiter[] = []
  // An answer given before the client called `refresh` (it may first wait for the cross-tab lock):
  // kept for the next call, so `settle`/`fail` right after `startRefresh` is never lost.
  let early: ((w: Waiter) => void) | null = null
  const answer = (fn: (w: Waiter) => void) => {
    const calls = waiting.splice(0)
    if (calls.length) for (const w of calls) fn(w)
    else early = fn
  }
  return {
    refresh: ({ signal } = {}) =>
      new Promise<TokenSet>((resolve, reject) => {
        const give = early
        early = null
        if (give) return give({ resolve, reject })
        const waiter = { resolve, reject }
        waiting.push(waiter)
        // A call the client gave up on (refreshTimeout, destroy) waits for no answer: the next
        // `settle`/`fail` is kept for the client's next call (its retry) instead.
        signal?.addEventListener('abort', () => {
          const at = waiting.indexOf(waiter)
          if (at >= 0) waiting.splice(at, 1)
          reject(signal.reason)
        })
      }),
    settle: (tokens) => answer((w) => w.resolve(tokens)),
    fail: (error) => answer((w) => w.reject(error)),
  }
}

/**
 * Calls `client.refresh()` and resolves once the state says `isRefreshing` (the state changes a few
 * microtasks after the call), or once the refresh has ended without being seen in flight (no refresh
 * token, a destroyed client, a refresh that answered at once). `done` is the refresh itself; it may
 * reject. Waits on the client's own state changes, so it works under fake timers too.
 */
export async function startRefresh(client: AuthClient<any, any>): Promise<{ done: Promise<string> }> {
  const done = client.refresh()
  done.catch(() => {})
  await new Promise<void>((resolve) => {
    let off = () => {}
    const finish = () => {
      off()
      resolve()
    }
    off = client.subscribe((state) => state.isRefreshing && finish())
    if (client.getState().isRefreshing) finish()
    done.then(finish, finish)
  })
  return { done }
}
