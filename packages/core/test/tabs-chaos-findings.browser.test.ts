// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AuthClient } from '../src'
import { T0 } from './helpers'
import { type Action, createTabWorld } from './support/tabWorld'

/**
 * Interleavings the multi-tab chaos test (tabs-chaos.browser.test.ts) found, each as the few steps
 * that show it, in the same model of tabs: a synchronous shared storage and a tab channel whose news
 * each tab hears only when the test hands it over.
 */

let world: ReturnType<typeof createTabWorld>
const hear = (tab: number, source: 'storage' | 'channel'): Action => ({
  kind: 'deliver',
  tab,
  source,
  pick: 0,
})

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
})
afterEach(async () => {
  await world.destroy()
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('an ended sign-in heard of late', () => {
  it('removes only its own entry, not a sign-in stored since', async () => {
    world = createTabWorld(2)
    // B hears of alice's sign-in by storage and signs out; A, not told yet, signs bob in. Then A's
    // message of alice reaches B: an entry of the sign-in B ended, which B used to remove from storage,
    // whatever it held (bob's), and tell A the removal, signing bob out of both tabs.
    await world.run(
      { kind: 'setTokens', tab: 0, user: 'alice' },
      hear(1, 'storage'),
      { kind: 'logout', tab: 1 },
      { kind: 'setTokens', tab: 0, user: 'bob' },
      hear(1, 'channel'),
    )
    expect(world.stored()).toBe('bob/f2#2')
    // Then B's sign-out reaches A: by message it is followed as news (see the channel handler), so both
    // end signed out, as they agree on what storage holds. Before, B kept bob while A and storage had none.
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual([world.stored(), world.stored()])
  })
})

describe('a logout in a tab that holds no session', () => {
  it('ends the sign-in another tab stored that it had not heard of', async () => {
    world = createTabWorld(2)
    // B signs alice in; A, signed out and not told yet, logs out (a login page that clears any session,
    // say): the removal ends alice in storage and, by message, in B. A then hears of alice's sign-in
    // and used to take it: A signed in, B and storage signed out, until a reload.
    await world.run(
      { kind: 'setTokens', tab: 1, user: 'alice' },
      { kind: 'logout', tab: 0 },
      hear(0, 'channel'),
    )
    expect(world.holds()).toEqual(['-', 'alice/f1#1'])
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['-', '-'])
  })
})

describe('a sign-out heard by message', () => {
  it('does not run ahead to a sign-in stored since, which news still queued would end', async () => {
    world = createTabWorld(2)
    // A signs alice in, logs out twice (a double click) and signs her in anew; B hears A's messages
    // only then. At the first logout B used to read storage and take the new sign-in at once; the
    // second logout's message, still queued, then signed it out in B, which removed it from storage as
    // an entry of the sign-in it had just seen end, and told A so: a sign-in ended by a logout before it.
    await world.run(
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'logout', tab: 0 },
      { kind: 'logout', tab: 0 },
      { kind: 'setTokens', tab: 0, user: 'alice' },
      ...Array.from({ length: 6 }, () => hear(1, 'channel')),
    )
    expect(world.stored()).toBe('alice/f2#2')
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['alice/f2#2', 'alice/f2#2'])
  })
})

describe('a sign-in made by a tab two sign-ins behind', () => {
  it('is stored as newer than the entry it replaces, so the tabs follow it', async () => {
    world = createTabWorld(3)
    // Tab 0 signs in alice, then bob; tab 2, told of neither, signs alice in again. Its sign-in used to
    // take generation 1, below bob's 2: every tab kept bob while storage (and a reload) had tab 2's.
    await world.run(
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'setTokens', tab: 0, user: 'bob' },
      { kind: 'setTokens', tab: 2, user: 'alice' },
    )
    expect(world.stored()).toBe('alice/f3#3')
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['alice/f3#3', 'alice/f3#3', 'alice/f3#3'])
  })
})

