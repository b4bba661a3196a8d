// The web console end to end, in real headless Chromium (Debian's chromium, driven by
// playwright-core): on a demo warehouse it lists the tables, opens one, time-travels to an
// older snapshot (the live row count changes to the hand-computed one), runs a text search
// whose hits are the API's answer, and draws the map (one point per sampled vector). With API
// keys it asks for a key before any data request, and a wrong key is refused with a message.
// The Activity page shows rows a buffered write holds and an optimize's report, and polls.
// Screenshots go to AILAKE_ARTIFACTS_DIR (default: a temp folder, printed).
// Without chromium the tests skip, except under CI=true, where they fail.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { connect } from '../../src/index.js'
import { KeyStore } from '../../src/server/index.js'
import { tempDir } from '../helpers/tmpdir.js'
import { buildDemo, chromiumPath, launch, serveDemo, stageActivity } from './demo.js'

const ARTIFACTS = process.env.AILAKE_ARTIFACTS_DIR ?? join(tmpdir(), 'ailake-console-artifacts')

function browserOrSkip(t: TestContext): string | undefined {
  const path = chromiumPath()
  if (path !== undefined) return path
  if (process.env.CI === 'true') assert.fail('CI=true but no chromium: .ci/run installs it (apt-get install chromium), or set AILAKE_CHROMIUM')
  t.skip('no chromium on this machine (apt-get install chromium, or set AILAKE_CHROMIUM): the console\'s browser tests are skipped')
  return undefined
}

async function shot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
}

/** Ids in the results table, in order. */
async function resultIds(page: Page): Promise<number[]> {
  const header = await page.locator('[data-testid=results] thead th').allTextContents()
  const col = header.indexOf('id')
  assert.ok(col >= 0, `an id column in ${header.join(', ')}`)
  const rows = page.locator('[data-testid=results] tbody tr')
  const out: number[] = []
  for (let i = 0; i < await rows.count(); i++) out.push(Number(await rows.nth(i).locator('td').nth(col).textContent()))
  return out
}

