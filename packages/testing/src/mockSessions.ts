import { createTestToken } from './createTestToken'

/** A demo account of the mock server. */
export interface MockUser {
  password: string
  /** Extra claims put into every access token of this user (`sub` is the username). */
  claims?: object | undefined
}

/** One token set the mock server handed out, as returned by `issued()`. */
export interface IssuedTokens {
  username: string
  accessToken: string
  /** The refresh token of this set (with `rotate: false`, the session's one refresh token). */
  refreshToken: string
  /** `'login'` or `'refresh'`. */
  via: 'login' | 'refresh'
  /** When it was issued, in ms on the mock's clock. */
  issuedAt: number
  /** Access token expiry, in ms on the mock's clock. */
  expiresAt: number
}

interface Session {
  username: string
  revoked: boolean
  refreshToken: string
}

/** The result of presenting a refresh token. */
export type RefreshOutcome =
  | { ok: true; tokens: IssuedTokens; rotated: boolean }
  | { ok: false; reason: 'unknown' | 'revoked' | 'reused' }

let sequence = 0
// Random enough that a token left in storage by an earlier test never matches a fresh mock's token.
const opaque = (prefix: string): string =>
  `${prefix}_${++sequence}_${Math.random().toString(36).slice(2, 12)}`

/** Token bookkeeping of the mock server: sessions, rotation, reuse detection and revocation. */
export function createMockSessions(options: {
  users: Record<string, MockUser>
  accessTtl: number
  rotate: boolean
  now: () => number
}) {
  const { users, accessTtl, rotate, now } = options
  let log: IssuedTokens[] = []
  let byRefresh = new Map<string, Session>()
  let byAccess = new Map<string, { session: Session; expiresAt: number; claims: Record<string, unknown> }>()

  function issue(session: Session, via: IssuedTokens['via']): IssuedTokens {
    const issuedAt = now()
    const iat = Math.floor(issuedAt / 1000)
    const claims = { ...users[session.username]?.claims, sub: session.username, jti: opaque('at'), iat }
    const accessToken = createTestToken(claims, { expiresIn: accessTtl, issuedAt: iat })
    const expiresAt = (iat + accessTtl) * 1000
    byAccess.set(accessToken, { session, expiresAt, claims: { ...claims, exp: iat + accessTtl } })
    const tokens = {
      username: session.username,
      accessToken,
      refreshToken: session.refreshToken,
      via,
      issuedAt,
      expiresAt,
    }
    log.push(tokens)
    return tokens
  }

  return {
    login(username: unknown, password: unknown): IssuedTokens | null {
      const user =
        typeof username === 'string' && Object.hasOwn(users, username) ? users[username] : undefined
      if (!user || typeof username !== 'string' || user.password !== password) return null
      const session: Session = { username, revoked: false, refreshToken: opaque('rt') }
      byRefresh.set(session.refreshToken, session)
      return issue(session, 'login')
    },

    refresh(refreshToken: string): RefreshOutcome {
      const session = byRefresh.get(refreshToken)
      if (!session) return { ok: false, reason: 'unknown' }
      if (session.revoked) return { ok: false, reason: 'revoked' }
      if (session.refreshToken !== refreshToken) {
        // A spent token came back: someone holds a stolen or stale copy, so the whole family dies.
        session.revoked = true
        return { ok: false, reason: 'reused' }
      }
      if (rotate) {
        session.refreshToken = opaque('rt')
        byRefresh.set(session.refreshToken, session)
      }
      return { ok: true, tokens: issue(session, 'refresh'), rotated: rotate }
    },

    /** The claims of a live access token, or null when unknown, revoked or expired. */
    verify(accessToken: string): Record<string, unknown> | null {
      const entry = byAccess.get(accessToken)
      if (!entry || entry.session.revoked || now() >= entry.expiresAt) return null
      return { ...entry.claims }
    },

    /** Revokes the session of an access or refresh token, or every session when none is given. */
    revoke(token?: string): void {
      if (token === undefined) {
        for (const session of byRefresh.values()) session.revoked = true
        return
      }
      const session = byRefresh.get(token) ?? byAccess.get(token)?.session
      if (session) session.revoked = true
    },

    issued: (): IssuedTokens[] => log.map((t) => ({ ...t })),

    reset(): void {
      log = []
      byRefresh = new Map()
      byAccess = new Map()
    },
  }
}
