import type { BrowserContext, Page as PwPage } from 'playwright-core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Real Chromium tabs in `sessionStorage` mode. A tab opened with `window.open` (no noopener) starts
 * with a copy of its opener's sessionStorage, refresh token included, as "Duplicate tab" does. The
 * server rotates refresh tokens and treats a second spend of one as theft: it refuses it and revokes
 * the whole family, as Auth0, Okta, Supabase and Keycloak do. Copies of one sign-in must spend each
 * token once between them; a tab signed in on its own keeps its own session.
 */
/** `<family>:<rt>:<ok|reused|revoked>:<tab>` for every refresh call. */
const spends: string[] = []
/** Per family (one a sign-in): the refresh token that may be spent next; null once revoked. */
const current = new Map<string, string | null>()
/** Per family: the access tokens issued, in order. */
const issued = new Map<string, string[]>()
let families = 0

const json = (res: import('node:http').ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))

const core = useCorePage({
  after: `
      window.events = []
      window.tab = '?'
      window.auth = latchkey.createAuthClient({
        storage: 'sessionStorage',
        refresh: async ({ refreshToken }) => {
          const res = await fetch('/spend?rt=' + refreshToken + '&tab=' + window.tab, { method: 'POST' })
          if (!res.ok) throw Object.assign(new Error('refused'), { status: res.status })
          return res.json()
        },
      })
      for (const type of ['login', 'refresh', 'logout', 'expired'])
        auth.on(type, (e) => events.push(type + (e && e.reason ? ': ' + e.reason : '')))
      auth.on('refreshError', (e) => events.push('refreshError: ' + e.error.code))
      window.signIn = async () => auth.setTokens(await (await fetch('/spend?rt=new', { method: 'POST' })).json())`,
  spend(url, res) {
    const rt = url.searchParams.get('rt')!
    // Tokens name their family and number: `f1-rt-0`, `f1-at-0`. Opaque: no dots.
    const [family = '', , n] = rt.split('-')
    const answer = (f: string, k: number) => {
      current.set(f, `${f}-rt-${k}`)
      issued.set(f, [...(issued.get(f) ?? []), `${f}-at-${k}`])
      // Short-lived: the client refreshes at half the lifetime, every 1.5 s.
      json(res, 200, { accessToken: `${f}-at-${k}`, refreshToken: `${f}-rt-${k}`, expiresIn: 3 })
    }
    if (rt === 'new') return answer(`f${++families}`, 0)
    const ok = current.get(family) === rt
    spends.push(
      `${family}:${rt}:${ok ? 'ok' : current.get(family) ? 'reused' : 'revoked'}:${url.searchParams.get('tab')}`,
    )
    if (ok) return answer(family, Number(n) + 1)
    // Reuse detected: the family is revoked, its newest token too.
    current.set(family, null)
    json(res, 400, { error: 'invalid_grant' })
  },
})

// Closed after each test, also a failed one: a context left open would go on refreshing into the next.
const contexts: BrowserContext[] = []
const newContext = async () => {
  const context = await core.browser.newContext()
  contexts.push(context)
  return context
}
beforeEach(() => {
  spends.length = 0
})
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close()
})

type Page = Window & {
  auth: any
  events: string[]
  tab: string
  signIn(): Promise<unknown>
}

/** Opens a copy of `page` as `window.open(location.href)` does (no noopener), labelled `tab`. */
async function openCopy(context: BrowserContext, page: PwPage, tab: string): Promise<PwPage> {
  const [copy] = await Promise.all([
    context.waitForEvent('page'),
    page.evaluate(() => void window.open(location.href)),
  ])
  await copy.waitForLoadState()
  await copy.waitForFunction(() => 'auth' in window)
  await copy.evaluate((t) => {
    ;(window as unknown as Page).tab = t
  }, tab)
  return copy
}

/** A new tab of `context`, labelled `tab`, that signs in on its own: a new sign-in, a family of its own. */
async function signedInTab(context: BrowserContext, tab: string): Promise<PwPage> {
  const page = await context.newPage()
  await page.goto(`${core.server.origin}/`)
  await page.evaluate((t) => {
    ;(window as unknown as Page).tab = t
  }, tab)
  await page.evaluate(() => (window as unknown as Page).signIn())
  return page
}

const view = (page: PwPage) =>
  page.evaluate(() => {
    const { auth, events } = window as unknown as Page
    const s = auth.getState()
    return { status: s.status, token: s.accessToken as string | null, events: [...events] }
  })

