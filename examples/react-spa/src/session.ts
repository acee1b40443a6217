import { type AuthClient, createAuthClient, createAuthFetch } from '@latchkey/core'
import * as server from './authServer'
import { AUTH_URL, type Credentials, type DemoClaims } from './authServer'
import { eventLog, logClientEvents } from './eventLog'

export type StorageMode = 'memory' | 'localStorage' | 'cookie'

export const STORAGE_MODES: Record<StorageMode, string> = {
  memory: 'Memory: private to this page. A reload signs you out.',
  localStorage: "localStorage: survives reloads and is shared with this site's other tabs.",
  cookie: 'Cookie: a first-party cookie "latchkey" (SameSite=Strict, 30 days), readable by this page.',
}

/** Seconds before expiry at which latchkey refreshes; it caps this at half the token's lifetime. */
export const REFRESH_LEEWAY = 10

const MODE_KEY = 'latchkey-demo-mode'

/** What the last call through {@link DemoSession.api} put on the wire. */
export interface SentRequest {
  /** Fingerprint of the Bearer token sent, or null when it went without one. */
  bearer: string | null
}

export interface DemoSession {
  readonly mode: StorageMode
  readonly client: AuthClient<DemoClaims, Credentials>
  /** `fetch` that adds the Bearer token for the auth server's origin only (`createAuthFetch`). */
  readonly api: typeof fetch
  /** Returns and forgets what `api` sent since the last call: a 401 replay shows up as a second entry. */
  readonly takeSent: () => SentRequest[]
}

function readMode(): StorageMode {
  try {
    const saved = localStorage.getItem(MODE_KEY)
    if (saved && saved in STORAGE_MODES) return saved as StorageMode
  } catch {
    // Storage blocked (some private modes): fall back to the default.
  }
  return 'localStorage'
}

function createSession(mode: StorageMode): DemoSession {
  const client = createAuthClient<DemoClaims, Credentials>({
    storage: mode,
    storageKey: 'latchkey',
    refreshLeeway: REFRESH_LEEWAY,
    login: (credentials, { signal }) => server.login(credentials, signal),
    refresh: ({ refreshToken, signal }) => server.refresh(refreshToken, signal),
    logout: ({ refreshToken }) => server.logout(refreshToken),
  })
  let sent: SentRequest[] = []
  // Wraps the real fetch only to show what went out; the token itself stays out of the UI.
  const record: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
    const match = /^Bearer (.+)$/.exec(headers.get('Authorization') ?? '')
    sent.push({ bearer: match?.[1] ? `…${match[1].slice(-6)}` : null })
    return fetch(input, init)
  }
  const api = createAuthFetch(client, { origins: [AUTH_URL], fetch: record })
  logClientEvents(client)
  const takeSent = () => {
    const taken = sent
    sent = []
    return taken
  }
  return { mode, client, api, takeSent }
}

let current: DemoSession | undefined
const listeners = new Set<() => void>()

/** Signs out of the current client (clearing its storage and revoking its refresh token), destroys it and starts one on `mode`. */
function replaceSession(mode: StorageMode, note: string): void {
  const previous = demoSession.get()
  if (previous.mode === mode) return
  void previous.client.logout().finally(() => previous.client.destroy())
  eventLog.add('demo', `storage mode → ${mode}: ${note}`)
  current = createSession(mode)
  for (const listener of [...listeners]) listener()
}

// The choice is kept for the whole origin, so every tab takes it: a tab left on the old mode would
// show one mode while a reload brings up another, and its client (same storageKey, so the same tab
// channel) would follow the new mode's session without keeping it.
function followOtherTabs(): void {
  if (typeof window === 'undefined') return
  window.addEventListener('storage', (event) => {
    if (event.key !== MODE_KEY || !event.newValue || !(event.newValue in STORAGE_MODES)) return
    replaceSession(
      event.newValue as StorageMode,
      'chosen in another tab; signed out and created a new client',
    )
  })
}

/** The current session: one client at a time, created lazily and replaced by {@link setStorageMode}. */
export const demoSession = {
  get(): DemoSession {
    if (!current) followOtherTabs()
    current ??= createSession(readMode())
    return current
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
}

/**
 * Signs out of the current client (clearing its storage and revoking its refresh token), destroys it
 * and starts a new client on `mode`. The choice is kept in localStorage, so a reload keeps it, and
 * the other tabs of the app switch too.
 */
export function setStorageMode(mode: StorageMode): void {
  if (demoSession.get().mode === mode) return
  try {
    localStorage.setItem(MODE_KEY, mode)
  } catch {
    // The mode then lasts until the next reload only.
  }
  replaceSession(mode, 'signed out and created a new client')
}
