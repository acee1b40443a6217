import type { AuthServerSettings, AuthServerStats } from '@latchkey/example-auth-server'
import type { Browser, BrowserContext, BrowserContextOptions, Page, Request } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'
import { appUrl, authUrl, resetStats, serverStats } from './app'
import { launchChromium } from './browser'

/** The storage modes tabs share a session through. */
export type SharedMode = 'localStorage' | 'cookie'

/** Changes the server's live settings (`POST /__config`, test-only); answers the values in force. */
export async function configureServer(settings: Partial<AuthServerSettings>): Promise<AuthServerSettings> {
  const res = await fetch(`${authUrl}/__config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  })
  if (!res.ok) throw new Error(`POST /__config answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as AuthServerSettings
}

/** What a tabs test file works with; `context` and `tabs` are new for every test. */
export interface TabsHarness {
  browser: Browser
  context: BrowserContext
  tabs: Tab[]
}

/**
 * Registers the hooks every tabs test file needs: one Chromium for the file, a fresh context and no
 * tabs for each test with the server's counters reset, and afterwards the server's settings restored
 * and no page error left in any tab.
 */
export function useTabsHarness(contextOptions: BrowserContextOptions = {}): TabsHarness {
  const harness = { tabs: [] } as unknown as TabsHarness
  let defaults: AuthServerSettings
  beforeAll(async () => {
    harness.browser = await launchChromium()
    defaults = await configureServer({})
  })
  afterAll(async () => {
    await harness.browser?.close()
  })
  beforeEach(async () => {
    await resetStats()
    harness.context = await harness.browser.newContext(contextOptions)
    harness.tabs = []
  })
  afterEach(async () => {
    await harness.context?.close()
    await configureServer(defaults)
    expect(harness.tabs.flatMap((t) => t.errors)).toEqual([])
  })
  return harness
}

/** One `POST /auth/refresh` a tab sent, as Playwright saw it. */
export interface RefreshCall {
  tab: number
  /** When the browser sent it (ms, this process's clock). */
  at: number
  /** The HTTP status, or null while unanswered (in flight, held by a route, failed, or its tab closed). */
  status: number | null
  /** Why it failed without an answer (e.g. `net::ERR_ABORTED` when latchkey aborted it), else null. */
  failure: string | null
  /** Fingerprint (`…` + last 6 characters, as the app shows it) of the access token it brought back. */
  token: string | null
  /** Nothing more will be learnt about it: answered and body read (or unreadable), or failed. */
  done: boolean
}

export interface Tab {
  readonly index: number
  readonly page: Page
  readonly refreshCalls: RefreshCall[]
  /** `POST /auth/logout` requests this tab sent. */
  logoutCalls: number
  /** Uncaught errors in the page. */
  readonly errors: string[]
  closed: boolean
}

export interface TabsOptions {
  /** Removes `navigator.locks` before the app loads, so latchkey falls back to its localStorage lease. */
  withoutWebLocks?: boolean
}

const isPost = (req: Request, path: string) => req.method() === 'POST' && req.url() === `${authUrl}${path}`

/**
 * Opens `count` tabs of the app in one context (so they share localStorage and cookies), all in
 * `mode` (the app reads it from localStorage['latchkey-demo-mode'] at start), and records the refresh
 * and logout requests each one sends.
 */
export async function openTabs(
  context: BrowserContext,
  count: number,
  mode: SharedMode,
  options: TabsOptions = {},
): Promise<Tab[]> {
  await context.addInitScript((m) => localStorage.setItem('latchkey-demo-mode', m), mode)
  if (options.withoutWebLocks) {
    await context.addInitScript(() => Reflect.deleteProperty(Navigator.prototype, 'locks'))
  }
  const tabs: Tab[] = []
  for (let index = 0; index < count; index++) {
    const page = await context.newPage()
    const tab: Tab = { index, page, refreshCalls: [], logoutCalls: 0, errors: [], closed: false }
    const calls = new Map<Request, RefreshCall>()
    page.on('pageerror', (e) => tab.errors.push(String(e)))
    page.on('close', () => {
      tab.closed = true
    })
    page.on('request', (req) => {
      if (isPost(req, '/auth/logout')) tab.logoutCalls++
      if (!isPost(req, '/auth/refresh')) return
      const call: RefreshCall = {
        tab: index,
        at: Date.now(),
        status: null,
        failure: null,
        token: null,
        done: false,
      }
      calls.set(req, call)
      tab.refreshCalls.push(call)
    })
    page.on('requestfailed', (req) => {
      const call = calls.get(req)
      if (!call) return
      call.failure = req.failure()?.errorText ?? 'failed'
      call.done = true
    })
    page.on('response', async (res) => {
      const call = calls.get(res.request())
      if (!call) return
      call.status = res.status()
      // The body is gone when latchkey aborted the call after the headers came (it adopted another
      // tab's token meanwhile).
      const body = (await res.json().catch(() => null)) as { access_token?: string } | null
      if (body?.access_token) call.token = `…${body.access_token.slice(-6)}`
      call.done = true
    })
    await page.goto(appUrl)
    await page.getByTestId('storage-mode').waitFor()
    tabs.push(tab)
  }
  if (options.withoutWebLocks) {
    const withLocks = await tabs[0]!.page.evaluate(() => 'locks' in navigator)
    if (withLocks) throw new Error('navigator.locks is still there')
  }
  return tabs
}

/** What a tab shows: status badge, token fingerprint and event log (oldest first). */
export interface TabView {
  tab: number
  status: string | null
  fingerprint: string | null
  events: { type: string; detail: string }[]
}

export async function viewTab(tab: Tab): Promise<TabView> {
  if (tab.closed) return { tab: tab.index, status: 'closed', fingerprint: null, events: [] }
  const view = await tab.page.evaluate(() => ({
    status: document.querySelector('[data-testid="status"]')?.getAttribute('data-status') ?? null,
    fingerprint: document.querySelector('[data-testid="token-fingerprint"]')?.textContent ?? null,
    events: [...document.querySelectorAll('[data-testid="event-log-entry"]')]
      .map((li) => ({
        type: li.getAttribute('data-type') ?? '',
        detail: li.querySelector('.detail')?.textContent ?? '',
      }))
      .reverse(),
  }))
  return { tab: tab.index, ...view }
}

export const openTabsOf = (tabs: readonly Tab[]): Tab[] => tabs.filter((t) => !t.closed)

/** Polls `check` until it returns something other than `undefined`/`false`; throws after `timeout` ms. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeout = 10_000,
  interval = 50,
): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, interval))
  }
}

/** Waits until every open tab shows `status`; returns their views. */
export function waitForStatusEverywhere(
  tabs: readonly Tab[],
  status: string,
  timeout = 10_000,
): Promise<TabView[]> {
  return waitFor(
    `every open tab to be ${status}`,
    async () => {
      const views = await Promise.all(openTabsOf(tabs).map(viewTab))
      return views.every((v) => v.status === status) && views
    },
    timeout,
  )
}

/** Waits until every open tab is authenticated with one and the same token; returns its fingerprint. */
export function waitForOneSession(tabs: readonly Tab[], timeout = 10_000): Promise<string> {
  return waitFor(
    'every open tab to show one authenticated session',
    async () => {
      const views = await Promise.all(openTabsOf(tabs).map(viewTab))
      const fingerprint = views[0]?.fingerprint
      const one = views.every((v) => v.status === 'authenticated' && v.fingerprint === fingerprint)
      return (one && fingerprint) || undefined
    },
    timeout,
  )
}

/** Every refresh call of these tabs, oldest first. */
export const allRefreshCalls = (tabs: readonly Tab[]): RefreshCall[] =>
  tabs.flatMap((t) => t.refreshCalls).sort((a, b) => a.at - b.at)

/**
 * Groups calls into refresh cycles: a call less than `window` ms after the first of a group joins
 * it. Cycles here are ~2.5 s apart (a 5 s token, leeway capped at half), and every tab's timer fires
 * at the same instant, so a double spend lands well inside one group.
 */
export function byCycle(calls: readonly RefreshCall[], window = 1_000): RefreshCall[][] {
  const cycles: RefreshCall[][] = []
  for (const call of [...calls].sort((a, b) => a.at - b.at)) {
    const current = cycles.at(-1)
    if (current && call.at - current[0]!.at < window) current.push(call)
    else cycles.push([call])
  }
  return cycles
}

export interface Settled {
  stats: AuthServerStats
  views: TabView[]
  /** Refresh calls of the open tabs, oldest first. */
  calls: RefreshCall[]
}

/**
 * Waits for a quiet moment: no refresh call of an open tab in flight, none for `quiet` ms, and
 * every open tab showing the same status and token. Then reads the server's counters.
 */
export function settle(tabs: readonly Tab[], quiet = 300, timeout = 10_000): Promise<Settled> {
  return waitFor(
    'the tabs to settle',
    async () => {
      const open = openTabsOf(tabs)
      const calls = allRefreshCalls(open)
      const last = calls.at(-1)
      if (calls.some((c) => !c.done) || (last && Date.now() - last.at < quiet)) return
      const views = await Promise.all(open.map(viewTab))
      const [first] = views
      if (!views.every((v) => v.status === first?.status && v.fingerprint === first?.fingerprint)) return
      const stats = await serverStats()
      // A call sent while the counters were read makes this moment not quiet after all.
      return allRefreshCalls(open).length === calls.length && { stats, views, calls }
    },
    timeout,
  )
}

/** Per-tab status, token, refresh calls and event log, plus the server's counters, for a failure. */
export async function diagnostics(tabs: readonly Tab[]): Promise<string> {
  const t0 = allRefreshCalls(tabs)[0]?.at ?? Date.now()
  const lines = [`server stats: ${JSON.stringify(await serverStats().catch((e) => String(e)))}`]
  for (const tab of tabs) {
    const view = await viewTab(tab).catch((e) => ({
      status: `unreadable: ${e}`,
      fingerprint: null,
      events: [],
    }))
    const calls = tab.refreshCalls.map(
      (c) => `+${c.at - t0}ms→${c.status ?? c.failure ?? 'pending'}${c.token ? ` ${c.token}` : ''}`,
    )
    lines.push(
      `tab ${tab.index}: ${view.status} ${view.fingerprint ?? ''}; refresh calls [${calls.join(', ')}]; ` +
        `logout calls ${tab.logoutCalls}${tab.errors.length ? `; page errors ${tab.errors.join(' | ')}` : ''}`,
    )
    for (const e of view.events.filter((e) => e.type !== 'change').slice(-25)) {
      lines.push(`    ${e.type}: ${e.detail}`)
    }
  }
  return lines.join('\n')
}

/** Runs `body`; on failure, adds {@link diagnostics} to the error message. */
export async function explained(tabs: () => readonly Tab[], body: () => Promise<void>): Promise<void> {
  try {
    await body()
  } catch (error) {
    const more = await diagnostics(tabs()).catch((e) => `(no diagnostics: ${e})`)
    if (error instanceof Error) error.message += `\n--- tabs ---\n${more}`
    throw error
  }
}

/** Events of `type` in a view. */
export const eventsOf = (view: TabView, type: string): string[] =>
  view.events.filter((e) => e.type === type).map((e) => e.detail)

/** Figures for the report, with a prefix that is easy to grep in CI logs. */
export const report = (line: string): void => console.log(`[latchkey-tabs] ${line}`)