test('console: tables, a table, time travel, text search = the API, map', async (t) => {
  const path = browserOrSkip(t)
  if (path === undefined) return
  const { dir, cleanup } = await tempDir('ailake-console-e2e-')
  const { lake } = await buildDemo(dir)
  const server = await serveDemo(lake)
  const browser = await launch(path)
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } })
    page.setDefaultTimeout(15_000)
    const failures: string[] = []
    page.on('pageerror', (e) => failures.push(e.message))
    page.on('requestfailed', (r) => failures.push(`${r.url()} ${r.failure()?.errorText}`))
    page.on('request', (r) => { if (!r.url().startsWith(server.url)) failures.push(`request to another host: ${r.url()}`) })
    await page.goto(`${server.url}/`)

    // Tables: every table the API lists, with the rows each holds.
    const rows = page.locator('table.grid tbody tr')
    await page.getByRole('link', { name: 'articles' }).waitFor()
    assert.deepEqual((await rows.allTextContents()).map((r) => r.slice(0, 20)).length, 3)
    const cells = async (name: string): Promise<string[]> => rows.filter({ has: page.getByRole('link', { name, exact: true }) }).locator('td').allTextContents()
    assert.deepEqual((await cells('articles')).slice(0, 4), ['demo', 'articles', '129', '4'], '144 rows written, 15 deleted (year 2016: ids 1, 11, ... 141), optimized into 4 files')
    assert.deepEqual((await cells('images')).slice(0, 5), ['demo', 'images', '300', '3', (await cells('images'))[4]])
    assert.deepEqual((await cells('notes')).slice(0, 3), ['default', 'notes', '6'])
    assert.match((await cells('articles')).join('|'), /16-d cosine f32\|ready\|test-hash \(16-d\)\|title/)
    await shot(page, '1-tables')

    // A table, then its first snapshot: 48 rows (the first append), then back to now.
    await page.getByRole('link', { name: 'articles' }).click()
    await assert.doesNotReject(page.getByTestId('live-rows').filter({ hasText: '129' }).waitFor())
    const snaps = page.locator('.timeline .snap')
    assert.equal(await snaps.count(), 5, 'append x3, delete, optimize')
    await snaps.first().click()
    await page.getByTestId('live-rows').filter({ hasText: /^48$/ }).waitFor()
    assert.match(page.url(), /asOf=\d+/)
    assert.equal(await page.locator('table.grid tbody tr').filter({ hasText: '.parquet' }).count(), 1, 'one file at the first snapshot')
    await shot(page, '2-table-first-snapshot')
    await snaps.nth(2).click()
    await page.getByTestId('live-rows').filter({ hasText: /^144$/ }).waitFor()
    await page.getByRole('link', { name: 'back to now' }).click()
    await page.getByTestId('live-rows').filter({ hasText: /^129$/ }).waitFor()

    // Text search: the hits, in order, are the API's answer to the same request.
    await page.getByRole('link', { name: 'Search', exact: true }).click()
    await page.getByRole('searchbox', { name: 'Text' }).fill('jazz piano')
    await page.getByRole('searchbox', { name: 'Text' }).press('Enter')
    await page.getByTestId('plan').waitFor()
    const api = await fetch(`${server.url}/v1/tables/demo.articles/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'jazz piano', limit: 10, select: ['id'] }) })
    const expected = ((await api.json()) as { rows: { id: string }[] }).rows.map((r) => Number(r.id))
    assert.equal(expected.length, 10)
    assert.deepEqual(await resultIds(page), expected)
    assert.match(await page.getByTestId('plan').textContent() ?? '', /searched by index: \d+/)
    // "Rows like this": the first hit's own vector finds it first, at distance 0.
    await page.getByRole('button', { name: 'Rows like row 1', exact: true }).click()
    await page.getByRole('radio', { name: 'vector' }).and(page.locator(':checked')).waitFor()
    await page.locator('[data-testid=results] tbody tr').first().locator('td').nth(1).filter({ hasText: /^0(\.0+)?$/ }).waitFor()
    assert.equal((await resultIds(page))[0], expected[0])
    // The vector plan draws every file once, in the order decided, and lists the first ones.
    const strip = page.getByTestId('plan-files')
    await strip.waitFor()
    const total = Number(/Files \((\d+)\)/.exec(await page.getByTestId('plan').locator('figcaption').first().textContent() ?? '')?.[1])
    assert.ok(total > 0)
    assert.equal(await strip.locator('svg rect').count(), total)
    assert.equal(await strip.locator('tbody tr').count(), Math.min(total, 12))
    assert.match(await strip.locator('tbody tr').first().textContent() ?? '', /^1.*(index|scan)$/)
    await shot(page, '3-search')

    // Map: one point per sampled vector (all 129 rows: the sample asks for 1000), coloured by file.
    await page.getByRole('link', { name: 'Map' }).click()
    await page.locator('svg.map .points circle').first().waitFor()
    assert.equal(await page.locator('svg.map .points circle').count(), 129)
    const colours = new Set(await page.locator('svg.map .points circle').evaluateAll((els) => els.map((e) => e.getAttribute('fill'))))
    assert.equal(colours.size, 4, 'one colour per file')
    await page.getByLabel('Query text').fill('deep sea fish')
    await page.getByRole('button', { name: 'Show hits' }).click()
    await page.locator('svg.map .hits circle').nth(9).waitFor()
    await shot(page, '4-map')
    // UMAP instead of PCA: the same points, re-laid in the worker; a clicked point is its own first hit, ringed in place.
    await page.getByLabel('Projection').selectOption('umap')
    await page.locator('svg.map[aria-label^="UMAP map of 129 vectors"]').waitFor()
    assert.equal(await page.locator('svg.map .points circle').count(), 129)
    const point = page.locator('svg.map .points circle').nth(17)
    // The click goes to the point itself: points may overlap, so a click at its screen position
    // can land on a neighbour drawn over it (a flake seen in CI), which is not what is tested here.
    await point.dispatchEvent('click')
    await page.locator('svg.map .hits circle').nth(9).waitFor()
    const at = await point.evaluate((e) => [e.getAttribute('cx'), e.getAttribute('cy')])
    const ringed = await page.locator('svg.map .hits circle').evaluateAll((els) => els.map((e) => [e.getAttribute('cx'), e.getAttribute('cy')]))
    assert.deepEqual(ringed[0], at, 'the clicked point is its own nearest hit')
    await shot(page, '5-map-umap')
    assert.deepEqual(failures, [])
    t.diagnostic(`screenshots in ${ARTIFACTS}`)
  } finally {
    await browser.close()
    await server.close()
    await lake.close()
    await cleanup()
  }
})

test('console: activity shows buffered rows and finished optimize runs, and keeps polling', async (t) => {
  const path = browserOrSkip(t)
  if (path === undefined) return
  const { dir, cleanup } = await tempDir('ailake-console-activity-')
  const { lake } = await buildDemo(dir)
  const server = await serveDemo(lake)
  const browser = await launch(path)
  try {
    const { report } = await stageActivity(server.url, 5)
    assert.equal(report.filesBefore, 3)
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } })
    page.setDefaultTimeout(15_000)
    const failures: string[] = []
    page.on('pageerror', (e) => failures.push(e.message))
    await page.goto(`${server.url}/`)
    await page.getByRole('link', { name: 'Activity' }).click()
    await page.getByRole('link', { name: 'Activity' }).and(page.locator('[aria-current=page]')).waitFor()

    const open = page.getByRole('table', { name: /Open tables/ })
    const notes = open.locator('tbody tr').filter({ has: page.getByRole('link', { name: 'default.notes', exact: true }) })
    await notes.waitFor()
    assert.equal((await notes.locator('td').nth(1).textContent())?.trim(), '5', 'the 5 rows of the buffered write')
    const images = open.locator('tbody tr').filter({ has: page.getByRole('link', { name: 'demo.images', exact: true }) })
    assert.equal((await images.locator('td').nth(1).textContent())?.trim(), '0')

    const finished = page.getByRole('table', { name: /Optimize finished/ }).locator('tbody tr')
    await finished.first().waitFor()
    const cells = await finished.first().locator('td').allTextContents()
    assert.equal(cells[0], 'demo.images')
    assert.deepEqual(cells.slice(3, 6), [String(report.filesBefore), String(report.filesAfter), report.rowsRewritten.toLocaleString('en-US')], 'the report the optimize request answered')
    await shot(page, '6-activity')

    // The page polls: a second optimize shows up without a reload, newest first.
    await fetch(`${server.url}/v1/tables/notes/optimize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    await finished.nth(1).waitFor()
    assert.equal(await finished.first().locator('td').first().textContent(), 'default.notes')
    assert.deepEqual(failures, [])
  } finally {
    await browser.close()
    await server.close()
    await lake.close()
    await cleanup()
  }
})

