/**
 * Schema changes racing appends. An append laid out for an older schema lands when its files
 * read through the schema that won by field id, and is written again otherwise; no file ever
 * lands under a schema the table does not list. Checked with a stale handle (deterministic),
 * with a schema rolled back over the catalog API (the retry), and with real processes
 * appending while this one changes the schema, every snapshot read back by icebird.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parquetMetadata } from 'hyparquet'
import { icebergRead } from 'icebird'
import { connect, type SchemaChange, type Table } from '../../src/index.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { runNode } from '../helpers/child.js'
import { tempDir } from '../helpers/tmpdir.js'
import { waitFor } from '../helpers/wait.js'

type IcebirdMetadata = NonNullable<Parameters<typeof icebergRead>[0]['metadata']>

const WORKER = fileURLToPath(new URL('./alter-append-worker.js', import.meta.url))

async function create(dir: string, name: string): Promise<Table> {
  const lake = await connect(dir)
  return lake.createTable(`default.${name}`, { vector: { dim: 3, metric: 'euclidean' }, schema: { id: { type: 'long', required: true }, v: 'int', note: 'string' } })
}

async function allRows(t: Table, asOf?: bigint): Promise<Record<string, unknown>[]> {
  let b = t.search([0, 0, 0]).limit(10_000).prune('exact').ef(5_000)
  if (asOf !== undefined) b = b.asOf(asOf)
  return (await b.toArray()).sort((a, b) => Number(a.id) - Number(b.id))
}

/** The Iceberg schema each live data file was written with (the `iceberg.schema` key), read with hyparquet. */
async function fileSchemas(t: Table): Promise<Array<{ path: string; schemaId: number; fields: unknown }>> {
  const out = []
  for (const f of await t.files()) {
    const bytes = await readFile(f.path.replace('file://', ''))
    const md = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
    const json = JSON.parse(md.key_value_metadata?.find((kv) => kv.key === 'iceberg.schema')?.value ?? 'null') as { 'schema-id': number; fields: Array<{ id: number; name: string; type: unknown; required: boolean }> }
    out.push({ path: f.path, schemaId: json['schema-id'], fields: json.fields.map((x) => ({ id: x.id, name: x.name, type: x.type, required: x.required })) })
  }
  return out
}

/** Every file's schema is one of the table's schemas, field for field. */
async function assertKnownSchemas(t: Table, tableDir: string): Promise<void> {
  const meta = JSON.parse((await readFile(`${tableDir}/metadata/v${t.core.loaded.version}.metadata.json`, 'utf8'))) as { schemas: Array<{ 'schema-id': number; fields: Array<{ id: number; name: string; type: unknown; required: boolean }> }> }
  for (const f of await fileSchemas(t)) {
    const known = meta.schemas.find((s) => s['schema-id'] === f.schemaId)
    assert.ok(known !== undefined, `${f.path} was written with schema ${f.schemaId}, which the table does not list`)
    assert.deepEqual(f.fields, known.fields.map((x) => ({ id: x.id, name: x.name, type: x.type, required: x.required })), `${f.path}: its columns are schema ${f.schemaId}'s`)
  }
}

