import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { assertChromium, CHROMIUM_PATH } from './browser'

export interface LifecycleBrowser {
  /** The browser's default context: its tabs share localStorage, and only the front one is visible. */
  context: BrowserContext
  close(): Promise<void>
}

/**
 * Headless Chromium whose tabs can be hidden, frozen and kept in the back-forward cache, as a user's
 * are. `launchChromium` cannot give such tabs: playwright launches Chromium with
 * `--disable-back-forward-cache`, and turns on focus emulation in every page of its contexts, which
 * counts as a capture of the page and keeps it visible, so `Page.setWebLifecycleState` hides and
 * freezes nothing (its timers go on). Here Chromium is started without playwright's switches, and
 * playwright attaches over CDP with `noDefaults`, which leaves the default context's pages alone.
 */
export async function launchLifecycleChromium(): Promise<LifecycleBrowser> {
  assertChromium()
  const profile = await mkdtemp(join(tmpdir(), 'latchkey-lifecycle-'))
  const proc: ChildProcess = spawn(
    CHROMIUM_PATH,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-sync',
      '--disable-background-networking',
      '--disable-component-update',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  const endpoint = await new Promise<string>((resolve, reject) => {
    let err = ''
    proc.stderr!.on('data', (chunk) => {
      err += chunk
      const ws = /DevTools listening on (ws:\S+)/.exec(err)?.[1]
      if (ws) resolve(ws)
    })
    proc.once('exit', (code) => reject(new Error(`chromium exited (${code}) before it listened: ${err}`)))
  })
  const browser = await chromium.connectOverCDP(endpoint, { noDefaults: true })
  return {
    context: browser.contexts()[0]!,
    async close() {
      await browser.close().catch(() => {})
      proc.kill()
      await new Promise((resolve) => (proc.exitCode === null ? proc.once('exit', resolve) : resolve(null)))
      // Chromium's helper processes may still be writing the profile as the main one exits.
      await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
    },
  }
}

/** Freezes `page` (hidden first, as Chromium freezes background tabs) until `thaw()` resumes it. */
export async function freeze(page: Page): Promise<{ thaw(): Promise<void> }> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Page.setWebLifecycleState', { state: 'frozen' })
  return {
    async thaw() {
      await cdp.send('Page.setWebLifecycleState', { state: 'active' })
      await cdp.detach()
    },
  }
}
