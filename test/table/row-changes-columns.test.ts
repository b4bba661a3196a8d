/**
 * Deletes and upserts by large id sets: the rows they change are found on decoded columns (no
 * object per row), so they are checked here against an independent model of the table and
 * against DuckDB's read of the files (position deletes anti-joined on file_row_number).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { DuckDBInstance } from '@duckdb/node-api'
import { connect, type Table } from '../../src/index.js'
import { rng, tempDir } from '../helpers/tmpdir.js'

const FILES = 6
const PER_FILE = 4000
const TOTAL = FILES * PER_FILE

/** Live ids by DuckDB: every data file of the table minus the positions its delete files name. */
async function duckLiveIds(dir: string, name: string, t: Table): Promise<number[]> {
  const files = (await t.files()).map((f) => f.path.replace('file://', ''))
  const deletes = readdirSync(`${dir}/default/${name}/data`).filter((n) => n.endsWith('-deletes.parquet')).map((n) => `${dir}/default/${name}/data/${n}`)
  const list = (xs: string[]): string => `[${xs.map((x) => `'${x}'`).join(', ')}]`
  const sql = deletes.length === 0
    ? `SELECT id FROM read_parquet(${list(files)}) ORDER BY id`
    : `SELECT d.id FROM read_parquet(${list(files)}, filename = true, file_row_number = true) d
       ANTI JOIN read_parquet(${list(deletes)}) del ON replace(del.file_path, 'file://', '') = d.filename AND del.pos = d.file_row_number
       ORDER BY d.id`
  const db = await DuckDBInstance.create(':memory:')
  const con = await db.connect()
  try {
    return (await con.runAndReadAll(sql)).getRows().map(([id]) => Number(id))
  } finally {
    con.closeSync()
  }
}

/** `n` distinct seeded ids from [0, range). */
function pickIds(n: number, range: number, seed: number): number[] {
  const r = rng(seed)
  const ids = new Set<number>()
  while (ids.size < n) ids.add(Math.floor(r() * range))
  return [...ids]
}

for (const idType of ['long', 'int'] as const) {
  test(`a delete of 10,000 ids (a Set mixing number and bigint literals, ${idType} ids) over ${FILES} files deletes exactly those live rows, in one snapshot`, async () => {
    const { dir, cleanup } = await tempDir()
    try {
      const lake = await connect(dir)
      const t = await lake.createTable('default.ids', { vector: { dim: 2, metric: 'euclidean' }, schema: { id: idType, tag: 'string' } })
      // Rows of one file are not in id order, so every file's id range spans the whole table:
      // statistics cannot prune and every row is evaluated.
      const order = pickIds(TOTAL, TOTAL, 5)
      for (let f = 0; f < FILES; f++) {
        const ids = order.slice(f * PER_FILE, (f + 1) * PER_FILE)
        await t.add(ids.map((id) => ({ id: idType === 'long' ? BigInt(id) : id, tag: id % 7 === 0 ? null : `t${id % 5}`, embedding: [id % 13, id % 17] })), { buildIndex: false })
      }
      // Index builds rewrite files (carrying their deletes): let them land before reading the folder.
      await t.waitForIndexes()
      const live = new Set(Array.from({ length: TOTAL }, (_, i) => i))
      // Rows deleted before: deleting them again must neither count nor write them.
      const earlier = pickIds(500, TOTAL, 6)
      assert.equal((await t.delete({ column: 'id', op: 'in', values: earlier })).deleted, 500)
      for (const id of earlier) live.delete(id)
      // 10,000 ids: some deleted already, some beyond the table, as numbers and as bigints.
      const ids = [...pickIds(9_800, TOTAL, 7), ...pickIds(200, 1000, 8).map((i) => TOTAL + i)]
      const values = new Set<number | bigint>(ids.map((id, i) => (i % 2 === 0 ? BigInt(id) : id)))
      const expected = ids.filter((id) => live.has(id))
      const before = t.history().length
      const r = await t.delete({ column: 'id', op: 'in', values })
      assert.equal(r.deleted, expected.length, 'rows deleted')
      assert.equal(t.history().length, before + 1, 'one snapshot')
      for (const id of ids) live.delete(id)
      const want = [...live].sort((a, b) => a - b)
      assert.deepEqual(await duckLiveIds(dir, 'ids', t), want, 'DuckDB reads the model\'s live rows')
      // A compound filter on decoded columns: the null tags match neither branch of the OR.
      const r2 = await t.delete("(tag = 't1' OR tag IN ('t2', 't3')) AND id < 3000")
      const gone = want.filter((id) => id < 3000 && id % 7 !== 0 && [1, 2, 3].includes(id % 5))
      assert.equal(r2.deleted, gone.length)
      for (const id of gone) live.delete(id)
      assert.deepEqual(await duckLiveIds(dir, 'ids', t), [...live].sort((a, b) => a - b))
      await lake.close()
    } finally {
      await cleanup()
    }
  })
}

test('an upsert of 5,000 rows (4,000 existing keys, some deleted before, 1,000 new) is one snapshot and leaves one row per key', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('default.up', { vector: { dim: 2, metric: 'euclidean' }, schema: { id: 'long', tag: 'string' } })
    const order = pickIds(TOTAL, TOTAL, 9)
    for (let f = 0; f < FILES; f++) {
      await t.add(order.slice(f * PER_FILE, (f + 1) * PER_FILE).map((id) => ({ id: BigInt(id), tag: 'old', embedding: [id % 13, id % 17] })), { buildIndex: false })
    }
    await t.waitForIndexes()
    const deleted = pickIds(300, TOTAL, 10)
    await t.delete({ column: 'id', op: 'in', values: new Set(deleted.map(BigInt)) })
    const existing = pickIds(4_000, TOTAL, 11)
    const keys = [...existing, ...Array.from({ length: 1000 }, (_, i) => TOTAL + i)]
    const dead = new Set(deleted)
    const matched = existing.filter((id) => !dead.has(id)).length
    const before = t.history().length
    const r = await t.upsert(keys.map((id) => ({ id: BigInt(id), tag: 'new', embedding: [0, 0] })), { on: 'id', buildIndex: false })
    assert.deepEqual([r.updated, r.inserted], [matched, keys.length - matched])
    assert.equal(t.history().length, before + 1, 'one snapshot')
    await t.waitForIndexes()
    const live = new Set(Array.from({ length: TOTAL }, (_, i) => i))
    for (const id of deleted) live.delete(id)
    for (const id of keys) live.add(id)
    assert.deepEqual(await duckLiveIds(dir, 'up', t), [...live].sort((a, b) => a - b), 'one live row per key')
    await lake.close()
  } finally {
    await cleanup()
  }
})
