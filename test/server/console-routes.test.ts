// What the server adds for the web console, through the app in this process: the console's
// files (content types, revalidation, security headers, no key needed, nothing outside the
// allow-list however the path is spelt), /health's auth flag, the vector sample (every point
// is a stored, live vector of the snapshot asked for, spread over the files), the files'
// centroid and radius (against the mean and farthest distance of the rows written), and the
// search modes (full text against a hand-computed set of matching rows).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { connect } from '../../src/index.js'
import { createApp, KeyStore } from '../../src/server/index.js'
import { clusteredVectors, tempDir } from '../helpers/tmpdir.js'
import { hashEmbedder, send } from './helpers.js'

const DIST_CONSOLE = new URL('../../src/server/console/', import.meta.url)

test('console files: served with their types, ETag revalidation and a CSP; public; nothing else reachable', async () => {
  const { dir, cleanup } = await tempDir('ailake-console-static-')
  const lake = await connect(dir)
  try {
    const { app, close } = createApp(lake)
    const cases: [string, string, string][] = [['/', 'index.html', 'text/html'], ['/console/app.js', 'app.js', 'text/javascript'], ['/console/app.css', 'app.css', 'text/css'], ['/console/projection-worker.js', 'projection-worker.js', 'text/javascript']]
    for (const [path, file, type] of cases) {
      const r = await app.fetch(new Request(`http://localhost${path}`))
      assert.equal(r.status, 200, path)
      assert.equal(r.headers.get('content-type')?.split(';')[0], type, path)
      assert.equal(r.headers.get('cache-control'), 'no-cache', path)
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path)
      assert.deepEqual(new Uint8Array(await r.arrayBuffer()), new Uint8Array(await readFile(new URL(file, DIST_CONSOLE))), `${path} is dist/src/server/console/${file}`)
      const etag = r.headers.get('etag')
      assert.match(etag ?? '', /^"[\w-]+"$/)
      const again = await app.fetch(new Request(`http://localhost${path}`, { headers: { 'if-none-match': etag as string } }))
      assert.equal(again.status, 304, `${path} revalidates`)
      assert.equal((await again.arrayBuffer()).byteLength, 0)
    }
    const page = await send(app, 'GET', '/')
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/)
    assert.match(page.text, /<script type="module" src="\/console\/app\.js"><\/script>/)
    assert.doesNotMatch(page.text, /https?:\/\//, 'the page loads nothing from other hosts')

    // However the name is spelt, only the listed files come back; never the package's other files.
    const secret = await readFile(new URL('../../../../package.json', DIST_CONSOLE), 'utf8')
    for (const path of ['/console/..%2Fsrc%2Findex.js', '/console/%2e%2e%2f%2e%2e%2fpackage.json', '/console/..%5C..%5Cpackage.json', '/console/app.js%00.png', '/console/constructor',
      '/console/__proto__', '/console/hasOwnProperty', '/console/', '/console/APP.JS', '/console/app.js/', '/console/../../package.json', '/console/%252e%252e%252fpackage.json', '/index.html/../package.json']) {
      const r = await send(app, 'GET', path)
      assert.equal(r.status, 404, `${path}: ${r.status} ${r.text.slice(0, 80)}`)
      assert.ok(!r.text.includes(secret.slice(0, 40)), path)
      assert.ok(['NOT_FOUND', 'NO_ROUTE'].includes(r.json?.error?.code), `${path}: a JSON error, ${r.text.slice(0, 80)}`)
    }

    // With keys, the console's files stay public (they hold no data); the data does not.
    assert.equal((await send(app, 'GET', '/health')).json.auth, false)
    await new KeyStore(lake.store).create(['read:*'])
    const keyed = createApp(lake)
    assert.equal((await send(keyed.app, 'GET', '/health')).json.auth, true)
    assert.equal((await send(keyed.app, 'GET', '/')).status, 200)
    assert.equal((await send(keyed.app, 'GET', '/console/app.js')).status, 200)
    assert.equal((await send(keyed.app, 'GET', '/v1/tables')).status, 401)
    await keyed.close()
    const strict = createApp(lake, { requireAuth: true })
    assert.equal((await send(strict.app, 'GET', '/health')).json.auth, true)
    await strict.close()
    await close()
  } finally {
    await lake.close()
    await cleanup()
  }
})