describe('a signed-out tab and late news', () => {
  it('ignores news of an older sign-in than the one its logout ended, which storage no longer holds', async () => {
    world = createTabWorld(2)
    // A signs bob in, then alice; B, told of neither, logs out (ending alice, which storage holds). Then
    // B hears of bob's sign-in, older news: it used to take it, signed in while A and storage were not.
    await world.run(
      { kind: 'setTokens', tab: 0, user: 'bob' },
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'logout', tab: 1 },
      hear(1, 'storage'),
    )
    expect(world.holds()).toEqual(['alice/f2#2', '-'])
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['-', '-'])
  })

  it('a third tab told of the sign-out by message ignores the ended sign-in’s news that comes after', async () => {
    world = createTabWorld(3)
    // Tab 0 signs alice in; tab 1 hears of it and logs out. In the order below (the chaos test's seed 2),
    // tab 2 hears of tab 1's sign-out first and of alice's sign-in from tab 0 after it: it used to sign
    // in, alone, as nothing told it which sign-in had ended. Tab 1 now tells it before the removal.
    await world.run({ kind: 'setTokens', tab: 0, user: 'alice' }, hear(1, 'storage'), {
      kind: 'logout',
      tab: 1,
    })
    await world.settle([13])
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['-', '-', '-'])
  })
})

describe('a removal heard after storage took an entry since', () => {
  it('is not followed by a tab that took the sign-in stored after it', async () => {
    world = createTabWorld(3)
    await world.run({ kind: 'setTokens', tab: 0, user: 'alice' })
    await world.settle()
    // Tab 2 signs out and alice signs in anew there. Tab 1 hears both by storage, then tab 2's messages:
    // the removal, once a bare `null`, signed the new sign-in out in tab 1, which then removed it from
    // storage as an entry of the sign-in it had just seen end. It now names alice's first sign-in.
    await world.run(
      { kind: 'logout', tab: 2 },
      { kind: 'setTokens', tab: 2, user: 'alice' },
      hear(1, 'storage'),
      hear(1, 'storage'),
      ...Array.from({ length: 4 }, () => hear(1, 'channel')),
    )
    expect(world.holds()[1]).toBe('alice/f2#2')
    expect(world.stored()).toBe('alice/f2#2')
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['alice/f2#2', 'alice/f2#2', 'alice/f2#2'])
  })

  it('leaves a tab with its own sign-in, made after a removal it had not heard of', async () => {
    world = createTabWorld(2)
    // Tab 0 signs alice in twice and out; tab 1, told of nothing, signs alice in: storage was empty, so
    // its sign-in has a lower generation than the one removed before it. Tab 1 used to take tab 0's
    // second sign-in when its message came (a higher generation), then follow its removal: signed out,
    // with its own sign-in in storage.
    await world.run(
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'logout', tab: 0 },
      { kind: 'setTokens', tab: 1, user: 'alice' },
      ...Array.from({ length: 6 }, () => hear(1, 'channel')),
    )
    expect(world.holds()[1]).toBe('alice/f3#3')
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['alice/f3#3', 'alice/f3#3'])
  })

  it('a third tab takes a sign-in made after a removal, though of a lower generation than the one removed', async () => {
    world = createTabWorld(3)
    // Tab 1 signs alice in twice and out; tab 0, told of nothing, signs her in: a lower generation than
    // tab 1's second sign-in. In the order below (the chaos test's seed 20301), tab 2 hears of tab 1's
    // second sign-in, then of tab 0's (ignored: older by generation, though storage held it), then of the
    // removal: it used to end signed out, with tab 0's sign-in in storage.
    await world.run(
      { kind: 'setTokens', tab: 1, user: 'alice' },
      { kind: 'setTokens', tab: 1, user: 'alice' },
      { kind: 'logout', tab: 1 },
      { kind: 'setTokens', tab: 0, user: 'alice' },
    )
    await world.settle([0, 3, 20, 1])
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['alice/f3#3', 'alice/f3#3', 'alice/f3#3'])
  })

  it('three tabs: a logout removing a sign-in its tab had not heard of ends it in a third tab too', async () => {
    world = createTabWorld(3)
    await world.run({ kind: 'setTokens', tab: 0, user: 'alice' })
    await world.settle()
    // Tab 1 signs bob in, then alice; tab 0, told of neither, signs out, removing alice's. Tab 2 hears the
    // removal and what it ended, then bob's sign-in: it used to take it, alone, as nothing told it bob's
    // was older than the entry removed. The removal names that entry now.
    await world.run(
      { kind: 'setTokens', tab: 1, user: 'bob' },
      { kind: 'setTokens', tab: 1, user: 'alice' },
      { kind: 'logout', tab: 0 },
      hear(2, 'storage'),
      ...Array.from({ length: 4 }, () => hear(2, 'channel')),
      hear(2, 'storage'),
    )
    expect(world.holds()[2]).toBe('-')
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['-', '-', '-'])
  })
})

