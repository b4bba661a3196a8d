/**
 * `npm run console:screenshots`: the console on the demo warehouse, photographed for the docs
 * (docs/images/console-*.png; AILAKE_SCREENSHOT_DIR to write elsewhere).
 */
import { mkdir } from 'node:fs/promises'
import { tempDir } from '../helpers/tmpdir.js'
import { buildDemo, chromiumPath, launch, serveDemo } from './demo.js'

const out = process.env.AILAKE_SCREENSHOT_DIR ?? 'docs/images'
const path = chromiumPath()
if (path === undefined) {
  console.error('console:screenshots needs Chromium (apt-get install chromium, or set AILAKE_CHROMIUM)')
  process.exit(1)
}
const { dir, cleanup } = await tempDir('ailake-shots-')
const { lake } = await buildDemo(dir)
const server = await serveDemo(lake)
const browser = await launch(path)
try {
  await mkdir(out, { recursive: true })
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 }, deviceScaleFactor: 1 })
  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: `${out}/console-${name}.png`, fullPage: false })
    console.log(`${out}/console-${name}.png`)
  }
  await page.goto(`${server.url}/`)
  await page.getByRole('link', { name: 'articles' }).waitFor()
  await shot('tables')
  await page.getByRole('link', { name: 'articles' }).click()
  await page.getByTestId('live-rows').waitFor()
  await page.locator('.timeline .snap').nth(1).click()
  await page.getByText('Files at snapshot').waitFor()
  await shot('table')
  await page.getByRole('link', { name: 'back to now' }).click()
  await page.getByRole('link', { name: 'Search', exact: true }).click()
  await page.getByRole('searchbox', { name: 'Text' }).fill('jazz piano')
  await page.getByLabel('Limit').fill('5')
  await page.getByRole('button', { name: 'Search', exact: true }).click()
  await page.getByTestId('plan').first().waitFor()
  await page.setViewportSize({ width: 1100, height: 900 })
  await shot('search')
  await page.setViewportSize({ width: 1100, height: 760 })
  await page.getByRole('link', { name: 'Map' }).click()
  await page.locator('svg.map circle').first().waitFor()
  await page.getByLabel('Query text').fill('deep sea fish')
  await page.getByRole('button', { name: 'Show hits' }).click()
  await page.locator('svg.map .hits circle').first().waitFor()
  await shot('map')
} finally {
  await browser.close()
  await server.close()
  await lake.close()
  await cleanup()
}
