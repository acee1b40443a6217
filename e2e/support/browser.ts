import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

/** Debian's Chromium; override with `CHROMIUM_PATH`. playwright-core downloads no browser of its own. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Throws a message that says how to fix it when the browser is not installed. */
export function assertChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `e2e: no Chromium at ${CHROMIUM_PATH}; install Debian's chromium: apt-get install chromium ` +
        '(or set CHROMIUM_PATH to a Chromium or Chrome binary).',
    )
  }
}

/** Launches headless Chromium with a fresh temporary profile (playwright removes it on close), plus `extraArgs`. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  assertChromium()
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
      ...extraArgs,
    ],
  })
}