it('Chromium copies sessionStorage into a tab opened with window.open (no noopener)', async () => {
  const context = await newContext()
  const a = await context.newPage()
  await a.goto(`${core.server.origin}/`)
  await a.evaluate(() => sessionStorage.setItem('probe', 'copied'))
  const b = await openCopy(context, a, 'B')
  expect(await b.evaluate(() => sessionStorage.getItem('probe'))).toBe('copied')
  // A copy, not the same area: a write in one is not seen in the other.
  await b.evaluate(() => sessionStorage.setItem('probe', 'changed in B'))
  expect(await a.evaluate(() => sessionStorage.getItem('probe'))).toBe('copied')
  // A tab opened otherwise starts empty.
  const c = await context.newPage()
  await c.goto(`${core.server.origin}/`)
  expect(await c.evaluate(() => sessionStorage.getItem('probe'))).toBeNull()
})

it('copies of one sign-in spend each refresh token once, over several expiries; a tab signed in apart refreshes on its own', async () => {
  const context = await newContext()
  const a = await signedInTab(context, 'A')
  const family = `f${families}`
  const b = await openCopy(context, a, 'B')
  expect((await view(b)).token).toBe(`${family}-at-0`)
  // C signs in on its own.
  const c = await signedInTab(context, 'C')
  const other = `f${families}`
  expect(other).not.toBe(family)

  // Four expiry cycles of the copies' family (a refresh every 1.5 s), or a failure.
  const spent = (f: string) => spends.filter((s) => s.startsWith(`${f}:`))
  await expect
    .poll(() => spent(family).length >= 4 || spends.some((s) => !s.includes(':ok:')), { timeout: 15_000 })
    .toBe(true)
  // Let the last hand-off land.
  await new Promise((resolve) => setTimeout(resolve, 300))
  const [va, vb, vc] = [await view(a), await view(b), await view(c)]
  const report = { spends: [...spends], a: va, b: vb, c: vc }
  const ours = spent(family)
  const newest = issued.get(family)!.at(-1)
  // Every spend accepted: no token spent twice, nothing revoked, in either family.
  expect(
    spends.filter((s) => !s.includes(':ok:')),
    JSON.stringify(report),
  ).toEqual([])
  // One refresh per cycle: each of the family's tokens was spent once, in order.
  expect(
    ours.map((s) => s.split(':')[1]),
    JSON.stringify(report),
  ).toEqual(ours.map((_, k) => `${family}-rt-${k}`))
  // Both copies signed in on the family's newest token; each told of every renewal once.
  expect({ a: [va.status, va.token], b: [vb.status, vb.token] }, JSON.stringify(report)).toEqual({
    a: ['authenticated', newest],
    b: ['authenticated', newest],
  })
  for (const v of [va, vb]) expect(v.events, JSON.stringify(report)).toEqual(ours.map(() => 'refresh'))
  // Each copy keeps the newest session in its own sessionStorage (a reload there stays signed in).
  for (const page of [a, b])
    expect(await page.evaluate(() => JSON.parse(sessionStorage.getItem('latchkey')!).at)).toBe(newest)
  // C: its own family, spent by C alone, on its own newest token; it heard nothing of the copies.
  const theirs = spent(other)
  expect(theirs.length).toBeGreaterThanOrEqual(3)
  expect(theirs.every((s) => s.endsWith(':C'))).toBe(true)
  expect([vc.status, vc.token]).toEqual(['authenticated', issued.get(other)!.at(-1)])
  expect(vc.events).toEqual(theirs.map(() => 'refresh'))
})

