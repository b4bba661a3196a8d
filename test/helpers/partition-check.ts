/**
 * The partitioned-table writer check: writes through every writer, then compares icebird, DuckDB
 * and ailake, and every row's partition (by the reference transforms) with its file's tuple.
 */
import assert from 'node:assert/strict'
import { DuckDBInstance } from '@duckdb/node-api'
import { readFile } from 'node:fs/promises'
import { avroMetadata, avroRead, icebergManifests, icebergMetadata, icebergRead } from 'icebird'
import { connect, type Table } from '../../src/index.js'
import type { PrimitiveType } from '../../src/format/schema.js'
import { installIcebirdFetch } from './icebird-fetch.js'
import { reference } from './partition-reference.js'
import { DIM, makeRows, SCHEMA, TYPES, type Row } from './partition-rows.js'
import { tempDir } from './tmpdir.js'

/** Comparable form of a value (Dates by time, bigints as text). */
function norm(v: unknown): unknown {
  if (v instanceof Date) return `D${v.getTime()}`
  if (typeof v === 'bigint') return `L${v}`
  return v ?? null
}

/** Writes through every writer; returns the live rows the table must hold, by id. */
async function writeEverything(t: Table, seed: number): Promise<Map<bigint, Row>> {
  const live = new Map<bigint, Row>()
  const put = (rows: Row[]): void => { for (const r of rows) live.set(r.id, r) }
  const a = makeRows(seed, 0, 50)
  await t.add(a.slice(0, 30))
  await t.add(a.slice(30), { buildIndex: false })
  put(a)
  const w = t.memTableWriter({ writerId: 'w1', flushMaxRows: 10 })
  const streamed = makeRows(seed + 1, 1000, 16)
  await w.insert(streamed)
  await w.close()
  put(streamed)
  // update moves rows across partitions of every spec (tenant, ts, n change).
  const moved = new Date(Date.UTC(2024, 1, 15, 7))
  await t.update('n < -80', { tenant: 't0', ts: moved, n: 55 })
  for (const r of live.values()) if (r.n < -80) live.set(r.id, { ...r, tenant: 't0', ts: moved, n: 55 })
  const up = makeRows(seed + 2, 40, 16) // ids 40..55: 10 replace, 6 new
  await t.upsert(up, { on: 'id' })
  put(up)
  await t.delete('id >= 10 AND id < 20')
  for (let i = 10n; i < 20n; i++) live.delete(i)
  await t.waitForIndexes()
  return live
}

async function duckRows(con: Awaited<ReturnType<Awaited<ReturnType<typeof DuckDBInstance.create>>['connect']>>, path: string): Promise<Array<Record<string, unknown>>> {
  const res = await con.runAndReadAll(`SELECT id, tenant, epoch_ms(ts) AS ts, epoch_ms(d::TIMESTAMP) AS d, n, name, file_row_number AS pos
    FROM read_parquet('${path}', file_row_number = true) ORDER BY pos`)
  return res.getRows().map(([id, tenant, ts, d, n, name, pos]) => ({ id, tenant, ts: new Date(Number(ts)), d: new Date(Number(d)), n, name, pos: Number(pos) }))
}

/** icebird's view of the current snapshot: live data files with their tuples, and deleted positions by data file. */
async function manifestsOf(tableUrl: string): Promise<{ data: Array<{ path: string; partition: Record<string, unknown> }>; deletes: string[] }> {
  const meta = await icebergMetadata({ tableUrl } as never)
  const lists = await icebergManifests(meta as never)
  const data: Array<{ path: string; partition: Record<string, unknown> }> = []
  const deletes: string[] = []
  for (const m of lists) {
    for (const e of m.entries as Array<{ status: number; data_file: { content: number; file_path: string; partition: Record<string, unknown> } }>) {
      if (e.status === 2) continue
      if (e.data_file.content === 0) data.push({ path: e.data_file.file_path, partition: e.data_file.partition })
      else deletes.push(e.data_file.file_path)
    }
  }
  return { data, deletes }
}

/** A partition summary bound decoded by hand (Appendix D): UTF-8 strings, 4-byte LE ints and dates (days). */
function boundValue(type: 'string' | 'int' | 'date', b: Uint8Array): unknown {
  if (type === 'string') return new TextDecoder().decode(b)
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength).getInt32(0, true)
  return type === 'date' ? new Date(v * 86_400_000) : v
}

function order(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const x = new TextEncoder().encode(a)
    const y = new TextEncoder().encode(b)
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number)
    return x.length - y.length
  }
  const n = (v: unknown): number => (v instanceof Date ? v.getTime() : Number(v))
  return n(a) - n(b)
}

/**
 * The manifest list's partition summaries, read with icebird's Avro decoder: per manifest and
 * partition field, no null, and [lower, upper] is exactly the range of its entries' values.
 */
