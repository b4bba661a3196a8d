/**
 * Property test of row changes under concurrency: seeded runs of random add / delete / update /
 * upsert / index-build operations, several at a time from separate handles (separate caches and
 * metadata, as separate processes would have), on one table. Afterwards every snapshot is read
 * with icebird, an independent Iceberg reader, and each snapshot's change from its parent is
 * checked against the operation that made it:
 * - append: the parent plus exactly the rows added;
 * - replace (index build): the parent unchanged;
 * - delete: the parent minus rows with ids the operation named (as many as it reported);
 * - overwrite by update: every row with a named id present in the parent now holds the new value
 *   (updates conflict with concurrent changes to the same rows, so none is missed), nothing else changes;
 * - overwrite by upsert: the parent without the named keys, plus the upserted rows.
 * In every snapshot ids are unique (a lost delete or a doubled version would repeat one), and
 * ailake's own count and search agree with icebird.
 *
 * AILAKE_CHANGES_SEEDS (default 4) runs, from AILAKE_CHANGES_SEED (default 1).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { icebergRead } from 'icebird'
import { connect, type Table } from '../../src/index.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { rng, tempDir } from '../helpers/tmpdir.js'

const SEEDS = Number(process.env.AILAKE_CHANGES_SEEDS ?? 4)
const FIRST = Number(process.env.AILAKE_CHANGES_SEED ?? 1)

type Op =
  | { kind: 'add'; ids: number[]; deferred: boolean }
  | { kind: 'delete'; ids: number[] }
  | { kind: 'update'; ids: number[]; v: number }
  | { kind: 'upsert'; ids: number[]; v: number }
  | { kind: 'build' }

interface Done { op: Op; snapshotId: bigint | null; count: number }

type Rows = Map<number, number>

async function snapshotRows(url: string, file: string): Promise<Array<{ id: number; v: number }>> {
  return (await icebergRead({ tableUrl: url, metadataFileName: file })).map((r) => ({ id: Number(r.id), v: Number(r.v) }))
}

async function run(seed: number): Promise<number> {
  const random = rng(seed)
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    await lake.createTable('default.p', { vector: { dim: 4, metric: 'euclidean' }, schema: { id: { type: 'long', required: true }, v: { type: 'int', required: true } } })
    const handles: Table[] = []
    for (let h = 0; h < 3; h++) handles.push(await (await connect(dir)).openTable('default.p'))
    let nextId = 0
    const known: number[] = []
    const pick = (n: number): number[] => Array.from({ length: n }, () => known[Math.floor(random() * known.length)] as number).filter((x, i, a) => a.indexOf(x) === i)
    const row = (id: number, v: number): Record<string, unknown> => ({ id: BigInt(id), v, embedding: [id % 7, v % 5, 1, -1] })
    const done: Done[] = []
    for (let wave = 0; wave < 7; wave++) {
      const ops: Op[] = []
      // Ids a plain add of this wave brings are not named by its other operations: an upsert
      // racing a plain add of the same new id would legitimately insert it twice.
      const fresh: number[] = []
      for (let j = 0; j < 3; j++) {
        const r = random()
        if (known.length < 6 || r < 0.3) {
          const ids = Array.from({ length: 3 + Math.floor(random() * 6) }, () => nextId++)
          fresh.push(...ids)
          ops.push({ kind: 'add', ids, deferred: random() < 0.4 })
        } else if (r < 0.5) ops.push({ kind: 'delete', ids: pick(3) })
        else if (r < 0.7) ops.push({ kind: 'update', ids: pick(3), v: 100 + Math.floor(random() * 100) })
        else if (r < 0.9) {
          const ids = [...pick(2), nextId++]
          known.push(ids.at(-1) as number)
          ops.push({ kind: 'upsert', ids, v: 200 + Math.floor(random() * 100) })
        } else ops.push({ kind: 'build' })
      }
      known.push(...fresh)
      await Promise.all(ops.map(async (op, j) => {
        const t = handles[j] as Table
        switch (op.kind) {
          case 'add': done.push({ op, count: op.ids.length, snapshotId: await t.add(op.ids.map((id) => row(id, 0)), { buildIndex: !op.deferred }) }); break
          case 'delete': { const r = await t.delete({ column: 'id', op: 'in', values: op.ids.map(BigInt) }); done.push({ op, count: r.deleted, snapshotId: r.snapshotId }); break }
          case 'update': { const r = await t.update({ column: 'id', op: 'in', values: op.ids.map(BigInt) }, { v: op.v }); done.push({ op, count: r.updated, snapshotId: r.snapshotId }); break }
          case 'upsert': { const r = await t.upsert(op.ids.map((id) => row(id, op.v)), { on: 'id' }); done.push({ op, count: r.updated, snapshotId: r.snapshotId }); break }
          case 'build': await t.waitForIndexes(); done.push({ op, count: 0, snapshotId: null }); break
        }
      }))
    }
    for (const t of handles) await t.waitForIndexes()

    // Replay the history against the operations.
    const t = handles[0] as Table
    await t.refresh()
    const history = t.history()
    const byId = new Map(done.filter((d) => d.snapshotId !== null).map((d) => [d.snapshotId as bigint, d]))
    const url = `${dir}/default/p`
    // metadata v1 is the empty table; snapshot i is in v(i + 2).
    let parent: Rows = new Map()
    for (let i = 0; i < history.length; i++) {
      const h = history[i] as (typeof history)[number]
      const rows = await snapshotRows(url, `v${i + 2}.metadata.json`)
      const where = `seed ${seed}, snapshot ${i} (${h.operation})`
      if (process.env.DEBUG_CHANGES !== undefined) console.log(where, JSON.stringify(byId.get(h.snapshotId)?.op), rows.map((r) => `${r.id}:${r.v}`).sort().join(" "))
      const now: Rows = new Map()
      for (const r of rows) {
        assert.ok(!now.has(r.id), `${where}: id ${r.id} appears twice`)
        now.set(r.id, r.v)
      }
      const d = byId.get(h.snapshotId)
      if (h.operation === 'replace') {
        assert.deepEqual(now, parent, `${where}: an index build changes no row`)
      } else if (d === undefined) {
        assert.fail(`${where}: no operation made snapshot ${h.snapshotId}`)
      } else if (d.op.kind === 'add') {
        assert.deepEqual(now, new Map([...parent, ...d.op.ids.map((id) => [id, 0] as [number, number])]), `${where}: append`)
      } else if (d.op.kind === 'delete') {
        const named = new Set(d.op.ids)
        const gone = [...parent.keys()].filter((id) => !now.has(id))
        assert.ok(gone.every((id) => named.has(id)), `${where}: deleted only named ids`)
        assert.equal(gone.length, d.count, `${where}: deleted as many as reported`)
        for (const [id, v] of now) assert.equal(v, parent.get(id), `${where}: row ${id} unchanged`)
      } else if (d.op.kind === 'update') {
        const expected = new Map(parent)
        for (const id of d.op.ids) if (parent.has(id)) expected.set(id, d.op.v)
        assert.deepEqual(now, expected, `${where}: update of ${d.op.ids.join(',')}`)
      } else if (d.op.kind === 'upsert') {
        const expected = new Map(parent)
        for (const id of d.op.ids) expected.set(id, d.op.v)
        assert.deepEqual(now, expected, `${where}: upsert of ${d.op.ids.join(',')}`)
      }
      // ailake's own reading of this snapshot agrees.
      assert.equal(await t.countRows(h.snapshotId), now.size, `${where}: countRows`)
      const hits = await t.search([0, 0, 1, -1]).asOf(h.snapshotId).limit(1000).ef(2000).toArray()
      assert.deepEqual(hits.map((x) => Number(x.id)).sort((a, b) => a - b), [...now.keys()].sort((a, b) => a - b), `${where}: search sees the live rows`)
      parent = now
    }
    // Every operation that reported a snapshot is in the history.
    for (const d of done) if (d.snapshotId !== null) assert.ok(history.some((h) => h.snapshotId === d.snapshotId), `seed ${seed}: ${d.op.kind} snapshot ${d.snapshotId} is in the history`)
    await lake.close()
    for (const h of handles) await h.close()
    return history.length
  } finally {
    await cleanup()
  }
}

test(`random concurrent add / delete / update / upsert / index builds match the model at every snapshot (${SEEDS} seeds)`, async (t) => {
  const restore = installIcebirdFetch()
  try {
    let snapshots = 0
    for (let seed = FIRST; seed < FIRST + SEEDS; seed++) snapshots += await run(seed)
    t.diagnostic(`${snapshots} snapshots checked`)
    assert.ok(snapshots > SEEDS * 10)
  } finally {
    restore()
  }
})
