/**
 * LanceDB side of the benchmarks that compare against it in the same run (bench/changes.ts,
 * bench/optimize.ts, bench/ingest.ts): Arrow batches in LanceDB's column naming, the
 * IVF_HNSW_SQ index every comparison uses (M 16, efConstruction 200, as bench/search.ts), a
 * query runner, and a table written batch by batch (one commit per `add`).
 */
import * as arrow from 'apache-arrow'
import type { Metric } from '../src/vector/types.js'

export type Lance = typeof import('@lancedb/lancedb')
export type LanceDb = Awaited<ReturnType<Lance['connect']>>
export type LanceTable = Awaited<ReturnType<LanceDb['openTable']>>

/** A benchmark row as ailake ingests it; `word` only for data sets that have one (GloVe). */
export type BenchRow = { id: number; word?: string; embedding: Float32Array }

export function lanceSchema(dim: number, withWord: boolean): arrow.Schema {
  return new arrow.Schema([
    new arrow.Field('id', new arrow.Int32(), false),
    ...(withWord ? [new arrow.Field('word', new arrow.Utf8(), false)] : []),
    new arrow.Field('vector', new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), true)), false),
  ])
}

/** The same rows as an Arrow table in LanceDB's column naming (vector column `vector`). */
export function lanceBatch(lancedb: Lance, rows: readonly BenchRow[], dim: number): arrow.Table {
  const withWord = rows[0]?.word !== undefined
  return lancedb.makeArrowTable(rows.map((r) => withWord ? { id: r.id, word: r.word, vector: Array.from(r.embedding) } : { id: r.id, vector: Array.from(r.embedding) }), { schema: lanceSchema(dim, withWord) }) as unknown as arrow.Table
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
