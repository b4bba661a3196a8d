import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, isAilakeError } from '../../src/index.js'
import { openDataFile } from '../../src/format/data-file.js'
import { LocalStore } from '../../src/store/local-store.js'
import { clusteredVectors, tempDir } from '../helpers/tmpdir.js'

async function readAllRows(lakeDir: string, table: Awaited<ReturnType<Awaited<ReturnType<typeof connect>>['openTable']>>, asOf?: bigint): Promise<Record<string, unknown>[]> {
  const store = new LocalStore({ root: lakeDir })
  const rows: Record<string, unknown>[] = []
  for (const f of await table.files(asOf)) {
    const key = f.path.slice(`file://${store.root}/`.length)
    const size = (await store.head(key))?.size ?? 0
    const file = await openDataFile({ size, read: (o, l) => store.getRange(key, o, l) })
    rows.push(...await file.readRows({}))
  }
  return rows
}

test('create, add, reopen: rows, history, schema inference and camelCase names survive', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const table = await lake.createTable('default.docs', { vector: { column: 'embedding', dim: 8, metric: 'cosine' } })
    const vecs = clusteredVectors(10, 8)
    const rows = vecs.map((v, i) => ({ docId: BigInt(i), text: `doc ${i}`, score: i / 2, embedding: v }))
    const s1 = await table.add(rows.slice(0, 4))
    const s2 = await table.add(rows.slice(4))
    assert.equal(typeof s1, 'bigint')
    assert.notEqual(s1, s2)

    const again = await (await connect(dir)).openTable('default.docs')
    assert.deepEqual(again.columns().map((f) => f.name), ['docId', 'text', 'score', 'embedding'])
    assert.deepEqual(again.columns().map((f) => f.type), ['long', 'string', 'double', { type: 'list', elementId: 2, element: 'float', elementRequired: true }])
    // The vector keeps the ids it had before the columns were known; they get ids above them,
    // in the order of their names.
    assert.deepEqual(again.columns().map((f) => f.id), [3, 5, 4, 1])
    assert.equal(await again.countRows(), 10)
    assert.equal(await again.countRows(s1), 4)
    const history = again.history()
    assert.deepEqual(history.map((h) => h.snapshotId), [s1, s2])
    assert.equal(history[1]?.parentId, s1)
    assert.equal(history[1]?.totalRows, 10)

    const back = await readAllRows(dir, again)
    back.sort((a, b) => Number(a.docId) - Number(b.docId))
    assert.deepEqual(back.map((r) => r.text), rows.map((r) => r.text))
    assert.deepEqual(Array.from(back[3]?.embedding as ArrayLike<number>), Array.from(vecs[3] as Float32Array))
    assert.deepEqual(await lake.listTables(), ['default.docs'])
  } finally {
    await cleanup()
  }
})

test('tables of 1 row and an empty table work; time travel by date', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('one', { vector: { dim: 3, metric: 'euclidean' }, schema: { id: 'int' } })
    assert.equal(await t.countRows(), 0)
    assert.deepEqual(t.history(), [])
    const before = new Date()
    await new Promise((r) => setTimeout(r, 5))
    await t.add([{ id: 1, embedding: [1, 2, 3] }])
    assert.equal(await t.countRows(), 1)
    await assert.rejects(t.files(before), (e: unknown) => isAilakeError(e, 'NOT_FOUND'))
    assert.equal(await t.countRows(new Date()), 1)
  } finally {
    await cleanup()
  }
})

test('bad input is refused with clear errors and leaves the table unchanged', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('default.strict', { vector: { dim: 4 }, schema: { id: 'long', title: { type: 'string', required: true } } })
    await t.add([{ id: 1n, title: 'a', embedding: new Float32Array(4).fill(1) }])
    const bad: [unknown, string][] = [
      [[{ id: 2n, title: 'b', embedding: [1, 2, 3] }], 'DIMENSION_MISMATCH'],
      [[{ id: 2n, title: 'b', embedding: [1, 2, NaN, 4] }], 'INVALID_ARGUMENT'],
      [[{ id: 2n, embedding: [1, 2, 3, 4] }], 'SCHEMA_MISMATCH'],
      [[{ id: 2n, title: 'b', Title: 'x', embedding: [1, 2, 3, 4] }], 'SCHEMA_MISMATCH'],
      [[{ id: 'two', title: 'b', embedding: [1, 2, 3, 4] }], 'SCHEMA_MISMATCH'],
      [[], 'INVALID_ARGUMENT'],
    ]
    for (const [rows, code] of bad) {
      await assert.rejects(t.add(rows as never), (e: unknown) => isAilakeError(e) && e.code === code, `expected ${code} for ${JSON.stringify(rows, (_k, v) => typeof v === 'bigint' ? String(v) : v)}`)
    }
    await t.refresh()
    assert.equal(t.history().length, 1)
    assert.equal(await t.countRows(), 1)
    const store = new LocalStore({ root: dir })
    assert.equal((await store.list('default/strict/data/')).length, 1, 'no stray data files')

    await assert.rejects(lake.openTable('default.nope'), (e: unknown) => isAilakeError(e, 'NOT_FOUND') && /default\.nope/.test(e.message))
    await assert.rejects(lake.createTable('default.strict', { vector: { dim: 4 } }), (e: unknown) => isAilakeError(e, 'ALREADY_EXISTS'))
    await assert.rejects(lake.createTable('bad name!', { vector: { dim: 4 } }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
    await assert.rejects(lake.createTable('x', { vector: { dim: 0 } }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
    await store.put('default/strict/metadata/v2.metadata.json', new TextEncoder().encode('{"format-version": 2, "oops"'))
    await assert.rejects(lake.openTable('default.strict'), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA'))
  } finally {
    await cleanup()
  }
})

test('dropTable removes the table and its files', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('default.gone', { vector: { dim: 2 } })
    await t.add([{ embedding: [1, 0] }])
    await lake.dropTable('default.gone')
    assert.deepEqual(await lake.listTables(), [])
    await assert.rejects(lake.openTable('default.gone'), (e: unknown) => isAilakeError(e, 'NOT_FOUND'))
    assert.deepEqual(await new LocalStore({ root: dir }).list('default/gone/'), [])
  } finally {
    await cleanup()
  }
})

test('f16 and i8 tables store and read back vectors within their precision', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const vecs = clusteredVectors(20, 16, 7)
    for (const [precision, tol] of [['f16', 2e-3], ['i8', 2e-2]] as const) {
      const t = await lake.createTable(`default.p_${precision}`, { vector: { dim: 16, precision, metric: 'dot' }, schema: { n: 'int' } })
      await t.add(vecs.map((v, n) => ({ n, embedding: v })))
      const rows = await readAllRows(dir, t)
      assert.equal(rows.length, 20)
      for (const r of rows) {
        const want = vecs[r.n as number] as Float32Array
        const got = r.embedding as Float32Array
        for (let d = 0; d < 16; d++) assert.ok(Math.abs((got[d] as number) - (want[d] as number)) <= tol, `${precision} row ${String(r.n)} dim ${d}`)
      }
    }
  } finally {
    await cleanup()
  }
})