test('an append laid out before a schema change lands after it and reads through the new schema', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const t = await create(dir, 'stale')
    await t.add([{ id: 0n, v: 0, note: 'n0', embedding: [0, 0, 1] }])
    const stale = await (await connect(dir)).openTable('default.stale')
    const staleToo = await (await connect(dir)).openTable('default.stale')
    // Laid out for schema 0, committed after another handle changed the schema twice.
    const w = stale.writer()
    await w.writeBatch([{ id: 1n, v: 1, note: 'n1', embedding: [1, 0, 0] }])
    await t.alterSchema({ rename: { note: 'memo' }, widen: { v: 'long' }, add: { x: 'string' } })
    await t.alterSchema({ drop: ['x'], add: { y: 'double' } })
    const snap = await w.commit()
    // A stale handle's add() checks its rows against the schema it knows and lands too.
    await staleToo.add([{ id: 2n, v: 2, note: 'n2', embedding: [2, 0, 0] }])
    await t.refresh()
    assert.equal(t.core.metadata.snapshots.find((s) => s.snapshotId === snap)?.schemaId, t.schema.schemaId, 'the snapshot records the schema current when it landed')
    const rows = await allRows(t)
    assert.deepEqual(rows.map((r) => [Number(r.id), r.v, r.memo, r.y]), [[0, 0n, 'n0', null], [1, 1n, 'n1', null], [2, 2n, 'n2', null]])
    const ice = (await icebergRead({ tableUrl: `${dir}/default/stale` })).sort((a, b) => Number(a.id) - Number(b.id))
    assert.deepEqual(ice.map((r) => [Number(r.id), Number(r.v), r.memo, r.y ?? null]), [[0, 0, 'n0', null], [1, 1, 'n1', null], [2, 2, 'n2', null]])
    await assertKnownSchemas(t, `${dir}/default/stale`)
  } finally {
    restore()
    await cleanup()
  }
})

test('an append whose files do not read through the schema that won is written again under it', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const t = await create(dir, 'rollback')
    await t.alterSchema({ widen: { v: 'long' } })
    const stale = await (await connect(dir)).openTable('default.rollback')
    assert.equal(stale.schema.fields.find((f) => f.name === 'v')?.type, 'long')
    // Another engine rolls the current schema back to schema 0 (v: int) over the catalog API:
    // files written with v as long cannot be read as int.
    const lake = await connect(dir)
    await lake.iceberg.commitTable({ namespace: ['default'], name: 'rollback' }, { updates: [{ action: 'set-current-schema', 'schema-id': 0 }] })
    await stale.add([{ id: 1n, v: 5, note: 'n1', embedding: [1, 0, 0] }])
    assert.equal(stale.schema.schemaId, 0, 'the retry wrote the rows against the schema that won')
    await t.refresh()
    const files = await fileSchemas(t)
    assert.deepEqual(files.map((f) => f.schemaId), [0], 'the only file landed is laid out for schema 0')
    assert.deepEqual((await allRows(t)).map((r) => [Number(r.id), r.v]), [[1, 5]])
    // A direct commit of such files (no add() to write them again) fails retryably, naming why.
    const ident = { namespace: ['default'], name: 'rollback' }
    await lake.iceberg.commitTable(ident, { updates: [{ action: 'set-current-schema', 'schema-id': 1 }] })
    const w = (await (await connect(dir)).openTable('default.rollback')).writer()
    await w.writeBatch([{ id: 2n, v: 6, note: 'n2', embedding: [1, 0, 0] }])
    await lake.iceberg.commitTable(ident, { updates: [{ action: 'set-current-schema', 'schema-id': 0 }] })
    await assert.rejects(w.commit(), (err: Error & { code?: string; retryable?: boolean; context?: Record<string, unknown> }) => {
      assert.equal(err.code, 'COMMIT_CONFLICT')
      assert.equal(err.retryable, true)
      assert.equal(err.context?.schemaChanged, true)
      assert.match(err.message, /cannot be read through the new schema; write the rows again/)
      return true
    })
    await w.abort()
    await t.refresh()
    assert.equal((await t.files()).length, 1, 'nothing landed')
  } finally {
    await cleanup()
  }
})

