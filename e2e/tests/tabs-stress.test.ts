import type { ServerResponse } from 'node:http'
import type { BrowserContext, Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { useCorePage } from '../support/corePage'

/**
 * Real Chromium: 3–4 tabs of one origin, each with a client on shared storage, and a random sequence
 * of sign-ins, sign-outs, refreshes, token reads, reloads and tab swaps fired at them from here, some
 * at once in two tabs, some while the other tab is busy (so it acts before hearing of the first). The
 * server rotates refresh tokens with reuse detection, as Auth0, Okta and Keycloak do. Once the tabs
 * settle, they must hold one session (the one stored), and no refresh token may have been spent twice.
 *
 * The sequence comes from a seeded PRNG (42 unless `STRESS_SEED` says otherwise); the seed is printed, and `STRESS_SEED=<n>` replays it. Timing
 * inside the browser (message and event delivery, the library's own randomness) is not replayed, so a
 * failure may need a few runs of its seed to show again. `STRESS_LOG=1` prints each round's actions,
 * spends and final view.
 */
// A fixed seed in `pnpm test`, so the suite stays deterministic (as far as a browser's timing allows);
// `STRESS_SEED=random` draws one, to hunt.
const SEED = Number(
  process.env.STRESS_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 32)
    : (process.env.STRESS_SEED ?? 42),
)
const ROUNDS = 3
const ACTIONS = 16
/** Access tokens live 3 s: the client refreshes at half that, so refreshes run during every round. */
const LIFETIME = 3
const USERS = ['alice', 'bob', 'carol']

