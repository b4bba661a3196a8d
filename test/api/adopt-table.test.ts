// A plain Iceberg table another engine created (no ailake properties) with a list<float> column:
// setVectorColumn makes it searchable in one metadata commit; its foreign files are scanned
// exactly, rows ailake adds are indexed, optimize rewrites everything into indexed files, and
// search answers stay the brute-force answers throughout.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, isAilakeError, type Table } from '../../src/index.js'
import { newTableMetadata } from '../../src/table/metadata-builder.js'
import { seededRandom } from '../../src/util/rng.js'
import { tempDir } from '../helpers/tmpdir.js'
import { SPARK_EVENTS_SCHEMA, sparkEventsFile } from '../helpers/spark-events.js'

const DIM = 4

function brute(rows: Map<number, number[]>, q: number[], k: number): number[] {
  const d = (v: number[]): number => v.reduce((s, x, i) => s + (x - (q[i] as number)) ** 2, 0)
  return [...rows].sort((a, b) => d(a[1]) - d(b[1]) || a[0] - b[0]).slice(0, k).map(([id]) => id)
}

async function nearest(t: Table, q: number[], k: number): Promise<number[]> {
  return (await t.search(q).limit(k).ef(400).toArray()).map((r) => Number(r.id))
}

test('setVectorColumn makes a plain Iceberg table searchable; foreign files are scanned, then optimized into indexed files', async () => {
  const { dir, cleanup } = await tempDir('ailake-adopt-')
  const lake = await connect(dir)
  try {
    // What Spark would create: id int, tag string, embedding list<float>, no ailake properties.
    const schema = SPARK_EVENTS_SCHEMA
    const ident = { namespace: ['spark'], name: 'events' }
    await lake.catalog.createTable(ident, newTableMetadata({ location: lake.catalog.defaultLocation(ident), schema, properties: {} }))
    const t = await lake.openTable('spark.events')
    const r = seededRandom(7)
    const rows = new Map<number, number[]>()
    for (let f = 0; f < 3; f++) {
      const ids = Array.from({ length: 40 }, (_, i) => f * 40 + i)
      const vecs = ids.map(() => Array.from({ length: DIM }, () => Math.fround(r() * 10)))
      ids.forEach((id, i) => rows.set(id, vecs[i] as number[]))
      const bytes = sparkEventsFile(ids, ids.map((i) => (i % 2 ? 'odd' : 'even')), vecs)
      const path = `${t.core.location}/data/spark-${f}.parquet`
      await lake.store.put(t.core.keyOf(path), bytes)
      await t.core.append([{ content: 'data', filePath: path, fileFormat: 'PARQUET', partition: {}, recordCount: ids.length, fileSizeInBytes: bytes.length }])
    }
    await t.refresh()
    assert.throws(() => t.search([1, 2, 3, 4]), (e: unknown) => isAilakeError(e, 'UNSUPPORTED'), 'no vector column yet')

    await assert.rejects(t.setVectorColumn({ column: 'Embedding', dim: DIM }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /no column "Embedding".*embedding/.test(e.message))
    await assert.rejects(t.setVectorColumn({ column: 'tag', dim: DIM }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /tag is string.*list<float>/.test(e.message))
    await assert.rejects(t.setVectorColumn({ column: 'embedding', dim: DIM, precision: 'i8' }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
    const snapshots = t.history().length
    const policy = await t.setVectorColumn({ column: 'embedding', dim: DIM, metric: 'euclidean' })
    assert.deepEqual([policy.column, policy.dim, policy.metric, policy.precision], ['embedding', DIM, 'euclidean', 'f32'])
    assert.equal(t.history().length, snapshots, 'a metadata commit, no snapshot')
    await assert.rejects(t.setVectorColumn({ column: 'embedding', dim: 8 }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /already has the vector column/.test(e.message))
    const reopened = await (await connect(dir)).openTable('spark.events')
    assert.equal(reopened.vector.column, 'embedding', 'recorded in the table properties')

    const queries = Array.from({ length: 12 }, () => Array.from({ length: DIM }, () => r() * 10))
    for (const q of queries) assert.deepEqual(await nearest(t, q, 5), brute(rows, q, 5))
    const plan = await t.search(queries[0] as number[]).limit(5).explain()
    assert.equal(plan.filesSearchedByScan, 3, 'files without a section are scanned exactly')

    // Rows ailake adds get indexed files in the same table.
    const added = Array.from({ length: 30 }, (_, i) => ({ id: 1000 + i, tag: 'ours', embedding: Array.from({ length: DIM }, () => Math.fround(r() * 10)) }))
    await t.add(added)
    for (const a of added) rows.set(a.id, a.embedding)
    for (const q of queries) assert.deepEqual(await nearest(t, q, 5), brute(rows, q, 5))

    const report = await t.optimize({ targetRowsPerFile: 60 })
    assert.equal(report.rowsAfter, rows.size)
    const files = await t.files()
    assert.ok(files.every((f) => f.indexStatus === 'ready'), `every file indexed after optimize: ${files.map((f) => f.indexStatus).join(',')}`)
    for (const q of queries) assert.deepEqual(await nearest(t, q, 5), brute(rows, q, 5))
    const tags = new Map<number, unknown>()
    for await (const row of t.scan({ select: ['id', 'tag'] })) tags.set(Number(row.id), row.tag)
    assert.equal(tags.size, rows.size)
    assert.equal(tags.get(3), 'odd')
    assert.equal(tags.get(1005), 'ours')
  } finally {
    await lake.close()
    await cleanup()
  }
})
