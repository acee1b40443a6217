import type { AuthClient, TokenSet } from '@latchkey/core'

/** What {@link controlledRefresh} returns. */
export interface ControlledRefresh {
  /** Pass as the client's `refresh` option. Each call waits until the test settles it. */
  refresh: () => Promise<TokenSet>
  /** Answers the pending refresh call (and any made before) with `tokens`. */
  settle(tokens: TokenSet): void
  /** Fails the pending refresh call with `error` (give it a numeric `status` for HTTP failures). */
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
  const waiting: Array<{ resolve: (t: TokenSet) => void; reject: (e: unknown) => void }> = []
  const take = () => waiting.splice(0)
  return {
    refresh: () => new Promise<TokenSet>((resolve, reject) => waiting.push({ resolve, reject })),
    settle: (tokens) => {
      for (const w of take()) w.resolve(tokens)
    },
    fail: (error) => {
      for (const w of take()) w.reject(error)
    },
  }
}

/**
 * Calls `client.refresh()` and resolves once the state says `isRefreshing` (the state changes a few
 * microtasks after the call). `done` is the refresh itself; it may reject.
 */
export async function startRefresh(client: AuthClient<any, any>): Promise<{ done: Promise<string> }> {
  const done = client.refresh()
  done.catch(() => {})
  while (!client.getState().isRefreshing) await new Promise((r) => setTimeout(r, 0))
  return { done }
}
