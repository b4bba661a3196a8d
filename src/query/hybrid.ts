/**
 * The full-text and hybrid query objects behind `table.fullTextSearch()` and
 * `table.hybridSearch()`. Hybrid search runs the vector leg (the text embedded by the table's
 * embedder unless a vector is given) and the BM25 leg over the same table with the same filter,
 * then fuses the two ranked lists: reciprocal-rank fusion (each row scores the sum over legs of
 * 1 / (rrfK + rank), rrfK = 60) by default, or a weighted sum of min-max normalised scores.
 */
import { vectorColumnNames } from '../table/vector-policy.js'
import { invalid } from '../errors.js'
import type { AsOf } from '../table/iceberg-table.js'
import { convertInt64, MAX_LIMIT, SearchBuilder, type Int64As, type LazyQuery } from './builder.js'
import { executeTextSearch, resolveTextColumns, type TextSearchPlan, type TextSearchRequest } from './fulltext.js'
import { bindFilter } from './filter-bind.js'
import { requirePolicy, resolveSelect } from './search.js'
import type { Filter } from './filter-types.js'
import type { SearchContext, SearchPlan } from './search.js'

/** Options shared by full-text and hybrid search. */
export interface TextQueryOptions {
  /** Full-text columns to search. Default: all the table's. */
  columns?: string[]
  /** Rows to return (1..10,000). Default 10. */
  limit?: number
  /** A filter in the language of `search().where()`. */
  where?: string | Filter
  /** Search the table as of a snapshot id or a time (buffered rows are then left out). */
  asOf?: AsOf
  /** Columns to return. Default: every column except the vector column. */
  select?: string[]
  /** Include rows buffered in open MemTableWriters. Default true. */
  includeBuffered?: boolean
  /** How `long` columns come back. Default: the connection's, else `'bigint'`. */
  int64?: Int64As
}

export type FullTextSearchOptions = TextQueryOptions

export interface HybridSearchOptions extends TextQueryOptions {
  /** The query text: searched with BM25 and, unless `vector` is given, embedded for the vector leg. */
  text: string
  /** The vector leg's query; default: `text` embedded by the table's embedder. */
  vector?: Float32Array | number[]
  /** `'rrf'` (default): reciprocal-rank fusion; `'weighted'`: `vectorWeight` x vector + (1 - vectorWeight) x text, each min-max normalised. */
  fusion?: 'rrf' | 'weighted'
  /** The rank constant of reciprocal-rank fusion. Default 60. */
  rrfK?: number
  /** The vector leg's weight in weighted fusion, in [0, 1]. Default 0.5. */
  vectorWeight?: number
  /** Rows each leg retrieves before fusion. Default max(2 x limit, 40). */
  candidates?: number
}

/** A row of a full-text search: the selected columns and `_score` (BM25). */
export type TextSearchRow<R extends object = Record<string, unknown>> = R & { _score: number }
/** A row of a hybrid search: `_score` (fused), `_distance` when the vector leg found it, `_bm25` when the text leg did. */
export type HybridSearchRow<R extends object = Record<string, unknown>> = R & { _score: number; _distance?: number; _bm25?: number }

export interface HybridSearchPlan {
  fusion: { method: 'rrf'; rrfK: number } | { method: 'weighted'; vectorWeight: number }
  candidates: number
  vector: SearchPlan
  text: TextSearchPlan
  /** Rows both legs returned. */
  overlap: number
  timingsMs: { total: number }
}

export function checkLimit(k: unknown, where: string): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k <= 0 || k > MAX_LIMIT) throw invalid(`${where}: limit must be an integer in [1, ${MAX_LIMIT}], got ${String(k)}`, { k: String(k) })
  return k
}

function textRequest(query: string, o: TextQueryOptions, k: number): TextSearchRequest {
  const req: TextSearchRequest = { query, k }
  if (o.columns !== undefined) req.columns = o.columns
  if (o.where !== undefined) req.filter = o.where
  if (o.select !== undefined) req.select = o.select
  if (o.asOf !== undefined) req.asOf = o.asOf
  if (o.includeBuffered !== undefined) req.includeBuffered = o.includeBuffered
  return req
}

/** Checks text query options against the table before anything runs: columns, limit, filter, select. */
function checkTextOptions(ctx: SearchContext, o: TextQueryOptions, where: string): void {
  const policy = requirePolicy(ctx.table)
  resolveTextColumns(ctx, o.columns)
  if (o.limit !== undefined) checkLimit(o.limit, where)
  // Names are those of the snapshot searched (a column renamed since keeps its old name there).
  const schema = ctx.table.schemaAt(o.asOf)
  if (o.where !== undefined) bindFilter(o.where, schema, vectorColumnNames(policy))
  if (o.select !== undefined) resolveSelect(schema, policy, o.select)
}

/** `table.fullTextSearch(query, options)`: nothing runs until `toArray()`, `execute()` or `explain()`. */
export class FullTextSearch<R extends object = Record<string, unknown>> {
  constructor(private readonly ctx: SearchContext, private readonly query: string, private readonly options: FullTextSearchOptions, private readonly int64: Int64As) {
    checkTextOptions(ctx, options, 'fullTextSearch()')
  }

  async execute<T extends object = R>(): Promise<{ rows: TextSearchRow<T>[]; plan: TextSearchPlan }> {
    const { rows, plan } = await executeTextSearch(this.ctx, textRequest(this.query, this.options, checkLimit(this.options.limit ?? 10, 'fullTextSearch()')))
    convertInt64(rows, this.int64)
    return { rows: rows as TextSearchRow<T>[], plan }
  }

  /** Rows best first: the selected columns plus `_score`. */
  async toArray<T extends object = R>(): Promise<TextSearchRow<T>[]> {
    return (await this.execute<T>()).rows
  }