describe('a renewal taken from storage as a refresh begins', () => {
  it('is shown while the refresh that follows it runs', async () => {
    world = createTabWorld(2)
    // A signs alice in, and again (the same user: the same sign-in, renewed); B hears only of the first.
    // When both tokens are due, B's refresh finds the second in storage, takes it, and (due as well)
    // spends its refresh token. That call hangs: B used to show the first token until the call ended
    // (up to refreshTimeout), while it held the second and its requests sent that one.
    await world.run(
      { kind: 'setTokens', tab: 0, user: 'alice' },
      hear(1, 'storage'),
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'advance', ms: 241_000 },
      { kind: 'resolve', pick: 0, outcome: 'hang' },
    )
    expect(world.tabs[1]!.getState()).toMatchObject({ isRefreshing: true })
    expect(world.holds()).toEqual(['alice/f2#2', 'alice/f2#2'])
    await world.settle()
    expect(world.check([])).toEqual([])
  })

  it.each([
    ['signs out', (b: AuthClient) => void b.logout()],
    ['destroys the client', (b: AuthClient) => b.destroy()],
  ])('spends nothing when a listener told of it %s', async (_, act) => {
    world = createTabWorld(2)
    await world.run({ kind: 'setTokens', tab: 0, user: 'alice' }, hear(1, 'storage'), {
      kind: 'setTokens',
      tab: 0,
      user: 'alice',
    })
    const b = world.tabs[1]!
    b.subscribe((s) => {
      if (s.isRefreshing && world.label(s.accessToken) === 'alice/f2#2') act(b)
    })
    await world.run({ kind: 'advance', ms: 241_000 })
    // Tab 0's own refresh is the only call: B's came before its call.
    expect(world.log.filter((l) => l.includes('tab 1 calls'))).toEqual([])
  })
})

