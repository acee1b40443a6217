import { randomBytes } from 'node:crypto'

/**
 * @typedef {{ access_token: string, refresh_token: string, expires_in: number, token_type: 'Bearer' }} TokenSet
 * @typedef {{ family: Family, username: string, expiresAt: number, spentAt: number | null,
 *   successor: Promise<TokenSet> | null }} Entry
 * @typedef {{ revoked: boolean }} Family
 * @typedef {{ ok: true, tokens: TokenSet, replay: boolean }
 *   | { ok: false, reason: 'unknown' | 'expired' | 'revoked' | 'reused' }} RefreshOutcome
 */

/**
 * In-memory refresh tokens: opaque, single use, grouped in families (one per login).
 *
 * Rotation spends a token and issues its successor. A spent token presented again within `grace`
 * seconds gets the very token set its rotation produced (two tabs refreshing at once both end up
 * with the same, live tokens). Later, it is reuse: the whole family is revoked.
 * Nothing is persisted or pruned; this is a demo server.
 *
 * @param {{ now: () => number, grace: number, refreshTtl: number }} options
 */
export function createRefreshTokens(options) {
  // `grace` is read at each use, so the test-only `POST /__config` can change it.
  const { now, refreshTtl } = options
  /** @type {Map<string, Entry>} */
  const entries = new Map()

  /** @param {Family} family @param {string} username */
  function add(family, username) {
    const token = randomBytes(32).toString('base64url')
    entries.set(token, {
      family,
      username,
      expiresAt: now() + refreshTtl * 1000,
      spentAt: null,
      successor: null,
    })
    return token
  }

  return {
    /** Starts a family for a new login and returns its first refresh token. @param {string} username */
    issue: (username) => add({ revoked: false }, username),

    /**
     * Spends `token` and builds the next token set with `makeSet(username, nextRefreshToken)`.
     * @param {string} token
     * @param {(username: string, refreshToken: string) => Promise<TokenSet>} makeSet
     * @returns {Promise<RefreshOutcome>}
     */
    async rotate(token, makeSet) {
      const entry = entries.get(token)
      if (!entry) return { ok: false, reason: 'unknown' }
      if (entry.family.revoked) return { ok: false, reason: 'revoked' }
      if (entry.spentAt !== null) {
        if (entry.successor && now() - entry.spentAt <= options.grace * 1000) {
          return { ok: true, tokens: await entry.successor, replay: true }
        }
        entry.family.revoked = true
        return { ok: false, reason: 'reused' }
      }
      if (now() >= entry.expiresAt) return { ok: false, reason: 'expired' }
      entry.spentAt = now()
      // Stored as a promise before any await, so a second request racing this one replays it.
      entry.successor = makeSet(entry.username, add(entry.family, entry.username))
      return { ok: true, tokens: await entry.successor, replay: false }
    },

    /** Revokes the family `token` belongs to; unknown tokens are ignored. @param {string} token */
    revoke(token) {
      const entry = entries.get(token)
      if (entry) entry.family.revoked = true
    },
  }
}
