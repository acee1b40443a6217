import type { AuthClient, TokenSet } from '@latchkey/core'

const segment = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** An unsigned JWT; `exp`/`iat` in seconds, valid for an hour unless claims say otherwise. */
export function makeToken(claims: Record<string, unknown> = {}): string {
  const iat = Math.floor(Date.now() / 1000)
  return [
    segment({ alg: 'HS256', typ: 'JWT' }),
    segment({ iat, exp: iat + 3600, ...claims }),
    segment('sig'),
  ].join('.')
}

export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** A `refresh` option whose result the test hands out. */
export function controlledRefresh(): {
  refresh: () => Promise<TokenSet>
  settle: (tokens: TokenSet) => void
} {
  let pending = deferred<TokenSet>()
  return {
    refresh: () => pending.promise,
    settle: (tokens) => {
      const current = pending
      pending = deferred()
      current.resolve(tokens)
    },
  }
}

/** The same client, with `subscribe` wrapped to count the subscriptions still open. */
export function countSubscriptions<C>(client: AuthClient<C>): {
  client: AuthClient<C>
  active: () => number
} {
  let active = 0
  const counted: AuthClient<C> = {
    ...client,
    subscribe: (listener) => {
      active++
      const off = client.subscribe(listener)
      let open = true
      return () => {
        if (open) active--
        open = false
        off()
      }
    },
  }
  return { client: counted, active: () => active }
}

/** Calls `client.refresh()` and waits until the state says `isRefreshing`. */
export async function startRefresh(client: AuthClient<any>): Promise<{ done: Promise<string> }> {
  const done = client.refresh()
  while (!client.getState().isRefreshing) await new Promise((r) => setTimeout(r, 0))
  return { done }
}