async function checkSummaries(tableUrl: string, when: string): Promise<number> {
  const meta = await icebergMetadata({ tableUrl } as never) as unknown as { 'current-snapshot-id': bigint; snapshots: Array<{ 'snapshot-id': bigint; 'manifest-list': string }>; 'partition-specs': Array<{ 'spec-id': number; fields: Array<{ name: string; transform: string; 'source-id': number }> }>; schemas: Array<{ fields: Array<{ id: number; name: string }> }> }
  const snap = meta.snapshots.find((s) => s['snapshot-id'] === meta['current-snapshot-id'])
  const bytes = await readFile(local(snap?.['manifest-list'] as string))
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 }
  const { metadata, syncMarker } = await avroMetadata(reader)
  const list = await avroRead({ reader, metadata, syncMarker }) as Array<{ manifest_path: string; partition_spec_id: number; partitions: Array<{ contains_null: boolean; lower_bound?: Uint8Array; upper_bound?: Uint8Array }> | null }>
  const entries = new Map((await icebergManifests(meta as never)).map((m) => [m.url, m.entries as Array<{ data_file: { partition: Record<string, unknown> } }>]))
  let checked = 0
  for (const m of list) {
    const spec = meta['partition-specs'].find((s) => s['spec-id'] === m.partition_spec_id)
    assert.ok(spec !== undefined && m.partitions !== null && m.partitions.length === spec.fields.length, `${when}: ${m.manifest_path} has a summary per partition field`)
    spec.fields.forEach((pf, i) => {
      const source = TYPES[meta.schemas.flatMap((x) => x.fields).find((f) => f.id === pf['source-id'])?.name as string] as PrimitiveType
      const type = pf.transform === 'identity' || pf.transform.startsWith('truncate') ? source : pf.transform === 'day' ? 'date' : 'int'
      const sum = m.partitions?.[i]
      const values = (entries.get(m.manifest_path) ?? []).map((e) => e.data_file.partition[pf.name])
      assert.ok(sum !== undefined && sum.contains_null === false, `${when}: no null ${pf.name}`)
      assert.ok(type === 'string' || type === 'int' || type === 'date', `a ${type} partition field`)
      const lo = boundValue(type, sum.lower_bound as Uint8Array)
      const hi = boundValue(type, sum.upper_bound as Uint8Array)
      const sorted = [...values].sort(order)
      assert.deepEqual([norm(lo), norm(hi)], [norm(sorted[0]), norm(sorted[sorted.length - 1])], `${when}: ${m.manifest_path} ${pf.name} summary is the range of its entries`)
      checked++
    })
  }
  return checked
}

const local = (p: string): string => p.replace(/^file:\/\//, '')

/** Runs the check on a table partitioned by `partitionBy`, its rows drawn with `seed`. */
export async function checkPartitionedWriters(partitionBy: string[], seed: number): Promise<void> {
    const { dir, cleanup } = await tempDir()
    const restore = installIcebirdFetch()
    const db = await DuckDBInstance.create(':memory:')
    const con = await db.connect()
    try {
      const lake = await connect(dir)
      const t = await lake.createTable('default.p', { vector: { dim: DIM, metric: 'euclidean' }, schema: SCHEMA, partitionBy })
      const expected = await writeEverything(t, seed)
      const check = async (when: string): Promise<void> => {
        const tableUrl = `${dir}/default/p`
        const want = [...expected.values()].map((r) => [String(r.id), r.tenant, r.ts.getTime(), r.d.getTime(), r.n, r.name]).sort()
        const fromIcebird = (await icebergRead({ tableUrl })).map((r) => [String(r.id), r.tenant, (r.ts as Date).getTime(), (r.d as Date).getTime(), r.n, r.name]).sort()
        assert.deepEqual(fromIcebird, want, `${when}: icebird reads the live rows`)
        const fromAilake: unknown[][] = []
        for await (const r of t.scan()) fromAilake.push([String(r.id), r.tenant, (r.ts as Date).getTime(), (r.d as Date).getTime(), r.n, r.name])
        assert.deepEqual(fromAilake.sort(), want, `${when}: ailake scans the live rows`)

        const meta = t.core.metadata
        const spec = meta.partitionSpecs.find((s) => s.specId === meta.defaultSpecId)
        assert.ok(spec !== undefined && spec.fields.length === partitionBy.length, 'the spec is in the metadata')
        assert.ok(await checkSummaries(tableUrl, when) > 0, `${when}: summaries checked`)
        const { data, deletes } = await manifestsOf(tableUrl)
        const gone = new Set<string>()
        for (const p of deletes) {
          const res = await con.runAndReadAll(`SELECT file_path, pos FROM read_parquet('${local(p)}')`)
          for (const [fp, pos] of res.getRows()) gone.add(`${local(String(fp))}#${Number(pos)}`)
        }
        const viaDuck: unknown[][] = []
        for (const f of data) {
          const rows = await duckRows(con, local(f.path))
          assert.ok(rows.length > 0, `${when}: ${f.path} holds rows`)
          for (const row of rows) {
            for (const pf of spec.fields) {
              const source = meta.schemas.flatMap((s) => s.fields).find((x) => x.id === pf.sourceId)?.name as string
              const want = reference(pf.transform, TYPES[source] as PrimitiveType, row[source] ?? null)
              assert.deepEqual(norm(f.partition[pf.name]), norm(want), `${when}: row ${String(row.id)} of ${f.path}: ${pf.transform}(${source}) is ${String(norm(want))}, the file's tuple says ${String(norm(f.partition[pf.name]))}`)
            }
            if (!gone.has(`${local(f.path)}#${row.pos as number}`)) viaDuck.push([String(row.id), row.tenant, (row.ts as Date).getTime(), (row.d as Date).getTime(), row.n, row.name])
          }
        }
        assert.deepEqual(viaDuck.sort(), want, `${when}: DuckDB reads the live rows from the files the manifests list`)
      }
      await check('after the writes')
      await t.optimize({ targetRowsPerFile: 40, expireOlderThan: false, orphansOlderThan: false })
      await check('after optimize')
      await lake.close()
    } finally {
      con.closeSync()
      restore()
      await cleanup()
    }
  }