test('sample: live stored vectors of the snapshot asked for, spread over files; files carry centroid and radius', async () => {
  const { dir, cleanup } = await tempDir('ailake-console-sample-')
  const lake = await connect(dir)
  try {
    const DIM = 6
    const t = await lake.createTable('geo.points', { vector: { dim: DIM, metric: 'euclidean' }, schema: { id: 'long' } })
    // Three files of 30, 60 and 90 rows (told apart by their row counts).
    const vectors = clusteredVectors(180, DIM, 5, 3)
    const sizes = [30, 60, 90]
    let at = 0
    const snapshots: string[] = []
    for (const n of sizes) {
      await t.add(vectors.slice(at, at + n).map((v, i) => ({ id: at + i, embedding: v })))
      snapshots.push(String(t.currentSnapshotId))
      at += n
    }
    await t.delete('id < 10')
    const key = (v: ArrayLike<number>): string => Array.from(v).join(',')
    const idOf = new Map(vectors.map((v, i) => [key(v), i]))
    const { app, close } = createApp(lake)

    const files = (await send(app, 'GET', '/v1/tables/geo.points/files')).json.files as { path: string; rows: number; centroid: number[]; radius: number }[]
    assert.deepEqual(files.map((f) => f.rows).sort((a, b) => a - b), sizes)
    for (const f of files) {
      const start = sizes.slice(0, sizes.indexOf(f.rows)).reduce((a, b) => a + b, 0)
      const rows = vectors.slice(start, start + f.rows)
      const mean = Array.from({ length: DIM }, (_, j) => rows.reduce((s, v) => s + (v[j] as number), 0) / rows.length)
      f.centroid.forEach((c, j) => assert.ok(Math.abs(c - (mean[j] as number)) < 1e-5, `centroid[${j}] ${c} vs ${mean[j]}`))
      const far = Math.max(...rows.map((v) => Math.sqrt(v.reduce((s, x, j) => s + (x - (f.centroid[j] as number)) ** 2, 0))))
      assert.ok(f.radius >= far - 1e-5 && f.radius <= far * 1.001 + 1e-5, `radius ${f.radius} vs farthest row ${far}`)
    }

    const now = await send(app, 'GET', '/v1/tables/geo.points/sample?count=85')
    assert.equal(now.status, 200, now.text)
    const points = now.json.points as { file: string; row: number; vector: number[] }[]
    assert.ok(points.length >= 84 && points.length <= 85, `${points.length} points`)
    const ids = points.map((p) => idOf.get(key(Float32Array.from(p.vector))))
    assert.ok(ids.every((id) => id !== undefined && id >= 10), 'every point is a stored vector of a live row')
    assert.equal(new Set(ids).size, ids.length, 'no row twice')
    const perFile = new Map<number, number>()
    for (const p of points) {
      const f = files.find((x) => x.path === p.file)
      assert.ok(f !== undefined, p.file)
      perFile.set(f.rows, (perFile.get(f.rows) ?? 0) + 1)
      const start = sizes.slice(0, sizes.indexOf(f.rows)).reduce((a, b) => a + b, 0)
      assert.equal(ids[points.indexOf(p)], start + p.row, 'the row number is the row in its file')
    }
    // Live rows 20, 60, 90 of 170: shares of 85 are 10, 30, 45.
    assert.deepEqual([...perFile.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n), [10, 30, 45])

    const first = await send(app, 'GET', `/v1/tables/geo.points/sample?count=1000&asOf=${snapshots[0]}`)
    assert.deepEqual((first.json.points as { vector: number[] }[]).map((p) => idOf.get(key(Float32Array.from(p.vector)))).sort((a, b) => (a as number) - (b as number)), Array.from({ length: 30 }, (_, i) => i))
    for (const bad of ['0', '5001', 'x', '1.5', '-3']) assert.equal((await send(app, 'GET', `/v1/tables/geo.points/sample?count=${bad}`)).status, 400, bad)
    assert.equal((await send(app, 'GET', '/v1/tables/geo.nope/sample')).status, 404)
    await close()
    await t.close()
  } finally {
    await lake.close()
    await cleanup()
  }
})