/** mulberry32: small, and the same sequence for the same seed everywhere. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T,
  }
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
/** An unsigned JWT (the client does not verify): `sub` makes a refresh a renewal of the same user. */
const jwt = (sub: string, jti: string) => {
  const iat = Math.floor(Date.now() / 1000)
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub, iat, exp: iat + LIFETIME, jti })}.sig`
}

interface Spend {
  t: number
  family: string
  k: number
  result: 'ok' | 'reused' | 'revoked' | 'unknown'
  tab: string
}
/** Per family (one a sign-in): the refresh token that may be spent next, null once revoked. */
const current = new Map<string, string | null>()
/** Per family: the access tokens issued, in order. */
const issued = new Map<string, string[]>()
/** Every token handed out, access and refresh: none may show in an error message. */
const secrets: string[] = []
const spends: Spend[] = []
/** Spends whose answer has not gone out yet. */
let answering = 0
let families = 0

/** A new sign-in of `user`: a family of its own, its token number 0. */
function signIn(user: string) {
  const family = `f${++families}`
  return { family, tokens: mint(user, family, 0) }
}
function mint(user: string, family: string, k: number) {
  const accessToken = jwt(user, `${family}-${k}`)
  const refreshToken = `rt.${user}.${family}.${k}.${Math.random().toString(36).slice(2)}`
  current.set(family, refreshToken)
  issued.set(family, [...(issued.get(family) ?? []), accessToken])
  secrets.push(accessToken, refreshToken)
  return { accessToken, refreshToken }
}

const core = useCorePage({
  before: `
      // A rejection nobody handled reaches the test as a console error.
      addEventListener('unhandledrejection', (e) => console.error('unhandledrejection: ' + (e.reason && e.reason.stack || e.reason)))`,
  after: `
      const params = new URLSearchParams(location.search)
      const tab = params.get('tab')
      // What the library said went wrong, for the test to look for tokens in.
      const tell = (kind, e) => console.log('latchkey:' + kind + ' ' + JSON.stringify({ code: e && e.code, message: String(e && e.message) }))
      window.auth = latchkey.createAuthClient({
        storage: params.get('storage'),
        storageKey: 'stress',
        refresh: async ({ refreshToken, signal }) => {
          const res = await fetch('/spend?tab=' + tab + '&rt=' + encodeURIComponent(refreshToken), { method: 'POST', signal })
          // 400/401: a permanent rejection for the client (the session ends).
          if (!res.ok) throw Object.assign(new Error('refused'), { status: res.status })
          return res.json()
        },
      })
      auth.on('error', (e) => tell('error', e))
      auth.on('refreshError', ({ error }) => tell('refreshError', error))
      window.act = async (a) => {
        try {
          if (a.kind === 'setTokens') auth.setTokens(a.tokens)
          else if (a.kind === 'logout') await auth.logout()
          else if (a.kind === 'refresh') await auth.refresh()
          else await auth.getAccessToken()
          return 'ok'
        } catch (e) {
          tell('rejected', e)
          return (e && e.code) || String(e)
        }
      }
      // The race: this tab says it is busy, then stays busy (no task runs, so no news of the other tab
      // comes in), then acts at once; the other tab acts as soon as it hears this one is busy.
      window.actBusy = (ms, a) => {
        localStorage.setItem('busy', tab + Math.random())
        const start = Date.now()
        while (Date.now() - start < ms) {}
        return act(a)
      }
      window.actOnBusy = (a) => {
        window.whenBusy = new Promise((resolve) => {
          const on = (e) => {
            if (e.key !== 'busy') return
            removeEventListener('storage', on)
            resolve(act(a))
          }
          addEventListener('storage', on)
        })
      }
      window.entry = () => {
        let raw = null
        if (params.get('storage') === 'localStorage') raw = localStorage.getItem('stress')
        else {
          const c = document.cookie.split('; ').find((c) => c.startsWith('stress='))
          raw = c ? decodeURIComponent(c.slice(7)) || null : null
        }
        return raw && JSON.parse(raw).at
      }`,
  spend(url, res) {
    const rt = url.searchParams.get('rt') ?? ''
    const [, user = '', family = '', k = ''] = rt.split('.')
    const known = current.has(family)
    const ok = known && current.get(family) === rt
    spends.push({
      t: Date.now(),
      family,
      k: Number(k),
      result: ok ? 'ok' : !known ? 'unknown' : current.get(family) ? 'reused' : 'revoked',
      tab: url.searchParams.get('tab') ?? '?',
    })
    // Rotated as the request comes in; answered up to 300 ms later, so refreshes overlap the actions.
    const answer = ok ? mint(user, family, Number(k) + 1) : null
    // Reuse detected: the family is revoked, its newest token too.
    if (!ok && known) current.set(family, null)
    answering++
    setTimeout(() => {
      answering--
      answer ? json(res, 200, answer) : json(res, 400, { error: 'invalid_grant' })
    }, Math.random() * 300)
  },
})

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type Action =
  | { kind: 'setTokens'; tokens: { accessToken: string; refreshToken: string } }
  | { kind: 'logout' | 'refresh' | 'getAccessToken' }

interface Tab {
  page: Page
  label: string
  /** Actions fired at this tab and not yet settled: awaited before it reloads or closes. */
  pending: Set<Promise<unknown>>
}

it.each(['localStorage', 'cookie'] as const)(
  '%s: tabs end on the stored session, each refresh token spent once',
  async (storage) => {
    const seed = (SEED + (storage === 'cookie' ? 1 : 0)) >>> 0
    console.log(`tabs-stress ${storage}: seed ${SEED} (replay: STRESS_SEED=${SEED})`)
    const rng = prng(seed)
    for (let round = 0; round < ROUNDS; round++) {
      const context = await core.browser.newContext()
      try {
        await stressRound(context, storage, rng, `${storage} round ${round} (STRESS_SEED=${SEED})`)
      } finally {
        await context.close()
      }
    }
  },
)

async function stressRound(
  context: BrowserContext,
  storage: 'localStorage' | 'cookie',
  rng: ReturnType<typeof prng>,
  name: string,
) {
  const log: string[] = []
  const problems: string[] = []
  const messages: string[] = []
  /** When each tab went away or reloaded: an answer to it in flight then was lost. */
  const gone: Array<{ label: string; t: number }> = []
  const start = Date.now()
  const since = spends.length
  let tabs = 0
  const open = async (): Promise<Tab> => {
    const label = `T${++tabs}`
    const page = await context.newPage()
    page.on('pageerror', (e) => problems.push(`${label} pageerror: ${e.message}`))
    page.on('console', (m) => {
      const text = m.text()
      if (text.startsWith('latchkey:')) messages.push(`${label} ${text}`)
      // A refused refresh logs its 400 here; the server's own record of spends is what is checked.
      else if (m.type() === 'error' && !text.startsWith('Failed to load resource'))
        problems.push(`${label} console.error: ${text}`)
    })
    await page.goto(`${core.server.origin}/?storage=${storage}&tab=${label}`)
    return { page, label, pending: new Set() }
  }
  const open_ = await Promise.all(Array.from({ length: 3 + rng.int(2) }, open))

  /** Fires `run` at `tab` without waiting for it; its failure is a problem (the page went away under it). */
  const fire = (tab: Tab, what: string, run: () => Promise<unknown>) => {
    const t = Date.now() - start
    const p = run().then(
      (r) => log.push(`${t} ${tab.label} ${what} -> ${r}`),
      (e) => problems.push(`${tab.label} ${what} failed: ${e}`),
    )
    tab.pending.add(p)
    void p.finally(() => tab.pending.delete(p))
    return p
  }
  const settled = (tab: Tab) => Promise.all([...tab.pending])
  const randomAction = (): [Action, string] => {
    const r = rng.next()
    if (r < 0.25) {
      const user = rng.pick(USERS)
      const { family, tokens } = signIn(user)
      return [{ kind: 'setTokens', tokens }, `setTokens(${user} ${family})`]
    }
    const kind = r < 0.35 ? 'logout' : r < 0.65 ? 'refresh' : 'getAccessToken'
    return [{ kind }, `${kind}()`]
  }

  for (let i = 0; i < ACTIONS; i++) {
    const r = i === 0 ? 0 : rng.next()
    if (r < 0.62) {
      const tab = rng.pick(open_)
      const [action, what] = i === 0 ? randomSignIn(rng) : randomAction()
      fire(tab, what, () => tab.page.evaluate((a) => (window as any).act(a), action))
    } else if (r < 0.84) {
      // Two tabs at once; half the time one is busy and acts before it hears of the other's action.
      const one = rng.int(open_.length)
      const a = open_[one]!
      const b = open_[(one + 1 + rng.int(open_.length - 1)) % open_.length]!
      const [first, firstWhat] = randomAction()
      const [second, secondWhat] = randomAction()
      if (rng.next() < 0.5) {
        fire(a, firstWhat, () => a.page.evaluate((x) => (window as any).act(x), first))
        fire(b, secondWhat, () => b.page.evaluate((x) => (window as any).act(x), second))
      } else {
        const busy = 150 + rng.int(rng.next() < 0.8 ? 250 : 1_200)
        // Nothing else is fired (at either tab or anywhere) until the race is over.
        const race = (async () => {
          await a.page.evaluate((x) => (window as any).actOnBusy(x), first)
          const done = b.page.evaluate(([ms, x]) => (window as any).actBusy(ms, x), [busy, second] as const)
          return [await a.page.evaluate(() => (window as any).whenBusy), await done]
        })()
        fire(a, `${firstWhat} while ${b.label} is busy ${busy} ms`, () => race)
        fire(b, `${secondWhat} after a busy ${busy} ms`, () => race)
        await race.catch(() => {})
      }
    } else if (r < 0.93) {
      const tab = rng.pick(open_)
      await settled(tab)
      log.push(`${Date.now() - start} ${tab.label} reload`)
      gone.push({ label: tab.label, t: Date.now() })
      await tab.page.reload()
    } else {
      // Closes a tab and opens another: the count stays.
      const at = rng.int(open_.length)
      const tab = open_[at]!
      await settled(tab)
      log.push(`${Date.now() - start} ${tab.label} close`)
      gone.push({ label: tab.label, t: Date.now() })
      await tab.page.close()
      open_.splice(at, 1, await open())
      log.push(`${Date.now() - start} ${open_[at]!.label} opened`)
    }
    await sleep(rng.int(250))
  }
  await Promise.all(open_.map(settled))

  // Settles: nothing changes for a second (bounded; a refresh comes every 1.5 s).
  type View = { tabs: Array<[string, string, string | null]>; stored: string | null }
  const look = async (): Promise<View> => ({
    tabs: await Promise.all(
      open_.map(async (t) => {
        const s = await t.page.evaluate(() => (window as any).auth.getState())
        return [t.label, s.status, s.accessToken] as [string, string, string | null]
      }),
    ),
    stored: await open_[0]!.page.evaluate(() => (window as any).entry()),
  })
  // Settled: the view has not changed for a second, and no refresh ran in that second. Tokens live 3 s, so
  // a tab renews every 1.5 s or so: a look taken while a spend's answer is on its way (or one that
  // started during the look) shows the session before that spend, which is not what the tabs settle on.
  let view = await look()
  let quiet = Date.now()
  let spentAtChange = spends.length
  for (const end = Date.now() + 15_000; Date.now() < end; ) {
    await sleep(100)
    const before = spends.length
    const next = await look()
    if (JSON.stringify(next) !== JSON.stringify(view)) {
      quiet = Date.now()
      spentAtChange = before
    }
    view = next
    if (Date.now() - quiet >= 1_000 && spends.length === spentAtChange && answering === 0) break
  }
  const ours = spends.slice(since)
  const report = () =>
    JSON.stringify(
      {
        name,
        log,
        view,
        spends: ours.map((s) => ({ ...s, t: s.t - start })),
        gone: gone.map((g) => ({ ...g, t: g.t - start })),
        messages,
      },
      null,
      1,
    )

  if (process.env.STRESS_LOG) console.log(report())

  // One session in every tab, the one stored (or none anywhere), and the newest of its sign-in.
  const held = [...new Set(view.tabs.map(([, , at]) => at))]
  expect(held, report()).toEqual([view.stored])
  const statuses = [...new Set(view.tabs.map(([, status]) => status))]
  expect(statuses, report()).toEqual([view.stored ? 'authenticated' : 'unauthenticated'])

  // A spend the server answered while its tab was going away (a reload or a close within a second of
  // the request) may never have been stored: the tabs left hold the spent token, and their next refresh
  // spends it again. No client can avoid that (the answer is lost with the page), so that one token's
  // second spend is excused, and the refusals of its family after it (revoked): it is what a user who
  // closes a tab mid-refresh gets from such a server.
  const lost = ours.filter(
    (s) => s.result === 'ok' && gone.some((g) => g.label === s.tab && g.t >= s.t && g.t - s.t < 1_000),
  )
  const forced = new Set(
    ours
      .filter((s) => s.result === 'reused' && lost.some((l) => l.family === s.family && l.k === s.k))
      .map((s) => s.family),
  )
  expect(
    ours.filter((s) => s.result !== 'ok' && !forced.has(s.family)),
    report(),
  ).toEqual([])
  if (view.stored) {
    const family = [...issued].find(([, ats]) => ats.includes(view.stored!))![0]
    if (!forced.has(family)) expect(issued.get(family)!.at(-1), report()).toBe(view.stored)
  }
  expect(problems, report()).toEqual([])
  const leaks = messages.filter((m) => secrets.some((s) => m.includes(s)))
  expect(leaks, report()).toEqual([])

  // A new tab (a reload) finds the same session.
  const fresh = await context.newPage()
  await fresh.goto(`${core.server.origin}/?storage=${storage}&tab=fresh`)
  // Compared again after a renewal that lands between the two reads.
  let after: string | null = null
  let now: string | null = null
  for (let i = 0; i < 5 && (i === 0 || after !== now); i++) {
    if (i) await sleep(300)
    after = await fresh.evaluate(() => (window as any).auth.getState().accessToken)
    now = await open_[0]!.page.evaluate(() => (window as any).auth.getState().accessToken)
  }
  expect(after, report()).toBe(now)
}

function randomSignIn(rng: ReturnType<typeof prng>): [Action, string] {
  const user = rng.pick(USERS)
  const { family, tokens } = signIn(user)
  return [{ kind: 'setTokens', tokens }, `setTokens(${user} ${family})`]
}
