import type { Page } from 'playwright-core'

// Raw browser measurements behind the "Many tabs, one session" design, independent of latchkey.
// The functions passed to `evaluate` run in the page: they must not use anything from this module.

/** One Web Locks hand-off: what the waiting tab could see when it was granted the lock. */
export interface HandOff {
  /** localStorage still held the value from before the holder's write. */
  stale: boolean
  /** The holder's BroadcastChannel message had not arrived yet. */
  late: boolean
}

/**
 * `trials` times: tab `holder` takes a Web Lock, tab `waiter` queues for it, the holder writes
 * localStorage, posts the value on a BroadcastChannel, keeps the lock `hold` ms and releases it; the
 * waiter, once granted, records whether localStorage and the channel had caught up.
 */
export async function measureHandOff(
  holder: Page,
  waiter: Page,
  trials: number,
  hold: number,
): Promise<HandOff[]> {
  const name = `measure:handoff:${hold}`
  await waiter.evaluate((name) => {
    const channel = new BroadcastChannel(name)
    let seen = ''
    channel.onmessage = (e: MessageEvent<{ type: string; i: string }>) => {
      const { type, i } = e.data
      if (type === 'value') seen = i
      if (type !== 'queue') return
      void navigator.locks.request(name, async () => {
        const stale = localStorage.getItem(name) !== i
        channel.postMessage({ type: 'result', i, stale, late: seen !== i })
      })
    }
  }, name)
  return holder.evaluate(
    async ({ name, trials, hold }) => {
      const channel = new BroadcastChannel(name)
      const results: { stale: boolean; late: boolean }[] = []
      let answered: (() => void) | null = null
      channel.onmessage = (e: MessageEvent<{ type: string; stale: boolean; late: boolean }>) => {
        if (e.data.type !== 'result') return
        results.push({ stale: e.data.stale, late: e.data.late })
        answered?.()
      }
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
      for (let n = 0; n < trials; n++) {
        const i = String(n)
        let release = () => {}
        const released = new Promise<void>((resolve) => {
          release = resolve
        })
        await new Promise<void>((granted) => {
          void navigator.locks.request(name, () => {
            granted()
            return released
          })
        })
        channel.postMessage({ type: 'queue', i })
        // The waiter must be queued before the write, as a tab waiting on a refresh is.
        while (!(await navigator.locks.query()).pending?.some((l) => l.name === name)) await sleep(1)
        localStorage.setItem(name, i)
        channel.postMessage({ type: 'value', i })
        if (hold > 0) await sleep(hold)
        const done = new Promise<void>((resolve) => {
          answered = resolve
        })
        release()
        await done
      }
      channel.close()
      return results
    },
    { name, trials, hold },
  )
}

/**
 * `trials` rounds in which every page tries to take a lease in localStorage at the same instant (plus
 * up to `jitter` ms, as busy tabs' timers drift): read it, and if free write its own id; with `verify`
 * > 0 it then waits that long and keeps the lease only if its id is still there (what latchkey's
 * lease does). Returns, per round, how many pages believed they held the lease.
 */
export async function measureLeaseRace(
  pages: readonly Page[],
  { trials, verify, jitter = 0 }: { trials: number; verify: number; jitter?: number },
): Promise<number[]> {
  const period = verify + jitter + 40
  const t0 = Date.now() + 300
  const key = `measure:lease:${verify}:${jitter}`
  const owned = await Promise.all(
    pages.map((page, id) =>
      page.evaluate(
        async ({ id, t0, trials, period, verify, jitter, key }) => {
          const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
          const mine: boolean[] = []
          for (let k = 0; k < trials; k++) {
            await sleep(t0 + k * period + Math.random() * jitter - Date.now())
            const me = `${k}:${id}`
            // A lease from an earlier round counts as expired.
            const lease = localStorage.getItem(key)
            let held = false
            if (!lease?.startsWith(`${k}:`)) {
              localStorage.setItem(key, me)
              held = true
            }
            if (held && verify > 0) {
              await sleep(verify)
              held = localStorage.getItem(key) === me
            }
            mine.push(held)
          }
          return mine
        },
        { id, t0, trials, period, verify, jitter, key },
      ),
    ),
  )
  return Array.from({ length: trials }, (_, k) => owned.filter((m) => m[k]).length)
}

/** `{ owners: rounds }`, e.g. `{ 1: 28, 2: 2 }`. */
export const histogram = (counts: readonly number[]): Record<number, number> => {
  const h: Record<number, number> = {}
  for (const c of counts) h[c] = (h[c] ?? 0) + 1
  return h
}
