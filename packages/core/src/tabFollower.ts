import {
  bounded,
  canRefresh,
  type Engine,
  emit,
  end,
  fallBack,
  live,
  noop,
  noRefresh,
  replace,
  report,
  type Stored,
} from './engine'
import { by, entry, over, persist, read, readNow, reread, write } from './entryStore'
import type { AuthError } from './errors'
import { MAX_TIMEOUT } from './scheduler'
import { decodeSession, encodeSession, type Session } from './session'
import { createTabSync, type Failure, type Message } from './tabSync'

/**
 * Another tab's session renews `had`: the same user, and the same sign-in. Where either has no id (an
 * entry stored by an earlier version, or written by one still open in another tab during a deploy), only
 * the user is compared, as before ids.
 */
const renews = (had: Session, next: Session) =>
  next.claims?.sub === had.claims?.sub && (!next.id || !had.id || next.id === had.id)

/**
 * The client's part that follows other tabs: news of an entry stored or removed there (by message, or by
 * a storage event), judged by what shared storage holds, as a reload would judge it.
 */
export function tabFollower(k: Engine): void {
  // sessionStorage: the sign-in (its id) whose copies this tab follows (see relink()), once set up.
  let copies: unknown
  let line: string | undefined
  /**
   * Reads of an async storage tell what it holds, newer than anything this tab took or wrote: none of its
   * own writes is still landing, and other tabs tell theirs once landed (see persist()).
   */
  const current = () => k.later && !k.writing

  /**
   * A tab opened as a copy of this one ("Duplicate tab", `window.open`) starts with a copy of its
   * sessionStorage, refresh token included. Tabs holding one sign-in (its id, kept by refreshes) share a
   * channel and a refresh lock named after it, so its refresh token is spent once between them; tabs of
   * other sign-ins, and sessions stored without an id, keep to themselves. The lock is named after the
   * id's first 4 characters only: any script of the origin sees a lock's name, and the whole id is what
   * keeps it off the channel that carries the tokens.
   */
  const relink = (k.relink = () => {
    if (copies && k.session?.id !== line) {
      k.sync?.close()
      // A stored id is a string or none (decodeSession); a new one is made as a string.
      line = k.session?.id as string | undefined
      k.sync = line ? open(`${k.key}:${line.slice(0, 4)}`, line.slice(4)) : null
    }
  })

  const open = (name: string, secret?: string) =>
    createTabSync(
      name,
      onMessage,
      // Longer than a live tab holds the lock: besides the refresh, a custom storage (async, maybe)
      // is waited for up to refreshTimeout to read and again to write (built-in ones answer at once).
      // Capped at a timer's limit (2^31−1 ms; Infinity is refused): a longer wait would end at once.
      Math.min((typeof k.options.storage === 'object' ? 3 : 1) * k.refreshTimeout + 5_000, MAX_TIMEOUT),
      secret,
      !k.shared,
    )

  /**
   * A message from another tab (see `Message`): `0` asks for the session held here, `1` is a user's logout
   * there (which outranks a login() still pending here, as one made here would), `2` garbage it removed,
   * then the sign-ins a logout ended, a failure, or news of an entry stored or removed.
   */
  const onMessage = (raw: Message) => {
    if (raw === 0) {
      if (k.session) k.sync!.post(k.lastRaw)
    } else if (raw === 1) k.logins++
    else if (raw === 2) keep()
    else if (Array.isArray(raw) && raw[0] !== -1) {
      if (raw[0]) k.heard(raw as Failure)
      // The sign-ins a logout there ended: news of one that comes later (from a third tab, slower)
      // signs nobody in here.
      else end(k, raw.slice(1))
    } else
      onNews(
        () => {
          // An entry, or a removal: named (see removes()), or a `null` from an older version.
          const said = typeof raw === 'string' ? raw : null
          if (!Array.isArray(raw) || removes({ g: raw[1], id: raw[2] })) {
            adopt(said)
            // It counts as stored once read there (a cookie too large, or an async write not landed
            // yet, is not), and its removal (an expired cookie) is a sign-out. Another entry found there
            // is newer than this message and has a message of its own: taken now, it would run ahead of
            // the messages still queued, and a logout among them would end it (a sign-out and a sign-in
            // in quick succession there).
            reread(k, (r) => (!r || r === k.lastRaw) && adoptRead(r))
          }
          // Not followed, as storage read here did not hold it: that read may be behind the message. A
          // cookie written in another tab reaches this one's document.cookie a few ms after the
          // message (in Chromium), and no event follows. Read again shortly: if storage holds it then,
          // it is followed, as a reload would. An entry is read for once this tab's own writes landed (a
          // setTokens() since, still landing: the read would find the entry it replaces, and take it back).
          if (said !== k.lastRaw)
            k.recheck.at(k.clock() + 100, () => reread(k, (r) => r === said && adoptRead(r), said !== null))
        },
        typeof raw === 'string',
      )
  }

  /**
   * A removal of `s` (undefined: not named) ends the session held here when it removed that sign-in, or a
   * newer one; not another, older sign-in than this one (stored after the removal, its news is old). Nor a
   * newer one while storage still holds this one: a sign-in made by a tab that had not heard of the entry
   * removed before it has a lower generation. Any removal, when an async storage read for it holds
   * nothing (see onNews()): a logout there could not read which entry it removed.
   */
  const removes = (s?: { g: unknown; id?: unknown }) => {
    // Seen: news of it, told late, is old (see passed()).
    if (Number.isFinite(s?.g)) k.generation = Math.max(k.generation, s!.g as number)
    const stored = readNow(k)
    const { session } = k
    return (
      !s ||
      !session ||
      session.id === s.id ||
      (session.g < (s.g as number) && stored !== k.lastRaw) ||
      (current() && stored === null)
    )
  }

  /**
   * The entry is gone from where it was seen: a sign-out (or an expiry) in another tab. From an async
   * storage, gone whenever a read finds none while none of this tab's writes is pending (see current()):
   * such a read comes after them, and the entries this tab took from others were read there (see adopt()).
   */
  const gone = (raw: Stored) => raw === null && !!k.lastRaw && (current() || k.lastRaw === k.confirmed)

  /** Follows what a read of shared storage found (undefined: nothing could be read). */
  const adoptRead = (k.adoptRead = (raw) => {
    if (raw === undefined) return
    const news = raw !== null || gone(raw)
    k.confirmed = raw
    // Judged by that read (an async storage's too: see readNow()).
    if (news) by(k, raw, () => adopt(raw))
  })

  /**
   * Judges news from another tab. An async shared storage cannot be read at once: the news waits for a
   * read made after it came, and is judged by what storage held then, as a sync one's is by what it holds
   * now. Such a read finds what a reload would, newer than anything this tab wrote or took before it
   * (read again if this tab changed its session meanwhile), so storage decides (see adopt()). `ofEntry`:
   * the news is of an entry stored, not of a removal.
   */
  const onNews = (judge: () => void, ofEntry?: unknown) => {
    if (!k.later) return judge()
    const take = (): Promise<void> => {
      const at = k.epoch
      const was = k.lastRaw
      // News of an entry is read for once this tab's own writes landed: a read made earlier may not find
      // them, and they are newer than what it finds. (A write still pending when the answer comes, one
      // that hangs, leaves the generations to judge.) Not a removal: a sign-out there outranks this tab's
      // refresh still being written, which is removed once it lands (see write()).
      return bounded(k, ofEntry && k.writing ? k.landing.then(() => read(k)) : read(k)).then((r) =>
        at !== k.epoch || was !== k.lastRaw ? take() : by(k, ofEntry && k.writing ? undefined : r, judge),
      )
    }
    take().catch(noop)
  }

  /**
   * An entry of a sign-in that was signed out, stored by a refresh that raced the sign-out: removed. Not
   * while shared storage holds another entry (news of a sign-in since, heard late): that one has news of
   * its own, and removing it (and telling the other tabs so) would sign it out everywhere.
   */
  function raced(s: Session, raw: string, locked?: boolean): boolean {
    if (!k.ended.has(s.id)) return false
    // Seen, and removed: older news (a sign-in it replaced, told late) must not sign anybody in either.
    k.generation = Math.max(k.generation, s.g)
    const stored = readNow(k)
    // The session held here is of that sign-in too (its end told, its removal not yet): it ends now, and
    // its removal is followed as if told, which removes this entry in turn. Written back instead, it
    // would be an entry older than the one it replaced, which no removal of that one names.
    if (k.ended.has(k.session?.id)) adopt(null)
    // Called in the refresh lock (from peek()), it writes at once: no renewal lands there between that
    // read and this write. Elsewhere over() takes the lock to read again.
    else if (stored === raw || stored === undefined)
      locked ? persist(k) : over(k, raw, () => persist(k), true)
    return true
  }

  /**
   * Another tab's session of this one's generation: two sign-ins made before either tab heard of the
   * other. Each tab must keep the same one: the one shared storage holds (`stored`, stored last, as a
   * reload finds it), else (no shared storage, or an async one) the greater entry.
   */
  const beaten = (raw: string, stored: Stored) =>
    stored === undefined ? raw < k.lastRaw! : stored === k.lastRaw

  /**
   * Shared storage, read at once (`stored`), holds another value than `raw`. News of a session no newer
   * than the last one this signed-out tab held or ended is then old (a sign-in replaced or signed out
   * since, told late).
   */
  const passed = (raw: string, stored: Stored) => stored !== undefined && stored !== raw

  /**
   * Garbage another tab found as it started, over an entry this one had not seen replaced (a cookie, which
   * has no change events; a script of this tab, which makes no storage event here), and removed: no
   * sign-out, which names what it removed. The session held here is written back where storage, read at
   * once, holds none (or the garbage still), and told: a reload there would take it, and that tab does.
   */
  const keep = () => {
    const stored = readNow(k)
    if (k.session && stored !== undefined && stored !== k.lastRaw && !entry(k, stored)) {
      write(k, k.lastRaw)
      k.sync?.post(k.lastRaw)
    }
  }
  // Garbage removed here is no sign-out: once the removal landed, the tabs holding a session write theirs
  // back (keep()). Told once the channel is open.
  k.cleaned = (removal) => {
    if (removal) Promise.resolve(removal).then(() => k.destroyed || k.sync?.post(2))
  }

  /**
   * Garbage from another script: keeps the session held, writes it back, and reports the garbage. News of
   * it (`told`) may be old: another tab may have stored an entry over it since, whose own news is on its
   * way. Written back only over the garbage, so that entry is not replaced by an older session (or, in a
   * tab signed out, removed).
   */
  const refuse = (e: unknown, told?: string) => {
    const back = () => {
      const done = write(k, k.session && encodeSession(k.session))
      // Removed by a tab that holds no session: the tabs that hold one write it back.
      if (!k.session) k.cleaned(done ?? true)
      return done
    }
    if (told === undefined) back()
    // Also over nothing: a read may remove what it finds (a cookie read that found two cookies of the
    // name expires both), or another tab removed the garbage (found at its start-up, or holding no
    // session), and the tab's session is then the only one left. An async storage's tabs cannot write it
    // back when told so (keep() reads at once), so this is theirs to do too.
    else over(k, told, back, k.later, true)
    report(k, e as AuthError)
  }

  /**
   * A storage of this tab alone (sessionStorage, a custom one without `subscribe`) is not followed, and no
   * storage event tells of a change there: garbage another script wrote over the entry is found when the
   * page wakes. An entry that decodes is left alone (a same-origin frame's client may have stored it).
   * Not an async storage: its read, not waited for, would be work for nothing (and a failed one an
   * unhandled rejection).
   */
  k.mend = () => {
    let raw: unknown
    try {
      raw = !k.shared && !k.later && k.loaded && !k.destroyed && k.storage?.get(k.key)
    } catch {
      // Unreadable right now: the next write reports it.
    }
    if (typeof raw === 'string' && raw !== k.lastRaw)
      try {
        decodeSession(raw)
      } catch (e) {
        refuse(e)
      }
  }

  /** Follows a value another tab (or script) put in shared storage. */
  const adopt = (raw: string | null) => {
    if (k.destroyed || raw === k.lastRaw) return
    // Looks at the clock first: a session measured after it was set back must not be moved back again.
    k.now()
    let next: Session | null = null
    if (raw !== null) {
      try {
        next = decodeSession(raw)
      } catch (e) {
        return refuse(e, raw)
      }
      // Of another sign-in than the one held, while storage holds one of the two: storage tells which is
      // newer, as a reload would. Generations may not: a sign-in made by a tab that had not heard of a
      // newer one, removed before it, has a lower one. Read once, for each rule below.
      const stored = readNow(k)
      const { session } = k
      const other = session && !renews(session, next) && (stored === raw || stored === k.lastRaw)
      if (
        (current() && stored !== undefined
          ? // An async storage, read for this news (see onNews()): it holds what a reload would take, newer
            // than anything this tab wrote or took. Another value there replaced or removed this one, and
            // has news of its own. (Unlike localStorage and cookies, it does not lag the channel.) Its
            // generations cannot tell: a tab that cannot read it at once makes a sign-in of the
            // generation of the one it replaces.
            stored !== raw
          : session
            ? other
              ? stored === k.lastRaw
              : next.g < session.g || (next.g === session.g && beaten(raw, stored))
            : (next.g <= k.generation || k.epoch === k.signedOut) && passed(raw, stored)) ||
        raced(next, raw)
      ) {
        // An async storage, not read here, may hold the entry ignored, stored last by a tab that had not
        // heard of this one's: a reload would take it. Replaced by this tab's, if storage holds it still.
        if (k.session && stored === undefined) over(k, raw, () => persist(k))
        return
      }
    }
    k.lastRaw = raw
    const had = k.session
    if (!had && !next) return
    // The same token stored again (by a tab that adopted it, say): nothing to announce. What came with it
    // (a refresh token added, removed or rotated) is shown, kept by a copy (below), and the schedule
    // follows it.
    if (next && had?.at === next.at) {
      k.session = next
      if (!k.shared) write(k, raw)
      k.check()
      return
    }
    const last = k.error
    // Removed by a tab whose timer saw the session end first: an expiry here too, not a logout, and
    // (as for an expiry seen here) the last error stays.
    const expired = !next && !live(k, had!) && !canRefresh(k, had)
    // A renewal: the same sign-in's session renewed there, of the same user. Anything else that replaces
    // a session is a new one there, so the 401 rules replay nothing across it (as across a login here).
    replace(k, next, false, !!(had && next) && renews(had!, next!))
    // Heard from a copy of this sign-in (sessionStorage): stored in this tab's own storage too.
    if (!k.shared) write(k, raw)
    k.relink()
    if (expired) k.error = last
    const mark = k.epoch
    k.check()
    // Not when a listener replaced the session as it was committed (a logout, say): that came after.
    if (next || expired) {
      if (k.epoch === mark) emit(k, next ? (had ? 'refresh' : 'login') : 'expired', k.snapshot)
    } else {
      end(k, [had?.id])
      if (k.epoch === mark) emit(k, 'logout', { reason: 'other_tab' })
      // This tab's refresh may have stored its result over the sign-out before the news came: remove it.
      // Another sign-in found there is newer than this news and has news of its own: taken now, it would
      // run ahead of the news still queued, and a logout among them would end it.
      reread(k, (r) => (typeof r !== 'string' || k.ended.has(entry(k, r)?.id)) && adoptRead(r))
    }
  }

  /**
   * A newer session another tab stored, taken without events (the caller announces it). A sign-in or a
   * sign-out there (not a renewal) is adopted, announced, and ends this refresh with `no_refresh`:
   * nothing is spent, and its storage event, when it comes, finds it taken.
   */
  k.peek = (raw) => {
    k.now() // as in adopt()
    // A sign-out there: the entry gone. Its event may come later, or never (cookies without
    // BroadcastChannel), and a refresh now would store a session ended there.
    if (gone(raw)) {
      adopt(null)
      throw noRefresh()
    }
    let s: Session | undefined
    if (raw !== undefined) k.confirmed = raw
    try {
      s = raw && raw !== k.lastRaw ? decodeSession(raw) : undefined
    } catch (e) {
      // Garbage no event told of yet (a script in this tab, a cookie): reported now, or the refresh's result
      // would replace it unseen.
      refuse(e)
    }
    // An async storage's entry, read in the lock after this tab's writes, is newer whatever its generation
    // (a tab that cannot read it at once makes a sign-in of the generation of the one it replaces).
    if (s && !raced(s, raw!, true) && (!k.session || current() || s.g > k.session.g)) {
      if (k.session && !renews(k.session, s)) {
        adopt(raw!)
        throw noRefresh()
      }
      k.lastRaw = raw!
      return (k.session = s)
    }
  }

  /**
   * Starts following other tabs: the storage's own change events, where it has them, and the tab channel.
   * Returns what stops the events.
   */
  k.follow = () => {
    const { key } = k
    const { syncTabs = true } = k.options
    let stop: unknown
    try {
      if (k.shared && syncTabs)
        stop = k.storage!.subscribe?.(key, (raw, old) =>
          onNews(() => {
            if (raw !== null) adopt((k.confirmed = raw))
            // A removal reported while storage still holds this tab's entry is old news: a logout and a
            // sign-in in quick succession there, whose messages (faster than storage events in Chromium)
            // came first. So is one of another entry than the one held (the value it replaced, when told).
            // Garbage removed (another tab's start-up, which says so on the channel, or a script): no
            // sign-out, which names what it removed. Nor is this tab's entry there now.
            else if (old && !entry(k, old)) k.confirmed = null
            else if (removes(old ? entry(k, old) : undefined))
              reread(k, (now) => {
                if (now === k.lastRaw) k.confirmed = now
                else adopt((k.confirmed = null))
              })
          }, raw),
        )
    } catch (cause) {
      // A storage that cannot report changes cannot be shared safely: keep the session in memory.
      report(k, fallBack(k, cause))
    }
    if ((k.shared && syncTabs) || (syncTabs === 'memory' && !k.storage)) k.sync = open(key)
    copies = k.storage && k.options.storage === 'sessionStorage' && syncTabs
    relink()
    // A memory session lives only in open tabs: a new tab asks them for it. So does a copy, which may have
    // been made while its session was renewed: then the renewal's news went out before this tab listened,
    // and its refresh token is spent. Its first refresh waits for the answer of the copies open now (a
    // moment; none are open after a reload), or it would spend that token again.
    if (k.sync && (!k.storage || copies)) {
      if (copies && k.session) k.asked = k.sync.heard(500).then(() => (k.asked = undefined))
      k.sync.post(0)
    }
    return stop
  }
}
