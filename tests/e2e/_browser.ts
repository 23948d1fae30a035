import chromium from '@sparticuz/chromium'
import { chromium as playwright, type Browser } from 'playwright-core'

/**
 * Headless Chromium from the `@sparticuz/chromium` npm package (its Linux x64 binary ships inside
 * the package and is unpacked on first use), driven by playwright-core: the dashboard test needs
 * no system browser, no apt and no root. The background-networking flags keep Chromium from
 * calling out of a machine with a closed network. `--lang`: under the C.UTF-8 locale this Chromium
 * reports `navigator.language` as "en-US@posix", which `Intl` (and so uPlot, as it loads) rejects.
 */
export async function launchChromium(): Promise<{ browser: Browser; executablePath: string }> {
  const executablePath = await chromium.executablePath()
  const args = [
    ...chromium.args,
    '--lang=en-US',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ]
  const browser = await playwright.launch({ executablePath, args, headless: true })
  return { browser, executablePath }
}
