/**
 * LanceDB side of the benchmarks that compare against it in the same run (bench/changes.ts,
 * bench/optimize.ts, bench/ingest.ts, bench/lake.ts, bench/codes.ts): Arrow batches in LanceDB's column naming, the
 * IVF_HNSW_SQ index every comparison uses (M 16, efConstruction 200, as bench/search.ts), a
 * query runner, and a table written batch by batch (one commit per `add`).
 */
import { createRequire } from 'node:module'
import * as arrow from 'apache-arrow'
import type { Metric } from '../src/vector/types.js'

export type Lance = typeof import('@lancedb/lancedb')
export type LanceDb = Awaited<ReturnType<Lance['connect']>>
export type LanceTable = Awaited<ReturnType<LanceDb['openTable']>>

/** A benchmark row as ailake ingests it; `word` only for data sets that have one (GloVe). */
export type BenchRow = { id: number; word?: string; embedding: Float32Array }

export function lanceSchema(dim: number, withWord: boolean, a: typeof arrow = arrow): arrow.Schema {
  return new a.Schema([
    new a.Field('id', new a.Int32(), false),
    ...(withWord ? [new a.Field('word', new a.Utf8(), false)] : []),
    new a.Field('vector', new a.FixedSizeList(dim, new a.Field('item', new a.Float32(), true)), false),
  ])
}

/** The same rows as an Arrow table in LanceDB's column naming (vector column `vector`). */
export function lanceBatch(lancedb: Lance, rows: readonly BenchRow[], dim: number): arrow.Table {
  const withWord = rows[0]?.word !== undefined
  return lancedb.makeArrowTable(rows.map((r) => withWord ? { id: r.id, word: r.word, vector: Array.from(r.embedding) } : { id: r.id, vector: Array.from(r.embedding) }), { schema: lanceSchema(dim, withWord) }) as unknown as arrow.Table
}

/**
 * Rows `firstId ..` of flat row-major vectors as an Arrow table in LanceDB's naming (`id`,
 * `vector`), sharing `flat` rather than copying it through per-row JS arrays (a 60k x 784 set
 * would otherwise take ~47M boxed numbers).
 */
export function lanceVectors(flat: Float32Array, dim: number, firstId = 0): arrow.Table {
  const a = lanceArrow()
  const n = flat.length / dim
  const schema = lanceSchema(dim, false, a)
  const [idField, vectorField] = schema.fields as [arrow.Field<arrow.Int32>, arrow.Field<arrow.FixedSizeList<arrow.Float32>>]
  const ids = a.makeData({ type: idField.type, length: n, data: Int32Array.from({ length: n }, (_, i) => firstId + i) })
  const values = a.makeData({ type: new a.Float32(), length: n * dim, data: flat })
  const vectors = a.makeData({ type: vectorField.type, length: n, child: values })
  const struct = a.makeData({ type: new a.Struct(schema.fields), length: n, children: [ids, vectors] })
  return new a.Table(schema, [new a.RecordBatch(schema, struct)])
}

/**
 * The apache-arrow instance LanceDB uses: it require()s the CommonJS build, whose classes are not
 * the ESM ones this module imports, and its `instanceof` checks reject tables built from those.
 */
function lanceArrow(): typeof arrow {
  return createRequire(import.meta.url)('apache-arrow') as typeof arrow
}

/** LanceDB's name for an ailake metric. */
export function lanceDistance(metric: Metric): 'cosine' | 'l2' | 'dot' {
  return metric === 'cosine' ? 'cosine' : metric === 'euclidean' ? 'l2' : 'dot'
}

/** Builds the IVF_HNSW_SQ index of the comparisons; returns its seconds. */
export async function buildLanceIndex(lancedb: Lance, table: LanceTable, metric: Metric): Promise<number> {
  const t0 = performance.now()
  await table.createIndex('vector', { config: lancedb.Index.hnswSq({ distanceType: lanceDistance(metric), m: 16, efConstruction: 200 }) })
  return (performance.now() - t0) / 1000
}

/** Creates table `name` from the first batch and `add`s the others, one commit each. */
export async function lanceAppend(db: LanceDb, name: string, batches: readonly arrow.Table[]): Promise<LanceTable> {
  const [first, ...rest] = batches
  if (first === undefined) throw new Error('no rows')
  const table = await db.createTable(name, first, { mode: 'overwrite' })
  for (const b of rest) await table.add(b)
  return table
}

/** The ids of the k nearest rows to `query` at beam `ef`. */
export async function lanceSearch(table: LanceTable, query: Float32Array, metric: Metric, k: number, ef: number): Promise<number[]> {
  const rows = await table.vectorSearch(query).distanceType(lanceDistance(metric)).ef(ef).limit(k).select(['id']).toArray() as { id: number }[]
  return rows.map((r) => r.id)
}