describe('an entry of an ended sign-in found by a tab that still holds that sign-in', () => {
  it('is removed, not replaced by the older entry that tab holds', async () => {
    world = createTabWorld(3)
    await world.run({ kind: 'setTokens', tab: 0, user: 'alice' })
    await world.settle()
    // Tab 1 signs out, and alice in anew (generation 2); tab 2, told of neither, signs alice in again,
    // within the sign-in it holds, which tab 1 ended (generation 3). Tab 0 has heard only which sign-in
    // tab 1's logout ended. Its refresh finds tab 2's entry, of that sign-in, and used to write back its
    // own (generation 1) over it; its logout then removed that one, and tab 1, told of the removal of an
    // older sign-in than its own, kept its sign-in while storage and the other tabs held none.
    await world.run(
      { kind: 'logout', tab: 1 },
      hear(0, 'channel'),
      { kind: 'setTokens', tab: 1, user: 'alice' },
      { kind: 'setTokens', tab: 2, user: 'alice' },
      { kind: 'refresh', tab: 0 },
      { kind: 'advance', ms: 0 },
    )
    expect(world.stored()).toBe('-')
    await world.run({ kind: 'logout', tab: 0 })
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['-', '-', '-'])
  })

  it('ends the session that tab holds, which an entry written back would have kept', async () => {
    world = createTabWorld(3)
    await world.run({ kind: 'setTokens', tab: 0, user: 'alice' })
    await world.settle()
    // Tab 0 signs out; tab 1, not told yet, signs alice in again within the sign-in tab 0 ended. Tab 2
    // hears which sign-in ended, then tab 1's entry: it holds that sign-in too. Were the entry removed
    // while tab 2 kept the session, it would stay signed in for good: the removal it hears next finds
    // the entry gone already, and nothing to follow.
    await world.run({ kind: 'logout', tab: 0 }, { kind: 'setTokens', tab: 1, user: 'alice' })
    await world.settle([0, 2, 18, 0])
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['-', '-', '-'])
  })

  it("found as a refresh's answer comes: the answer is dropped", async () => {
    world = createTabWorld(3)
    await world.run({ kind: 'setTokens', tab: 0, user: 'alice' })
    await world.settle()
    // Tab 1 refreshes; tab 2 signs out; tab 0, not told yet, signs alice in again within that sign-in.
    // Tab 1 hears which sign-in tab 2 ended (tab 0's message is still queued), then its call answers:
    // it finds tab 0's entry, of the ended sign-in it holds too, and signs out. Storing its answer
    // after that would sign it in again, alone.
    await world.run(
      { kind: 'refresh', tab: 1 },
      { kind: 'advance', ms: 0 },
      { kind: 'logout', tab: 2 },
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'deliver', tab: 1, source: 'channel', pick: 1 },
      { kind: 'resolve', pick: 0, outcome: 'ok' },
    )
    expect(world.holds()[1]).toBe('-')
    expect(world.stored()).toBe('-')
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['-', '-', '-'])
  })
})

describe('a refresh that fails while another tab signs in', () => {
  it('takes that sign-in instead of removing it', async () => {
    world = createTabWorld(3)
    await world.run({ kind: 'setTokens', tab: 0, user: 'alice' })
    await world.settle()
    // Tab 1's refresh is processed but its answer lost: it times out and retries with the token the server
    // rotated. Tab 0's refresh, due later, spends that token too: the server, seeing it spent twice,
    // revokes the sign-in. While that call runs, tab 2 signs alice in again. Tab 0's call then fails
    // (400): it used to sign out and remove tab 2's sign-in from storage, telling the others so, and
    // then took tab 2's news alone, signed in while storage and the others were not.
    await world.run(
      { kind: 'refresh', tab: 1 },
      { kind: 'advance', ms: 0 },
      { kind: 'resolve', pick: 0, outcome: 'lost' },
      { kind: 'advance', ms: 241_000 },
      { kind: 'setTokens', tab: 2, user: 'alice' },
      { kind: 'deliver', tab: 1, source: 'storage', pick: 0 },
    )
    await world.settle([3, 2, 5])
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['alice/f2#3', 'alice/f2#3', 'alice/f2#3'])
  })
})

describe('a write to an async storage, acknowledged after the tab took another entry', () => {
  it('does not write that entry back over a newer one stored meanwhile', async () => {
    world = createTabWorld(2, 1, { async: true })
    // B logs out (holding nothing); A signs alice in twice. B's removal lands first, but its answer
    // comes 1 ms later, after B took A's first entry from a storage event. B wrote that entry back, as
    // if its removal had landed last: over A's second, so storage (and a reload) held the older one.
    await world.run(
      { kind: 'logout', tab: 1 },
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'setTokens', tab: 0, user: 'alice' },
      hear(1, 'storage'),
      { kind: 'advance', ms: 200 },
    )
    expect(world.stored()).toBe('alice/f2#2')
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['alice/f2#2', 'alice/f2#2'])
  })

  it('two sign-ins at once: storage ends with the one the tabs keep', async () => {
    world = createTabWorld(2, 1, { async: true })
    // A signs alice in twice; B, told of neither, signs her in too, stored last. Unable to read storage
    // at once, the tabs keep the sign-in of the higher generation, A's second: storage kept B's, which
    // a reload would take. A tab that ignores an entry storage still holds now stores its own over it.
    await world.run(
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'setTokens', tab: 1, user: 'alice' },
      { kind: 'advance', ms: 200 },
    )
    expect(world.stored()).toBe('alice/f3#3')
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual([world.stored(), world.stored()])
  })
})

