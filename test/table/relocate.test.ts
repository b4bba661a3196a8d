// Relocatable warehouses: a copied warehouse (or table) opens where it is, reads only its own
// files, and `relocate()` rewrites its metadata so an independent engine (icebird) reads the
// copy after the original is gone.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { icebergRead } from 'icebird'
import { connect, isAilakeError } from '../../src/index.js'
import { IcebergTable } from '../../src/table/iceberg-table.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { tempDir } from '../helpers/tmpdir.js'

const rowsOf = (ids: number[]): { id: bigint; title: string; embedding: number[] }[] =>
  ids.map((i) => ({ id: BigInt(i), title: `t${i}`, embedding: [Math.cos(i), Math.sin(i), 0.5] }))

/** A warehouse with table default.docs: two appends (ids 0..5 and 6..9). */
async function warehouse(dir: string): Promise<void> {
  const lake = await connect(dir)
  const t = await lake.createTable('docs', { vector: { dim: 3, metric: 'euclidean' } })
  await t.add(rowsOf([0, 1, 2, 3, 4, 5]))
  await t.add(rowsOf([6, 7, 8, 9]))
  await lake.close()
}

async function ids(dir: string, name = 'docs'): Promise<number[]> {
  const lake = await connect(dir)
  try {
    const t = await lake.openTable(name)
    const hits = await t.search([1, 0, 0.5]).limit(100).toArray()
    return hits.map((h) => Number(h.id)).sort((a, b) => a - b)
  } finally {
    await lake.close()
  }
}

test('a copied warehouse opens, searches and takes writes where it is; the original is untouched', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const a = join(dir, 'a')
    const b = join(dir, 'b')
    await warehouse(a)
    cpSync(a, b, { recursive: true })
    // The nearest row to [1, 0, 0.5] is id 0 (cos 0 = 1, sin 0 = 0): an oracle by construction.
    const lake = await connect(b)
    const t = await lake.openTable('docs')
    assert.equal(t.moved, true)
    const [best] = await t.search([1, 0, 0.5]).limit(1).toArray()
    assert.equal(best?.id, 0n)
    await t.add(rowsOf([10, 11]))
    const mem = t.memTableWriter({ writerId: 'w' })
    await mem.insert(rowsOf([12]))
    await mem.close()
    await t.waitForIndexes()
    await lake.close()
    assert.deepEqual(await ids(b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    assert.deepEqual(await ids(a), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'writes to the copy never reach the original')
    // The copy's new files are in the copy's folder.
    assert.equal(readdirSync(join(b, 'default/docs/data')).length > readdirSync(join(a, 'default/docs/data')).length, true)
  } finally {
    await cleanup()
  }
})

test('a table copied inside its warehouse reads its own files, not the original ones', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    await warehouse(dir)
    cpSync(join(dir, 'default/docs'), join(dir, 'default/docs2'), { recursive: true })
    // Damage the original: if the copy read through the recorded (original) locations it would fail.
    for (const f of readdirSync(join(dir, 'default/docs/data'))) rmSync(join(dir, 'default/docs/data', f))
    assert.deepEqual(await ids(dir, 'docs2'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const lake = await connect(dir)
    const orig = await lake.openTable('docs')
    await assert.rejects(orig.search([1, 0, 0.5]).toArray(), (e) => isAilakeError(e, 'NOT_FOUND') && /data file .*docs\/data\/.* is missing/.test(e.message))
    // Both copies share a table uuid and snapshot ids: one lakehouse's caches must keep them apart.
    const copy = await lake.openTable('docs2')
    assert.equal((await copy.search([1, 0, 0.5]).limit(100).toArray()).length, 10)
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('relocate() rewrites the locations: icebird reads the copy once the original is gone', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const a = join(dir, 'a')
    const b = join(dir, 'b')
    await warehouse(a)
    cpSync(a, b, { recursive: true })
    rmSync(a, { recursive: true })
    const tableUrl = join(b, 'default/docs')
    await assert.rejects(icebergRead({ tableUrl }), 'before relocation icebird follows the old locations')
    const lake = await connect(b)
    const t = await lake.openTable('docs')
    const before = t.history().map((s) => s.snapshotId)
    const r = await t.relocate()
    assert.equal(r.relocated, true)
    assert.equal(r.from, `file://${a}/default/docs`)
    assert.equal(r.to, `file://${b}/default/docs`)
    assert.equal(r.manifestLists, 2)
    assert.equal(t.moved, false)
    assert.equal((await t.relocate()).relocated, false, 'a second relocate has nothing to do')
    assert.deepEqual(t.history().map((s) => s.snapshotId), before, 'snapshots and time travel survive')
    assert.ok((await t.files()).every((f) => f.path.startsWith(`file://${b}/`)))
    assert.equal((await t.search([1, 0, 0.5]).asOf(before[0] as bigint).limit(100).toArray()).length, 6)
    await lake.close()

    const rows = await icebergRead({ tableUrl })
    assert.deepEqual(rows.map((x) => Number(x.id)).sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.deepEqual(await ids(b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  } finally {
    restore()
    await cleanup()
  }
})

test('a write in flight when another handle relocates the table is retried under the new location', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const a = join(dir, 'a')
    const b = join(dir, 'b')
    await warehouse(a)
    cpSync(a, b, { recursive: true })
    const lake = await connect(b)
    const stale = await lake.openTable('docs')
    const other = await lake.openTable('docs')
    await other.relocate()
    // `stale` still holds the old location: its files are laid out there, its commit must not land.
    await stale.add(rowsOf([20]))
    assert.equal(stale.moved, false)
    await other.refresh()
    assert.ok((await other.files()).every((f) => f.path.startsWith(`file://${b}/`)), 'every recorded location is the new one')
    assert.equal(await other.countRows(), 11)
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('locations as Java engines write them (file:/x) resolve like file:///x', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    await warehouse(dir)
    const lake = await connect(dir)
    const t = await lake.openTable('docs')
    const core = t.core as IcebergTable
    assert.equal(core.keyOf(`file:${dir}/default/docs/data/x.parquet`), 'default/docs/data/x.parquet')
    assert.equal(core.keyOf(`file://${dir}/default/docs/data/x.parquet`), 'default/docs/data/x.parquet')
    assert.throws(() => core.keyOf('file:///elsewhere/x.parquet'), (e) => isAilakeError(e, 'INVALID_ARGUMENT') && /outside the warehouse/.test(e.message))
    await lake.close()
  } finally {
    await cleanup()
  }
})