test('console with API keys: asks for a key before any data request; a wrong key is refused', async (t) => {
  const path = browserOrSkip(t)
  if (path === undefined) return
  const { dir, cleanup } = await tempDir('ailake-console-auth-')
  let lake = await connect(dir)
  await lake.createTable('secret.docs', { vector: { dim: 4 }, schema: { id: 'long' } })
  const { key } = await new KeyStore(lake.store).create(['read:*'])
  await lake.close()
  lake = await connect(dir)
  const server = await serveDemo(lake)
  const browser = await launch(path)
  try {
    const page = await browser.newPage()
    page.setDefaultTimeout(15_000)
    const data: { url: string; auth: string | undefined }[] = []
    page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/v1/')) data.push({ url: r.url(), auth: r.headers().authorization }) })
    await page.goto(`${server.url}/`)
    await page.getByLabel('Key', { exact: true }).waitFor()
    await page.getByRole('button', { name: 'Open the console' }).waitFor()
    assert.equal(data.length, 0, `no data request before a key is given: ${JSON.stringify(data)}`)
    await shot(page, '5-key-prompt')

    const wrong = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`
    await page.getByLabel('Key', { exact: true }).fill(wrong)
    await page.getByLabel('Key', { exact: true }).press('Enter')
    await page.getByRole('alert').filter({ hasText: 'The key was refused' }).waitFor()
    assert.equal(await page.getByRole('link', { name: 'docs' }).count(), 0)
    assert.ok(data.length >= 1 && data.every((d) => d.auth === `Bearer ${wrong}`), JSON.stringify(data))
    assert.equal(await page.evaluate("sessionStorage.getItem('ailake.apiKey')"), null, 'a refused key is not kept')

    await page.getByLabel('Key', { exact: true }).fill(key)
    await page.getByRole('button', { name: 'Open the console' }).click()
    await page.getByRole('link', { name: 'docs' }).waitFor()
    assert.ok(data.slice(1).every((d) => d.auth === `Bearer ${key}`))
    assert.equal(await page.evaluate("sessionStorage.getItem('ailake.apiKey')"), key, 'kept for the tab')
    await page.reload()
    await page.getByRole('link', { name: 'docs' }).waitFor()
    await page.getByRole('button', { name: 'Forget key' }).click()
    await page.getByLabel('Key', { exact: true }).waitFor()
    assert.equal(await page.evaluate("sessionStorage.getItem('ailake.apiKey')"), null)
  } finally {
    await browser.close()
    await server.close()
    await lake.close()
    await cleanup()
  }
})