test('search modes: fulltext finds exactly the rows holding the word, hybrid fuses, explain follows the mode', async () => {
  const { dir, cleanup } = await tempDir('ailake-console-modes-')
  const lake = await connect(dir)
  try {
    const embedder = hashEmbedder(8)
    const t = await lake.createTable('docs', { vector: { dim: 8 }, embedder, fullText: ['title'], schema: { id: 'long', title: 'string' } })
    const words = ['kettle', 'piano', 'forest', 'tax', 'trail']
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: i, title: `${words[i % 5]} ${words[(i * 3) % 5]} item ${i}` }))
    await t.add(rows, { embedFrom: 'title', embedder })
    const { app, close } = createApp(lake, { embedders: { 'test-hash': embedder } })
    const ft = await send(app, 'POST', '/v1/tables/docs/search', { body: { mode: 'fulltext', text: 'piano', limit: 100, select: ['id'] } })
    assert.equal(ft.status, 200, ft.text)
    const expected = rows.filter((r) => r.title.split(' ').includes('piano')).map((r) => r.id).sort((a, b) => a - b)
    assert.deepEqual(ft.json.rows.map((r: { id: string }) => Number(r.id)).sort((a: number, b: number) => a - b), expected)
    const scores = ft.json.rows.map((r: { _score: number }) => r._score)
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'best score first')
    const where = await send(app, 'POST', '/v1/tables/docs/search', { body: { mode: 'fulltext', text: 'piano', where: 'id < 20', limit: 100, select: ['id'] } })
    assert.deepEqual(where.json.rows.map((r: { id: string }) => Number(r.id)).sort((a: number, b: number) => a - b), expected.filter((id) => id < 20))

    const hy = await send(app, 'POST', '/v1/tables/docs/search', { body: { mode: 'hybrid', text: 'forest', limit: 5 } })
    assert.equal(hy.status, 200, hy.text)
    assert.equal(hy.json.rows.length, 5)
    assert.ok(hy.json.rows.every((r: { title: string }) => r.title.includes('forest')), 'rows holding the word and nearest to its embedding come first')

    const plan = await send(app, 'POST', '/v1/tables/docs/explain', { body: { mode: 'fulltext', text: 'piano' } })
    assert.equal(plan.json.plan.filesTotal, 1)
    assert.equal(typeof plan.json.plan.filesScored, 'number')
    const hplan = await send(app, 'POST', '/v1/tables/docs/explain', { body: { mode: 'hybrid', text: 'piano' } })
    assert.equal(typeof hplan.json.plan.vector.filesTotal, 'number')
    assert.equal(typeof hplan.json.plan.text.filesScored, 'number')

    for (const [body, message] of [[{ mode: 'fulltext', text: 'x', ef: 10 }, /ef applies to vector search only/], [{ mode: 'nope', text: 'x' }, /mode must be vector, fulltext or hybrid/], [{ mode: 'fulltext' }, /needs text/], [{ mode: 'fulltext', text: 'x', vector: [1] }, /takes text, not a vector/]] as const) {
      const r = await send(app, 'POST', '/v1/tables/docs/search', { body })
      assert.equal(r.status, 400, JSON.stringify(body))
      assert.match(r.json.error.message, message)
    }
    await close()
    await t.close()
  } finally {
    await lake.close()
    await cleanup()
  }
})