test('processes append while this one changes the schema: every acknowledged row lands once, every file under a known schema', { timeout: 240_000 }, async (ctx) => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const t = await create(dir, 'race')
    const tableDir = `${dir}/default/race`
    const workers = [1, 2, 3].map((w) => runNode(WORKER, [dir, 'default.race', String(w), '10']))
    const changes: SchemaChange[] = [
      { add: { x: 'string' } },
      { rename: { note: 'memo' } },
      { widen: { v: 'long' } },
      { add: { y: 'double' }, drop: ['x'] },
      { makeOptional: ['id'] },
      { order: ['memo', 'id'] },
    ]
    // Each change lands while the workers append: after 3, 7, 11... of their 30 commits.
    for (const [i, change] of changes.entries()) {
      await waitFor(async () => { await t.refresh(); return t.core.metadata.snapshots.length >= 3 + 4 * i }, `${3 + 4 * i} appends`, 60_000, 10)
      await t.alterSchema(change)
    }
    const results = await Promise.all(workers)
    const acked: Array<{ id: number; snap: bigint }> = []
    for (const r of results) {
      assert.equal(r.code, 0, r.err)
      for (const line of r.out.trim().split('\n')) {
        const [id, snap] = line.split(' ')
        acked.push({ id: Number(id), snap: BigInt(snap as string) })
      }
    }
    assert.equal(acked.length, 30)
    await t.refresh()
    assert.deepEqual(t.schema.fields.map((f) => f.name), ['memo', 'id', 'v', 'embedding', 'y'])

    const want = acked.flatMap((a) => [a.id * 2, a.id * 2 + 1]).sort((a, b) => a - b)
    const rows = await allRows(t)
    assert.deepEqual(rows.map((r) => Number(r.id)), want, 'every acknowledged row, once')
    for (const r of rows) {
      assert.equal(r.memo, `n${r.id}`, 'the note column keeps its data whichever name the writer used')
      assert.equal(r.v, r.id)
      assert.equal(r.y, null)
    }
    const ice = (await icebergRead({ tableUrl: tableDir })).sort((a, b) => Number(a.id) - Number(b.id))
    assert.deepEqual(ice.map((r) => [Number(r.id), Number(r.v), r.memo]), rows.map((r) => [Number(r.id), Number(r.v), r.memo]))
    await assertKnownSchemas(t, tableDir)

    // Files laid out for a schema older than the one current when they landed (the race this test is for).
    const addedBy = new Map((await t.core.planFiles()).map((f) => [f.dataFile.filePath, f.snapshotId]))
    const schemaOf = new Map(t.core.metadata.snapshots.map((s) => [s.snapshotId, s.schemaId]))
    const older = (await fileSchemas(t)).filter((f) => f.schemaId < (schemaOf.get(addedBy.get(f.path) as bigint) as number)).length
    ctx.diagnostic(`${older} of 30 appends landed on a schema newer than the one their files were laid out for`)
    assert.ok(older > 0, 'some appends raced a schema change')

    // Each snapshot, read through the schema it was written with, by ailake and by icebird.

    for (const s of t.core.metadata.snapshots) {
      const mine = (await allRows(t, s.snapshotId)).map((r) => [Number(r.id), Number(r.v), r.note ?? r.memo])
      const ice = (await icebergRead({ tableUrl: tableDir, metadata: snapshotMetadata(await readFile(`${tableDir}/metadata/v${t.core.loaded.version}.metadata.json`, 'utf8'), s.snapshotId, s.schemaId) }))
        .sort((a, b) => Number(a.id) - Number(b.id)).map((r) => [Number(r.id), Number(r.v), r.note ?? r.memo])
      assert.deepEqual(mine, ice, `snapshot ${s.snapshotId}`)
      assert.equal(mine.length, Number(s.summary['total-records']))
    }
  } finally {
    restore()
    await cleanup()
  }
})

/** The table metadata JSON with `snapshotId` current and its schema current: a time-travel read for icebird. */
function snapshotMetadata(text: string, snapshotId: bigint, schemaId: number): IcebirdMetadata {
  // icebird parses ids as doubles; this id is rounded the same way as the snapshot's own.
  const withId = text.replace(/"current-snapshot-id"\s*:\s*\d+/, `"current-snapshot-id": ${snapshotId}`).replace(/"current-schema-id"\s*:\s*\d+/, `"current-schema-id": ${schemaId}`)
  return JSON.parse(withId) as IcebirdMetadata
}
