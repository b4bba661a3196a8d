/**
 * delete / update / upsert as Iceberg v2 position deletes, checked with independent readers:
 * icebird applies the delete files itself (current and older snapshots), DuckDB reads the live
 * rows with the query docs/iceberg.md documents, and large-ef search equals brute force over the
 * live rows for every metric.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DuckDBInstance } from '@duckdb/node-api'
import { icebergRead } from 'icebird'
import { connect, isAilakeError, type Metric, type Table } from '../../src/index.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import type { ObjectStore } from '../../src/store/object-store.js'
import { writePlainFile } from '../../src/format/parquet/plain-writer.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { clusteredVectors, rng, tempDir } from '../helpers/tmpdir.js'

type Row = { id: bigint; tag: string; score: number; embedding: Float32Array }

function rows(from: number, n: number, seed: number): Row[] {
  const vecs = clusteredVectors(n, 6, seed)
  return vecs.map((v, i) => ({ id: BigInt(from + i), tag: ['red', 'green', 'blue'][(from + i) % 3] as string, score: (from + i) / 10, embedding: v }))
}

async function makeTable(dir: string, name: string, metric: Metric = 'euclidean', store?: ObjectStore): Promise<Table> {
  const lake = await connect(dir, store === undefined ? {} : { store })
  return lake.createTable(`default.${name}`, { vector: { dim: 6, metric }, schema: { id: { type: 'long', required: true }, tag: 'string', score: 'double' } })
}

async function icebirdIds(tableUrl: string, metadataFileName?: string): Promise<number[]> {
  const got = await icebergRead(metadataFileName === undefined ? { tableUrl } : { tableUrl, metadataFileName })
  return got.map((r) => Number(r.id)).sort((a, b) => a - b)
}

test('delete, update and upsert: icebird sees exactly the live rows, now and at older snapshots', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const t = await makeTable(dir, 'changes')
    const all = [...rows(0, 30, 1), ...rows(30, 30, 2)]
    await t.add(all.slice(0, 30))
    await t.add(all.slice(30))
    const url = `${dir}/default/changes`
    const v3 = 'v3.metadata.json'
    const del = await t.delete("tag = 'red' AND score < 4")
    assert.equal(del.deleted, 14)
    assert.equal(t.history().at(-1)?.operation, 'delete')
    const upd = await t.update({ column: 'id', op: 'in', values: [1n, 2n, 40n] }, { tag: 'updated', score: -1 })
    assert.equal(upd.updated, 3)
    const ups = await t.upsert([
      { id: 4n, tag: 'upserted', score: 4.5, embedding: new Float32Array(6).fill(0.5) },
      { id: 500n, tag: 'new', score: 50, embedding: new Float32Array(6).fill(-0.5) },
    ], { on: 'id' })
    assert.deepEqual([ups.updated, ups.inserted], [1, 1])
    assert.equal(t.history().at(-1)?.operation, 'overwrite')

    // The model: what these changes must leave.
    const expected = new Map(all.map((r) => [Number(r.id), { tag: r.tag, score: r.score }]))
    for (const r of all) if (r.tag === 'red' && r.score < 4) expected.delete(Number(r.id))
    for (const id of [1, 2, 40]) expected.set(id, { tag: 'updated', score: -1 })
    expected.set(4, { tag: 'upserted', score: 4.5 })
    expected.set(500, { tag: 'new', score: 50 })

    const current = await icebergRead({ tableUrl: url })
    assert.deepEqual(current.map((r) => Number(r.id)).sort((a, b) => a - b), [...expected.keys()].sort((a, b) => a - b))
    for (const r of current) assert.deepEqual({ tag: r.tag, score: r.score }, expected.get(Number(r.id)), `row ${String(r.id)}`)
    assert.equal(await t.countRows(), expected.size)
    // A snapshot before the delete still sees every row (time travel through deletes).
    assert.deepEqual(await icebirdIds(url, v3), all.map((r) => Number(r.id)))
    assert.equal(await t.countRows(t.history()[1]?.snapshotId), 60)
    const files = await t.files()
    assert.equal(files.reduce((n, f) => n + f.deletedRows, 0), 14 + 3 + 1)
  } finally {
    restore()
    await cleanup()
  }
})

test('DuckDB reads the live rows with the documented anti-join on file_row_number', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const t = await makeTable(dir, 'duck')
    await t.add(rows(0, 40, 3))
    await t.add(rows(40, 40, 4))
    await t.delete('id >= 10 AND id < 50')
    await t.update('id = 5', { tag: 'five' })
    const files = (await t.files()).map((f) => f.path.replace('file://', ''))
    // Delete files are listed by the manifests; ailake names them *-deletes.parquet in data/.
    const { readdirSync } = await import('node:fs')
    const deletes = readdirSync(`${dir}/default/duck/data`).filter((n) => n.endsWith('-deletes.parquet')).map((n) => `${dir}/default/duck/data/${n}`)
    const list = (xs: string[]): string => `[${xs.map((x) => `'${x}'`).join(', ')}]`
    const sql = `
      SELECT d.id, d.tag FROM read_parquet(${list(files)}, filename = true, file_row_number = true) d
      ANTI JOIN read_parquet(${list(deletes)}) del
        ON replace(del.file_path, 'file://', '') = d.filename AND del.pos = d.file_row_number
      ORDER BY d.id`
    const db = await DuckDBInstance.create(':memory:')
    const con = await db.connect()
    const got = (await con.runAndReadAll(sql)).getRows().map(([id, tag]) => [Number(id), tag])
    const expected = [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 30 }, (_, i) => 50 + i)]
    assert.deepEqual(got.map(([id]) => id), expected)
    assert.deepEqual(got.find(([id]) => id === 5), [5, 'five'])
    con.closeSync()
  } finally {
    await cleanup()
  }
})

for (const metric of ['euclidean', 'cosine', 'dot'] as const) {
  test(`large-ef search after deletes equals brute force over the live rows, with filters (${metric})`, async () => {
    const t = await makeTable('/nonexistent/ailake-rc', `bf${metric}`, metric, new MemoryStore())
    const data = rows(0, 300, 7)
    await t.add(data.slice(0, 150))
    await t.add(data.slice(150), { buildIndex: false })
    await t.waitForIndexes()
    const random = rng(11)
    const gone = new Set<number>()
    for (let round = 0; round < 3; round++) {
      const ids = Array.from({ length: 40 }, () => Math.floor(random() * 300))
      await t.delete({ column: 'id', op: 'in', values: ids.map(BigInt) })
      for (const id of ids) gone.add(id)
    }
    const live = data.filter((r) => !gone.has(Number(r.id)))
    const dist = (q: Float32Array, v: Float32Array): number => {
      let dot = 0, qq = 0, vv = 0, l2 = 0
      for (let j = 0; j < q.length; j++) { dot += q[j]! * v[j]!; qq += q[j]! * q[j]!; vv += v[j]! * v[j]!; l2 += (q[j]! - v[j]!) ** 2 }
      return metric === 'euclidean' ? l2 : metric === 'dot' ? -dot : 1 - dot / Math.sqrt(qq * vv)
    }
    for (let q = 0; q < 20; q++) {
      const query = (data[Math.floor(random() * data.length)] as Row).embedding.map((x) => x + (random() - 0.5) * 0.1)
      for (const where of [undefined, "tag = 'blue'"]) {
        const pool = where === undefined ? live : live.filter((r) => r.tag === 'blue')
        const want = pool.map((r) => ({ id: Number(r.id), d: dist(query, r.embedding) })).sort((a, b) => a.d - b.d).slice(0, 10)
        let s = t.search(query).limit(10).ef(400)
        if (where !== undefined) s = s.where(where)
        const got = await s.toArray()
        assert.equal(got.length, 10, 'k live rows come back')
        assert.ok(got.every((r) => !gone.has(Number(r.id))), 'no deleted row is returned')
        got.forEach((r, i) => assert.ok(Math.abs((r._distance as number) - (want[i] as { d: number }).d) < 1e-4, `query ${q} rank ${i}: ${String(r._distance)} vs ${(want[i] as { d: number }).d}`))
      }
    }
  })
}

test('a delete of many ids is one snapshot; deleting nothing commits nothing', async () => {
  const t = await makeTable('/nonexistent/ailake-rc', 'many', 'euclidean', new MemoryStore())
  for (let f = 0; f < 4; f++) await t.add(rows(f * 500, 500, 20 + f))
  const before = t.history().length
  const ids = Array.from({ length: 2000 }, (_, i) => BigInt(i))
  const r = await t.delete({ column: 'id', op: 'in', values: ids })
  assert.equal(r.deleted, 2000)
  assert.equal(t.history().length, before + 1, 'one snapshot')
  assert.equal(await t.countRows(), 0)
  const none = await t.delete('id = 123456')
  assert.deepEqual(none, { snapshotId: null, deleted: 0, updated: 0, inserted: 0 })
  assert.equal(t.history().length, before + 1, 'nothing committed')
})

test('upsert rejects duplicate keys within one call; update rejects unknown columns', async () => {
  const t = await makeTable('/nonexistent/ailake-rc', 'dups', 'euclidean', new MemoryStore())
  await t.add(rows(0, 5, 1))
  const v = new Float32Array(6)
  await assert.rejects(t.upsert([{ id: 1n, tag: 'a', score: 0, embedding: v }, { id: 1, tag: 'b', score: 0, embedding: v }], { on: 'id' }),
    (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /rows 0 and 1/.test((e as Error).message))
  await assert.rejects(t.update('id = 1', { colour: 'x' }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /colour/.test((e as Error).message))
  await assert.rejects(t.upsert([{ id: 9n, embedding: v }], { on: 'nope' }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
  assert.equal(await t.countRows(), 5, 'nothing changed')
})

test('deletes survive an index build of the file they delete from, in either order', async () => {
  const store = new MemoryStore()
  const t = await makeTable('/nonexistent/ailake-rc', 'build', 'euclidean', store)
  await t.add(rows(0, 100, 5), { buildIndex: false })
  // Delete first, then the build rewrites the file: the deletes move to the new file.
  await t.delete('id < 10')
  await t.waitForIndexes()
  assert.ok((await t.files()).every((f) => f.indexStatus === 'ready'))
  assert.equal(await t.countRows(), 90)
  const hits = await t.search(rows(0, 1, 5)[0]!.embedding).limit(100).ef(500).toArray()
  assert.equal(hits.length, 90)
  assert.ok(hits.every((h) => (h.id as bigint) >= 10n))

  // The build commits between the delete's planning and its commit: the delete is planned again.
  await t.add(rows(100, 50, 6), { buildIndex: false })
  const builder = (t as unknown as { indexBuilder(): { scheduleAllPending(x: unknown): Promise<number>; waitForIndexes(): Promise<void> } }).indexBuilder()
  let raced = false
  const put = store.put.bind(store)
  store.put = async (key, bytes) => {
    if (!raced && key.endsWith('-deletes.parquet')) {
      raced = true
      await builder.scheduleAllPending(t.core)
      await builder.waitForIndexes()
    }
    return put(key, bytes)
  }
  const r = await t.delete('id >= 100 AND id < 120')
  assert.ok(raced, 'the build ran inside the delete')
  assert.equal(r.deleted, 20)
  assert.equal(await t.countRows(), 90 + 30)
  assert.ok((await t.files()).every((f) => f.indexStatus === 'ready'))
})

test('equality delete files written by another engine are applied (by sequence number), as icebird applies them', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const t = await makeTable(dir, 'eq')
    await t.add(rows(0, 20, 9))
    // What another engine writes: a Parquet file of key values and a delete-manifest entry with
    // content = equality deletes and equality_ids = [the id column].
    const idField = t.schema.fields.find((f) => f.name === 'id')!
    const schema = { schemaId: 0, fields: [{ ...idField }] }
    const written = writePlainFile(schema, new Map([[idField.id, [3n, 4n, 15n]]]), 3)
    const location = `${t.core.location}/data/engine-eq-deletes.parquet`
    await t.core.store.put(t.core.keyOf(location), written.bytes)
    await t.core.commit({
      kind: 'delta', added: [],
      addedDeletes: [{ content: 'equality-deletes', filePath: location, fileFormat: 'PARQUET', partition: {}, recordCount: 3, fileSizeInBytes: written.bytes.length, equalityIds: [idField.id] }],
    })
    // Rows appended after the equality delete are not subject to it.
    await t.add([{ id: 3n, tag: 'again', score: 0, embedding: new Float32Array(6).fill(0.1) }])
    const expected = [...Array.from({ length: 20 }, (_, i) => i).filter((i) => ![3, 4, 15].includes(i)), 3].sort((a, b) => a - b)
    assert.deepEqual(await icebirdIds(`${dir}/default/eq`), expected)
    assert.equal(await t.countRows(), expected.length)
    const hits = await t.search(new Float32Array(6)).limit(100).ef(500).toArray()
    assert.deepEqual(hits.map((h) => Number(h.id)).sort((a, b) => a - b), expected)
    assert.equal(t.history().at(-2)?.operation, 'delete')
    // Our own deletes on top of the engine's keep working.
    await t.delete('id = 0')
    assert.equal(await t.countRows(), expected.length - 1)
  } finally {
    restore()
    await cleanup()
  }
})