it('a copy that signs in anew leaves its copies alone; a sign-out in a copy signs its copies out, no other tab', async () => {
  const context = await newContext()
  const a = await signedInTab(context, 'A')
  const family = `f${families}`
  const b = await openCopy(context, a, 'B')
  const d = await openCopy(context, a, 'D')
  // B signs in again: a new sign-in, which A and D do not follow.
  await b.evaluate(() => (window as unknown as Page).signIn())
  const own = `f${families}`
  const spent = (f: string) => spends.filter((s) => s.startsWith(`${f}:`))
  await expect.poll(() => spent(family).length >= 2 && spent(own).length >= 2, { timeout: 10_000 }).toBe(true)
  await new Promise((resolve) => setTimeout(resolve, 300))
  const report = () => JSON.stringify({ spends })
  expect(
    spends.filter((s) => !s.includes(':ok:')),
    report(),
  ).toEqual([])
  expect(
    spent(own).every((s) => s.endsWith(':B')),
    report(),
  ).toBe(true)
  expect(
    spent(family).some((s) => s.endsWith(':B')),
    report(),
  ).toBe(false)
  // Each holds its family's newest token. Polled: a refresh every 1.5 s may have been issued and not yet
  // reached the tabs as they are looked at (a loaded machine once read them in that gap).
  const newest = async () => {
    const [va, vb, vd] = [await view(a), await view(b), await view(d)]
    const [ours, theirs] = [issued.get(family)!.at(-1), issued.get(own)!.at(-1)]
    return { a: va.token === ours, d: vd.token === ours, b: vb.token === theirs }
  }
  await expect.poll(newest, { timeout: 5_000 }).toEqual({ a: true, d: true, b: true })

  // A signs out: D, holding the same refresh token, follows; B (another sign-in) does not.
  await a.evaluate(() => (window as unknown as Page).auth.logout())
  await d.waitForFunction(() => (window as unknown as Page).auth.getState().status === 'unauthenticated')
  expect((await view(d)).events.at(-1)).toBe('logout: other_tab')
  expect(await d.evaluate(() => sessionStorage.getItem('latchkey'))).toBeNull()
  const before = spent(own).length
  await expect.poll(() => spent(own).length, { timeout: 5_000 }).toBeGreaterThan(before)
  // The server counts the spend before its answer reaches B: B holds the newest token soon after.
  await expect
    .poll(
      async () => {
        const { status, token } = await view(b)
        return [status, token]
      },
      { timeout: 5_000 },
    )
    .toEqual(['authenticated', issued.get(own)!.at(-1)])
  const after = await view(b)
  expect(after.events.filter((e) => e.startsWith('logout'))).toEqual([])
  // Nothing of the ended sign-in is spent after the sign-out.
  const ended = spent(family).length
  await new Promise((resolve) => setTimeout(resolve, 2_000))
  expect(spent(family).length).toBe(ended)
})

it('each copy holds a lock while open, which a copy opened later finds, and which is gone with its tab (a reload finds none)', async () => {
  const context = await newContext()
  const a = await signedInTab(context, 'A')
  const copiesHeld = (page: PwPage) =>
    page.evaluate(async () =>
      ((await navigator.locks.query()).held ?? [])
        .map((l) => l.name ?? '')
        .filter((name) => name.startsWith('latchkey-copy:'))
        .map((name) => name.split(':').slice(2).join(':')),
    )
  // Named after the sign-in's channel (its key and the first characters of its id), not the tab. The
  // lock is asked for as the channel opens and granted a moment later: on a busy machine, after
  // signIn() has resolved (a full run of the suite once queried before the grant and found none).
  await expect.poll(() => copiesHeld(a)).toHaveLength(1)
  const [line] = await copiesHeld(a)
  expect(line).toMatch(/^latchkey:.{4}$/)
  const b = await openCopy(context, a, 'B')
  await expect.poll(() => copiesHeld(b)).toEqual([line, line])
  await b.close()
  await expect.poll(() => copiesHeld(a)).toEqual([line])
  // A reload: the page before it is gone, and the new one finds no other copy, only its own lock.
  await a.reload()
  await a.waitForFunction(() => 'auth' in window)
  await expect.poll(async () => (await copiesHeld(a)).length).toBeGreaterThan(0)
  expect(await copiesHeld(a)).toEqual([line])
  expect((await view(a)).status).toBe('authenticated')
})

it('a copy told of the token held stored again with a new refresh token keeps that one in its own storage', async () => {
  const context = await newContext()
  const a = await signedInTab(context, 'A')
  const family = `f${families}`
  const b = await openCopy(context, a, 'B')
  const stored = (page: PwPage) => page.evaluate(() => JSON.parse(sessionStorage.getItem('latchkey')!).rt)
  // A server that sends the access token held back with a rotated refresh token: the copies keep that
  // one, or a reload of B spends the token rotated away, and the server revokes the whole sign-in.
  const held = await a.evaluate(() => (window as unknown as Page).auth.getState().accessToken)
  expect(held).toBe(`${family}-at-0`)
  await a.evaluate(
    ({ at, rt }) =>
      (window as unknown as Page).auth.setTokens({ accessToken: at, refreshToken: rt, expiresIn: 3 }),
    { at: held, rt: `${family}-rt-new` },
  )
  expect(await stored(a)).toBe(`${family}-rt-new`)
  await expect.poll(() => stored(b)).toBe(`${family}-rt-new`)
  expect((await view(b)).events).toEqual([])
})
