// Tables another engine wrote (Spark, see test/fixtures/foreign/README.md): deflate-compressed
// manifests, ZSTD Parquet, equality deletes, a partitioned layout. ailake reads them as the
// writer's own documentation says they read, at every snapshot, and refuses to change them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect, isAilakeError, type Table } from '../../src/index.js'
import { tempDir } from '../helpers/tmpdir.js'

const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'foreign', 'spark-equality-deletes')

async function warehouse(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const tmp = await tempDir('ailake-foreign-')
  cpSync(fixture, join(tmp.dir, 'mydb'), { recursive: true })
  return tmp
}

async function all(t: Table, options: Parameters<Table['scan']>[0] = {}): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = []
  for await (const r of t.scan(options)) rows.push(r)
  return rows
}

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`)
const flat = (rows: Record<string, unknown>[]): string[] =>
  rows.map((r) => Object.values(r).map((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v))).join('|')).sort()

test('a Spark table with equality deletes reads as its writer documents: rows, counts, filters, projections', async () => {
  const wh = await warehouse()
  const lake = await connect(wh.dir)
  try {
    const t = await lake.openTable('mydb.mytable')
    assert.deepEqual(t.schema.fields.map((f) => [f.name, f.type]), [['id', 'int'], ['name', 'string'], ['bir', 'date']])
    assert.deepEqual(flat(await all(t)), ['4|d|2025-01-04', '5|e|2025-01-05'])
    assert.equal(await t.countRows(), 2)
    assert.deepEqual(flat(await all(t, { select: ['name'] })), ['d', 'e'])
    assert.deepEqual(flat(await all(t, { select: ['bir'], where: 'id = 4' })), ['2025-01-04'])
    assert.equal((await all(t, { where: { column: 'bir', op: '>=', value: new Date(day('2025-01-01')) } })).length, 2)
    assert.deepEqual(flat(await all(t, { select: ['id', 'name'], where: 'id IN (1, 4, 5, 6) AND id >= 4' })), ['4|d', '5|e'])
    assert.equal((await all(t, { limit: 1 })).length, 1)
    assert.equal((await all(t, { limit: 0 })).length, 0)
    const files = await t.files()
    assert.equal(files.reduce((n, f) => n + f.rows - f.deletedRows, 0), 2)
    assert.ok(files.every((f) => f.indexStatus === 'none'), 'files without ailake sections have no index')
  } finally {
    await lake.close()
    await wh.cleanup()
  }
})

test('a partitioned Spark table reads at every snapshot as documented (time travel through equality deletes)', async () => {
  const wh = await warehouse()
  const lake = await connect(wh.dir)
  try {
    const t = await lake.openTable('mydb.mytable_partitioned')
    const expected = [
      ['1|a|2025-01-01', '2|b|2025-01-02', '3|c|2025-01-03', '4|d|2025-01-04'],
      ['1|a|2025-01-01', '3|c|2025-01-03', '4|d|2025-01-04'],
      ['1|a|2025-01-01', '4|d|2025-01-04'],
      ['1|a|2025-01-01', '4|d|2025-01-04', '5|e|2025-01-05', '6|f|2025-01-06'],
      ['1|a|2025-01-01', '4|d|2025-01-04', '5|e|2025-01-05'],
    ]
    const history = t.history()
    assert.deepEqual(history.map((h) => h.operation), ['append', 'delete', 'delete', 'append', 'delete'])
    for (const [i, h] of history.entries()) {
      assert.deepEqual(flat(await all(t, { asOf: h.snapshotId })), expected[i], `snapshot ${i + 1}`)
      assert.equal(await t.countRows(h.snapshotId), expected[i]?.length)
    }
    assert.deepEqual(flat(await all(t, { select: ['id'], where: "name = 'a' OR name = 'e'" })), ['1', '5'])
  } finally {
    await lake.close()
    await wh.cleanup()
  }
})

test('scan rejects unknown columns and bad limits; row changes on a table without a vector column are refused', async () => {
  const wh = await warehouse()
  const lake = await connect(wh.dir)
  try {
    const t = await lake.openTable('mydb.mytable')
    assert.throws(() => t.scan({ select: ['ID'] }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /unknown column "ID".*id, name, bir/.test(e.message))
    assert.throws(() => t.scan({ limit: -1 }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /limit/.test(e.message))
    assert.throws(() => t.scan({ where: 'nope = 1' }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
    await assert.rejects(t.delete('id = 4'), (e: unknown) => isAilakeError(e, 'UNSUPPORTED'))
    assert.equal(await t.countRows(), 2, 'nothing changed')
  } finally {
    await lake.close()
    await wh.cleanup()
  }
})