  async explain(): Promise<TextSearchPlan> {
    return (await this.execute()).plan
  }
}

/** `table.hybridSearch(options)`: nothing runs until `toArray()`, `execute()` or `explain()`. */
export class HybridSearch<R extends object = Record<string, unknown>> {
  constructor(
    private readonly ctx: SearchContext,
    private readonly vector: SearchBuilder,
    private readonly options: HybridSearchOptions,
    private readonly int64: Int64As,
  ) {
    checkTextOptions(ctx, options, 'hybridSearch()')
    fusionOf(options)
    if (options.candidates !== undefined) checkLimit(options.candidates, 'hybridSearch() candidates')
  }

  async execute<T extends object = R>(): Promise<{ rows: HybridSearchRow<T>[]; plan: HybridSearchPlan }> {
    const t0 = performance.now()
    const o = this.options
    const k = checkLimit(o.limit ?? 10, 'hybridSearch()')
    const candidates = o.candidates === undefined ? Math.min(MAX_LIMIT, Math.max(2 * k, 40)) : checkLimit(o.candidates, 'hybridSearch() candidates')
    const fusion = fusionOf(o)
    const [v, t] = await Promise.all([
      this.vector.limit(candidates).executeWithIds(),
      executeTextSearch(this.ctx, textRequest(o.text, o, candidates)),
    ])
    const fused = new Map<string, { row: Record<string, unknown>; score: number; vr: number; tr: number }>()
    const entry = (id: string, row: Record<string, unknown>): { row: Record<string, unknown>; score: number; vr: number; tr: number } => {
      let e = fused.get(id)
      if (e === undefined) fused.set(id, e = { row: { ...row }, score: 0, vr: Infinity, tr: Infinity })
      return e
    }
    const vScores = normalised(v.rows.map((r) => -(r._distance as number)))
    const tScores = normalised(t.rows.map((r) => r._score as number))
    v.rows.forEach((r, i) => {
      const e = entry(v.ids[i] as string, r)
      e.vr = i
      e.score += fusion.method === 'rrf' ? 1 / (fusion.rrfK + i + 1) : fusion.vectorWeight * (vScores[i] as number)
    })
    t.rows.forEach((r, i) => {
      const e = entry(t.ids[i] as string, r)
      e.tr = i
      e.score += fusion.method === 'rrf' ? 1 / (fusion.rrfK + i + 1) : (1 - fusion.vectorWeight) * (tScores[i] as number)
    })
    const ranked = [...fused.values()].sort((a, b) => b.score - a.score || Math.min(a.vr, a.tr) - Math.min(b.vr, b.tr) || a.tr - b.tr)
    const rows = ranked.slice(0, k).map((e) => {
      const row: Record<string, unknown> = { ...e.row }
      delete row._score
      delete row._distance
      row._score = e.score
      if (e.vr !== Infinity) row._distance = v.rows[e.vr]?._distance
      if (e.tr !== Infinity) row._bm25 = t.rows[e.tr]?._score
      return row
    })
    convertInt64(rows, this.int64)
    const overlap = ranked.filter((e) => e.vr !== Infinity && e.tr !== Infinity).length
    return { rows: rows as HybridSearchRow<T>[], plan: { fusion, candidates, vector: v.plan, text: t.plan, overlap, timingsMs: { total: performance.now() - t0 } } }
  }

  /** Rows best first: the selected columns, `_score` (fused), `_distance` and `_bm25` where a leg found the row. */
  async toArray<T extends object = R>(): Promise<HybridSearchRow<T>[]> {
    return (await this.execute<T>()).rows
  }

  /** Both legs' plans and the fusion used. */
  async explain(): Promise<HybridSearchPlan> {
    return (await this.execute()).plan
  }
}

function fusionOf(o: HybridSearchOptions): HybridSearchPlan['fusion'] {
  const method = o.fusion ?? 'rrf'
  if (method === 'rrf') {
    if (o.vectorWeight !== undefined) throw invalid('hybridSearch(): vectorWeight applies to fusion: \'weighted\'')
    const rrfK = o.rrfK ?? 60
    if (typeof rrfK !== 'number' || !Number.isFinite(rrfK) || rrfK < 0) throw invalid(`hybridSearch(): rrfK must be a number >= 0, got ${String(rrfK)}`)
    return { method, rrfK }
  }
  if (method !== 'weighted') throw invalid(`hybridSearch(): fusion must be 'rrf' or 'weighted', got ${JSON.stringify(method)}`)
  if (o.rrfK !== undefined) throw invalid('hybridSearch(): rrfK applies to fusion: \'rrf\'')
  const vectorWeight = o.vectorWeight ?? 0.5
  if (typeof vectorWeight !== 'number' || !(vectorWeight >= 0 && vectorWeight <= 1)) throw invalid(`hybridSearch(): vectorWeight must be in [0, 1], got ${String(vectorWeight)}`)
  return { method, vectorWeight }
}

/** Scores mapped to [0, 1] by min-max (all 1 when they are equal). */
function normalised(scores: readonly number[]): number[] {
  const lo = Math.min(...scores)
  const hi = Math.max(...scores)
  return scores.map((s) => (hi > lo ? (s - lo) / (hi - lo) : 1))
}

/** The vector leg's builder for hybrid options: the same filter, columns, snapshot and buffers as the text leg. */
export function vectorLeg(base: SearchBuilder, o: HybridSearchOptions): SearchBuilder {
  let b = base
  if (o.where !== undefined) b = b.where(o.where)
  if (o.select !== undefined) b = b.select(o.select)
  if (o.asOf !== undefined) b = b.asOf(o.asOf)
  if (o.includeBuffered !== undefined) b = b.includeBuffered(o.includeBuffered)
  return b
}

export type { LazyQuery }