describe('an async storage shared by tabs: news judged after a read, by what storage holds then', () => {
  // A tab cannot read an async storage at once, so its sign-ins may carry the generation of the entry
  // they replace, and its logout cannot name what storage held. Each news waits for a read made after
  // it came, and storage (newer than anything the tab wrote or took before that read) decides.
  const signedIn = async (tabs: number, { lag = false } = {}) => {
    world = createTabWorld(tabs, 1, { async: true, lag })
    await world.run({ kind: 'setTokens', tab: 0, user: 'alice' })
    await world.settle()
  }

  it('a sign-out in one tab and a sign-in in another at once: the tabs keep the sign-in', async () => {
    world = createTabWorld(2, 1, { async: true })
    // A signs bob in and out; B, told of neither, signs alice in. Both sign-ins have generation 1: B,
    // hearing of bob, took him (the greater entry) and then his removal signed B out, while storage
    // (and a reload) held alice.
    await world.run(
      { kind: 'setTokens', tab: 0, user: 'bob' },
      { kind: 'logout', tab: 0 },
      { kind: 'setTokens', tab: 1, user: 'alice' },
      { kind: 'advance', ms: 10 },
      hear(0, 'storage'),
    )
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['alice/f2#2', 'alice/f2#2'])
  })

  it('a logout that removed a sign-in its tab had not heard of ends it in the tab that made it', async () => {
    world = createTabWorld(2, 1, { async: true })
    // B signs alice in; A, told of nothing, signs her in too (over B's entry) and logs out. The removal
    // names A's sign-in only, of B's generation: B kept its own while storage held nothing.
    await world.run(
      { kind: 'setTokens', tab: 1, user: 'alice' },
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'logout', tab: 0 },
    )
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['-', '-'])
  })

  it('an entry and a removal heard together are each judged by storage, not by generations', async () => {
    await signedIn(3)
    // B signs bob in; A, not told, logs out (removing bob). C hears bob's entry and A's removal of
    // alice, both waiting for reads: each is judged by what storage holds (nothing), in either order.
    // Judged by generations, bob's entry (the higher) would sign C back in after the removal.
    await world.run(
      { kind: 'setTokens', tab: 1, user: 'bob' },
      { kind: 'logout', tab: 0 },
      { kind: 'advance', ms: 0 },
    )
    await world.settle([4])
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['-', '-', '-'])
  })

  it('the same user signed in again in two tabs: the tabs keep the entry stored last', async () => {
    await signedIn(2)
    // B signs alice in twice (generations 2 and 3); A, told of neither, signs her in once, stored last
    // with generation 2. B kept its own, the higher, while storage (and a reload) held A's.
    await world.run(
      { kind: 'setTokens', tab: 1, user: 'alice' },
      { kind: 'setTokens', tab: 1, user: 'alice' },
      { kind: 'setTokens', tab: 0, user: 'alice' },
    )
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['alice/f4#4', 'alice/f4#4'])
  })

  it('a refresh that finds another sign-in stored, of its own generation, takes it and spends nothing', async () => {
    world = createTabWorld(3, 1, { async: true })
    // B starts before A's sign-in is stored and reads it late; A renews it (rotating its refresh token),
    // C, told of nothing, signs alice in anew, with generation 1. B's refresh, waiting for the lock,
    // read C's entry, which its generation did not outrank: B spent the rotated token again, and the
    // server revoked the sign-in.
    await world.run(
      { kind: 'logout', tab: 2 },
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'advance', ms: 241_000 },
      { kind: 'resolve', pick: 0, outcome: 'ok' },
      { kind: 'setTokens', tab: 2, user: 'alice' },
      { kind: 'advance', ms: 1_000 },
      hear(0, 'storage'),
    )
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['alice/f2#3', 'alice/f2#3', 'alice/f2#3'])
  })

  it('a refresh that finds storage empty spends nothing: a sign-out there removed the sign-in', async () => {
    await signedIn(3)
    // Every tab's refresh is due; A's runs. C logs out; A's answer is stored over the removal and C
    // removes it again. B, told of the renewal but not of the removals, reads an empty storage in the
    // lock: it had last seen the renewal there, not its own entry, so it took the removal for no
    // sign-out and spent the refresh token A had rotated.
    await world.run(
      { kind: 'advance', ms: 241_000 },
      { kind: 'logout', tab: 2 },
      { kind: 'resolve', pick: 0, outcome: 'ok' },
      hear(2, 'storage'),
      hear(1, 'storage'),
      { kind: 'advance', ms: 200 },
      hear(0, 'storage'),
    )
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['-', '-', '-'])
  })

  it('writes that land later than reads answer: news waits for the tab’s own write to land', async () => {
    world = createTabWorld(2, 1, { async: true, lag: true })
    // A signs alice in and renews her sign-in; B, which read storage before A's entry landed, signs her
    // in anew. B hears A's first entry while its own write is still landing: its read found A's entry,
    // which B took as newer than its own, though its write landed after. B then spent the refresh
    // token A had rotated.
    await world.run(
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'advance', ms: 241_000 },
      { kind: 'resolve', pick: 0, outcome: 'ok' },
      { kind: 'setTokens', tab: 1, user: 'alice' },
    )
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual([world.stored(), world.stored()])
  })
  it('an ended sign-in’s entry is replaced in the refresh lock, not over a renewal landing', async () => {
    await signedIn(3, { lag: true })
    // C's refresh of alice runs; B signs bob in and out. A, waiting for the lock behind C, hears bob's
    // entry and his end, reads bob's entry still stored and writes its own alice over it. C's renewal
    // landed first, A's older entry over it: in the lock A read its own and spent the refresh token C
    // had rotated, and the server revoked the sign-in.
    await world.run(
      { kind: 'refresh', tab: 2 },
      { kind: 'setTokens', tab: 1, user: 'bob' },
      { kind: 'advance', ms: 5_000 },
      { kind: 'refresh', tab: 0 },
      { kind: 'logout', tab: 1 },
    )
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['alice/f1#3', 'alice/f1#3', 'alice/f1#3'])
  })

  it('a sign-in made again in a tab a logout had not reached: its entry, landing after the removal, goes too', async () => {
    await signedIn(3, { lag: true })
    // B signs bob in; its refresh's answer is lost, so it holds the refresh lock until the call times out
    // (5 s). A signs alice in again (her sign-in's id kept) and logs out; C, told of neither, signs her in
    // again too: the same id and generation, its entry landing after A's removal. The logout wins, as
    // over a login() still pending: C signs out when it hears its sign-in ended, and A, which ended it,
    // removes that entry in the refresh lock once B's call timed out. (Judged settled 2.5 s after the
    // last news, before that, the tab model reported A signed out beside C's entry: lag seed 41.)
    await world.run(
      { kind: 'setTokens', tab: 1, user: 'bob' },
      { kind: 'refresh', tab: 1 },
      { kind: 'advance', ms: 200 },
      { kind: 'resolve', pick: 0, outcome: 'lost' },
      { kind: 'setTokens', tab: 0, user: 'alice' },
      { kind: 'logout', tab: 0 },
      { kind: 'setTokens', tab: 2, user: 'alice' },
      hear(0, 'storage'),
    )
    await world.settle()
    expect(world.check([])).toEqual([])
    expect(world.holds()).toEqual(['-', '-', '-'])
  })
})
