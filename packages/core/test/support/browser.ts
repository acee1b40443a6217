import { vi } from 'vitest'

/** Expires every cookie the page can see, also those scoped to a parent domain. */
export function clearCookies(): void {
  const labels = location.hostname.split('.')
  const domains = ['', ...labels.slice(0, -1).map((_, i) => `; Domain=${labels.slice(i).join('.')}`)]
  for (const c of document.cookie.split('; ')) {
    const name = c.split('=')[0]
    for (const domain of domains) if (name) document.cookie = `${name}=; Path=/; Max-Age=0${domain}`
  }
}

/**
 * Records every string written to `document.cookie`, then writes it through. The setter lives on
 * `Document.prototype`, two levels up from a happy-dom document: walk the chain until one has a setter
 * (taking the first descriptor found would make every write throw, which latchkey reports as
 * `storage_unavailable`).
 */
export function recordCookieWrites(): string[] {
  const writes: string[] = []
  let proto: object | null = Object.getPrototypeOf(document)
  let setter: ((value: string) => void) | undefined
  while (proto && !setter) {
    setter = Object.getOwnPropertyDescriptor(proto, 'cookie')?.set
    proto = Object.getPrototypeOf(proto)
  }
  vi.spyOn(document, 'cookie', 'set').mockImplementation((value: string) => {
    writes.push(value)
    setter!.call(document, value)
  })
  return writes
}

export interface ChannelCounts {
  opened: number
  closed: number
  readonly open: number
  /** Closes the channels still open (those a test found leaked), so they do not outlive it. */
  closeAll(): void
}

/** Counts BroadcastChannels opened and closed from now on (until `vi.unstubAllGlobals()`). */
export function countChannels(): ChannelCounts {
  const live = new Set<BroadcastChannel>()
  const counts: ChannelCounts = {
    opened: 0,
    closed: 0,
    get open() {
      return counts.opened - counts.closed
    },
    closeAll() {
      for (const channel of [...live]) channel.close()
    },
  }
  const Base = globalThis.BroadcastChannel
  vi.stubGlobal(
    'BroadcastChannel',
    class extends Base {
      constructor(name: string) {
        super(name)
        counts.opened++
        live.add(this)
      }
      override close() {
        if (live.delete(this)) counts.closed++
        super.close()
      }
    },
  )
  return counts
}
