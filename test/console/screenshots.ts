/**
 * `npm run console:screenshots`: the console on the demo warehouse, photographed for the docs
 * (docs/images/console-*.png; AILAKE_SCREENSHOT_DIR to write elsewhere).
 */
import { mkdir } from 'node:fs/promises'
import { tempDir } from '../helpers/tmpdir.js'
import { clusteredVectors } from '../helpers/tmpdir.js'
import { buildDemo, chromiumPath, launch, serveDemo, stageActivity } from './demo.js'

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
  await page.getByLabel('Projection').selectOption('umap')
  await page.locator('svg.map[aria-label^="UMAP"]').waitFor()
  await page.getByRole('button', { name: 'Show hits' }).click()
  await page.locator('svg.map .hits circle').first().waitFor()
  await shot('map-umap')
  // Made after the other pictures, so they show the demo as it is: a table big enough that its
  // optimize is still running when the Activity page is photographed.
  const events = await lake.createTable('demo.events', { vector: { dim: 64 }, schema: { id: 'long' } })
  const eventVectors = clusteredVectors(12_000, 64, 7, 8)
  for (let part = 0; part < 6; part++) await events.add(eventVectors.slice(part * 2000, part * 2000 + 2000).map((v, i) => ({ id: part * 2000 + i, embedding: v })))
  await events.close()
  await stageActivity(server.url)
  const running = fetch(`${server.url}/v1/tables/demo.events/optimize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ targetRowsPerFile: 3000, full: true }) })
  await page.getByRole('link', { name: 'Activity' }).click()
  // Past the first step if the page polls in time; the picture is still taken if not.
  await page.locator('.runs progress[value]:not([value="0"])').waitFor({ timeout: 30_000 }).catch(() => undefined)
  await shot('activity')
  await running
} finally {
  await browser.close()
  await server.close()
  await lake.close()
  await cleanup()
}
