import type { AuthClient } from '@latchkey/core'
import type { DemoClaims } from './authServer'
import { fingerprint, secondsUntil } from './format'

export interface LogEntry {
  readonly id: number
  readonly time: number
  /** A latchkey event name, or `demo` for the app's own notes. */
  readonly type: string
  readonly detail: string
}

const MAX_ENTRIES = 200
let entries: readonly LogEntry[] = []
let nextId = 1
const listeners = new Set<() => void>()

/** Newest first. A small external store, so the log outlives the clients that the mode switch replaces. */
export const eventLog = {
  getSnapshot: (): readonly LogEntry[] => entries,
  subscribe(listener: () => void): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
  add(type: string, detail: string): void {
    entries = [{ id: nextId++, time: Date.now(), type, detail }, ...entries].slice(0, MAX_ENTRIES)
    for (const listener of [...listeners]) listener()
  },
  clear(): void {
    entries = []
    for (const listener of [...listeners]) listener()
  },
}

const expiresIn = (expiresAt: number | null) =>
  expiresAt === null ? 'never expires' : `expires in ${secondsUntil(expiresAt, Date.now())} s`

/** Logs every event the client emits. Details name tokens by fingerprint only. Returns an unsubscribe. */
export function logClientEvents(client: AuthClient<DemoClaims, unknown>): () => void {
  const off = [
    client.on('login', (s) =>
      eventLog.add(
        'login',
        `signed in as ${s.claims?.sub ?? '?'}, token ${fingerprint(s.accessToken)}, ${expiresIn(s.expiresAt)}`,
      ),
    ),
    client.on('refresh', (s) =>
      eventLog.add('refresh', `new token ${fingerprint(s.accessToken)}, ${expiresIn(s.expiresAt)}`),
    ),
    client.on('refreshError', ({ error, attempt, willRetry }) =>
      eventLog.add(
        'refreshError',
        `${error.code}${error.status ? ` (HTTP ${error.status})` : ''}, attempt ${attempt}${willRetry ? ', will retry' : ''}`,
      ),
    ),
    client.on('expired', () =>
      eventLog.add('expired', 'the access token expired before a refresh succeeded'),
    ),
    client.on('logout', ({ reason }) => eventLog.add('logout', `reason: ${reason}`)),
    client.on('change', (s) =>
      eventLog.add('change', `status: ${s.status}${s.isRefreshing ? ' (refreshing)' : ''}`),
    ),
    client.on('error', (e) => eventLog.add('error', `${e.code}: ${e.message}`)),
  ]
  return () => {
    for (const unsubscribe of off) unsubscribe()
  }
}
