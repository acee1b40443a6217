import type { AuthClient } from '@latchkey/core'

/**
 * The same client with `subscribe` wrapped to count the subscriptions still open: a component that
 * leaves one behind after unmounting (or two under React's StrictMode) shows up as `active() > 0`.
 * @example
 * const { client, active } = countSubscriptions(auth)
 * const view = render(<AuthProvider client={client}><Profile /></AuthProvider>)
 * view.unmount()
 * expect(active()).toBe(0)
 */
export function countSubscriptions<C, Credentials>(
  client: AuthClient<C, Credentials>,
): {
  client: AuthClient<C, Credentials>
  active: () => number
} {
  let active = 0
  const counted: AuthClient<C, Credentials> = {
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
