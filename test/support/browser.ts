import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import tap, { type Test } from 'tap'
import { chromium, type Browser, type Page } from 'playwright-core'

// Headless Chromium for the web console's tests: Debian's chromium (.ci/run installs it), never a downloaded
// browser; one per test file, a fresh context (its own sessionStorage) per test. Every page's console errors and
// uncaught exceptions are collected, and the test saves a screenshot of each page it visits under
// test-output/console/ (git ignores it) for a person to look at.

const executablePath = process.env.LOD_CHROMIUM ?? '/usr/bin/chromium'
export const screenshotDir = resolve(import.meta.dirname, '..', '..', 'test-output', 'console')

let launched: Promise<Browser> | undefined

/** The file's browser (each test file is a process of its own), closed when its tests end. */
export function browser(): Promise<Browser> {
  if (!launched) {
    launched = chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
    tap.teardown(async () => (await launched)?.close())
  }
  return launched
}

export interface ConsolePage {
  page: Page
  /** Console errors, failed requests the page did not expect, and uncaught exceptions, as text. */
  problems: string[]
  /** Saves a screenshot named after the test and `step`. */
  snap(step: string): Promise<void>
}

export async function openConsole(t: Test, url: string, viewport = { width: 1280, height: 900 }): Promise<ConsolePage> {
  const context = await (await browser()).newContext({ viewport })
  t.teardown(() => context.close())
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`exception: ${error.message}`))
  mkdirSync(screenshotDir, { recursive: true })
  const name = t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)
  let n = 0
  await page.goto(url)
  return {
    page,
    problems,
    snap: async (step) => {
      await page.screenshot({ path: join(screenshotDir, `${name}-${String(++n).padStart(2, '0')}-${step}.png`), fullPage: true })
    },
  }
}

/** Signs in through the form, as a user would. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('~okeanos token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
}
