/**
 * The immutable, fluent search builder behind `table.search(vector)`. Every method returns a
 * new builder; nothing runs until `toArray()`, `toArrow()` or `explain()`.
 */
import { columnPolicy, vectorColumnNames } from '../table/vector-policy.js'
import { AilakeError, invalid } from '../errors.js'
import type { AsOf } from '../table/iceberg-table.js'
import { checkOptions, type OptionKeys } from '../util/options.js'
import type { Filter } from './filter-types.js'
import { bindFilter } from './filter-bind.js'
import { parseFilter } from './filter-parse.js'
import { rowsToArrow, type ArrowModule } from './to-arrow.js'
import { executeSearch, resolveSelect, type PruneMode, type SearchContext, type SearchPlan, type SearchRequest } from './search.js'

/** Largest `limit()` accepted. */
export const MAX_LIMIT = 10_000
const MAX_EF = 100_000
const PRUNE_KEYS = { approximate: true } as const satisfies OptionKeys<Extract<PruneMode, { approximate: number }>>
const PROBE_KEYS = { probe: true } as const satisfies OptionKeys<Extract<PruneMode, { probe: number }>>

/**
 * How 64-bit integer columns (`long`) come back: `'bigint'` (default, exact), `'number'` (a
 * number when it is a safe integer, else its decimal string, so nothing loses precision) or
 * `'string'`. With `'number'` or `'string'`, `JSON.stringify(rows)` works.
 */
export type Int64As = 'bigint' | 'number' | 'string'

/** A result row: the selected columns (typed as the caller declares them) and `_distance`. */
export type SearchRow<R extends object = Record<string, unknown>> = R & { _distance: number }

const INT64_AS: readonly Int64As[] = ['bigint', 'number', 'string']

export function checkInt64As(v: unknown, where: string): Int64As {
  if (!INT64_AS.includes(v as Int64As)) throw invalid(`${where}: 64-bit integers come back as 'bigint', 'number' or 'string', got ${JSON.stringify(v)}`)
  return v as Int64As
}

export function convertInt64(rows: Record<string, unknown>[], as: Int64As): void {
  if (as === 'bigint') return
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      if (typeof v !== 'bigint') continue
      row[k] = as === 'number' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()
    }
  }
}

interface State {
  k: number
  int64: Int64As
  ef?: number
  filter?: string | Filter
  select?: string[]
  asOf?: AsOf
  includeBuffered: boolean
  prune: PruneMode
  concurrency?: number
  /** The vector column searched; default the primary one. */
  column?: string
}

function toQuery(vector: unknown): Float32Array {
  let q: Float32Array
  if (vector instanceof Float32Array) q = vector
  else if (Array.isArray(vector) || ArrayBuffer.isView(vector)) {
    const arr = vector as ArrayLike<unknown>
    q = new Float32Array(arr.length)
    for (let i = 0; i < arr.length; i++) {
      const x = arr[i]
      if (typeof x !== 'number') throw invalid(`search(): query element ${i} is ${typeof x}, expected a number`, { index: i })
      q[i] = x
    }
  } else {
    throw invalid('search(): the query vector must be a Float32Array or an array of numbers')
  }
  if (q.length === 0) throw invalid('search(): the query vector is empty')
  for (let i = 0; i < q.length; i++) {
    if (!Number.isFinite(q[i])) throw invalid(`search(): query element ${i} is ${String(q[i])}; every element must be a finite number`, { index: i })
  }
  return q
}

/** A query vector computed on first use (e.g. by embedding a text with the table's embedder). */
export type LazyQuery = () => Promise<Float32Array>

/** Validates a query vector against the table: finite numbers, the dimension of the column searched (default the primary one). */
function checkedQuery(ctx: SearchContext, vector: unknown, column: string | undefined): Float32Array {
  const q = toQuery(vector)
  const policy = ctx.table.policy
  if (policy === undefined) throw new AilakeError('UNSUPPORTED', `table ${ctx.table.name} has no vector column; it cannot be searched by vector`)
  const col = columnPolicy(policy, column)
  if (q.length !== col.dim) {
    throw new AilakeError('DIMENSION_MISMATCH', `search(): the query vector has ${q.length} dimensions but column ${col.column} has ${col.dim}`, { context: { got: q.length, expected: col.dim, column: col.column } })
  }
  return vector === q ? q.slice() : q
}

/**
 * `R` describes the rows the search returns (the selected columns): `table.search<Doc>(v)`
 * types `toArray()` as `SearchRow<Doc>[]`. It is the caller's claim; nothing checks it.
 */
export class SearchBuilder<R extends object = Record<string, unknown>> {
  private readonly ctx: SearchContext
  private readonly query: Float32Array | LazyQuery
  private readonly state: State

  /**
   * @param ctx the table, the lakehouse's `QueryCaches` and (optionally) the buffers of open writers
   * @param vector the query; `Float32Array` or `number[]`, of the table's dimension, all finite
   * @param column the vector column searched (default: the table's primary one)
   * @throws AilakeError `INVALID_ARGUMENT` for NaN/Infinity, a non-numeric vector or an unknown
   *   column, `DIMENSION_MISMATCH` for a wrong length, `UNSUPPORTED` for a table without a vector column.
   */
  constructor(ctx: SearchContext, vector: Float32Array | number[] | LazyQuery, state?: State, column?: string) {
    this.ctx = ctx
    if (state !== undefined) {
      this.query = vector as Float32Array | LazyQuery
      this.state = state
      return
    }
    this.query = typeof vector === 'function' ? vector : checkedQuery(ctx, vector, column)
    this.state = { k: 10, int64: 'bigint', includeBuffered: true, prune: 'auto', ...(column === undefined ? {} : { column }) }
  }

  private with<T extends object = R>(patch: Partial<State>): SearchBuilder<T> {
    return new SearchBuilder<T>(this.ctx, this.query, { ...this.state, ...patch })
  }

  /** Number of rows to return (1..10,000). Default 10. */
  limit(k: number): SearchBuilder<R> {
    if (typeof k !== 'number' || !Number.isInteger(k) || k <= 0 || k > MAX_LIMIT) {
      throw invalid(`limit(): k must be an integer in [1, ${MAX_LIMIT}], got ${String(k)}`, { k: String(k) })
    }
    return this.with({ k })
  }

  /**
   * HNSW candidate list size per file; larger is slower and more accurate. Default: grows with
   * each file's row count (see `defaultEf`), at least 2k; on routed clustered files, wider for
   * the nearest. A value set here is used as is for every file.
   */
  ef(n: number): SearchBuilder<R> {
    if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0 || n > MAX_EF) throw invalid(`ef(): must be an integer in [1, ${MAX_EF}], got ${String(n)}`, { ef: String(n) })
    return this.with({ ef: n })
  }

  /**
   * Keeps only rows matching `filter`: a SQL-like string (`year >= 2020 AND tag IN ('a','b')`)
   * or the typed form (see `Filter`). Checked at once against the table's columns. Calling
   * `where` again ANDs the filters.
   */
  where(filter: string | Filter): SearchBuilder<R> {
    const policy = this.ctx.table.policy
    if (policy !== undefined) bindFilter(filter, this.ctx.table.schemaAt(this.state.asOf), vectorColumnNames(policy))
    const prev = this.state.filter
    if (prev === undefined) return this.with({ filter })
    return this.with({ filter: typeof prev === 'string' && typeof filter === 'string' ? `(${prev}) AND (${filter})` : { and: [toTyped(prev), toTyped(filter)] } })
  }

  /** Columns to return. Default: every column except the vector column. */
  select<K extends keyof R & string>(columns: readonly K[]): SearchBuilder<Pick<R, K>> {
    if (!Array.isArray(columns) || columns.some((c) => typeof c !== 'string')) throw invalid('select(): expected an array of column names')
    const policy = this.ctx.table.policy
    if (policy !== undefined) resolveSelect(this.ctx.table.schemaAt(this.state.asOf), policy, columns)
    return this.with<Pick<R, K>>({ select: [...columns] })
  }

  /** How `long` columns come back (see `Int64As`); the default is the connection's (`connect(uri, { int64 })`), else `'bigint'`. */
  int64(as: Int64As): SearchBuilder<R> {
    return this.with({ int64: checkInt64As(as, 'int64()') })
  }

  /**
   * Search the table as of a snapshot id (bigint or numeric string) or a time (Date, ISO string,
   * epoch ms). The snapshot is read through the schema it was written with: `where` and `select`
   * name its columns as they were then (call `asOf` before them).
   */
  asOf(snapshot: AsOf): SearchBuilder<R> {
    return this.with({ asOf: snapshot })
  }

  /** Include rows buffered in open MemTableWriters (current snapshot only). Default true. */
  includeBuffered(include: boolean): SearchBuilder<R> {
    return this.with({ includeBuffered: include !== false })
  }

  /**
   * Which files a search visits. `'auto'` (default): files `optimize()` clustered are routed:
   * visited nearest centroid first, the nearest with a wider beam, until a run of them added
   * nothing to the top k (tuned for recall@10 >= 0.95 on GloVe and Fashion-MNIST); every other
   * file is searched unless its lower bound proves it holds no top-k row.
   * `'exact'`: no routing, the bound alone (never misses a top-k row; slower on clustered tables).
   * `{ probe: n }`: route to exactly the n nearest clustered files. `{ approximate: f }` (f >= 1):
   * no routing, each bound inflated by f.
   */
  prune(mode: PruneMode): SearchBuilder<R> {
    if (mode !== 'exact' && mode !== 'auto') {
      if (typeof mode !== 'object' || mode === null) throw invalid(`prune(): expected 'exact', 'auto', { probe: n } or { approximate: f }, got ${JSON.stringify(mode)}`)
      if ('probe' in mode) {
        checkOptions(mode, PROBE_KEYS, 'prune()')
        if (!Number.isInteger(mode.probe) || mode.probe < 1) throw invalid(`prune(): probe must be a positive integer, got ${JSON.stringify(mode.probe)}`)
      } else {
        checkOptions(mode, PRUNE_KEYS, 'prune()')
        const f = (mode as { approximate?: unknown }).approximate
        if (typeof f !== 'number' || !Number.isFinite(f) || f < 1) throw invalid(`prune(): expected { approximate: factor >= 1 }, got ${JSON.stringify(mode)}`)
      }
    }
    return this.with({ prune: mode })
  }

  /** Files read at once: while one file is searched, the next n - 1 in visit order are loaded. Default 4. */
  concurrency(n: number): SearchBuilder<R> {
    if (!Number.isInteger(n) || n < 1 || n > 256) throw invalid(`concurrency(): must be an integer in [1, 256], got ${String(n)}`)
    return this.with({ concurrency: n })
  }

  private async request(): Promise<SearchRequest> {
    const s = this.state
    const query = typeof this.query === 'function' ? checkedQuery(this.ctx, await this.query(), s.column) : this.query
    const req: SearchRequest = { query, k: s.k, includeBuffered: s.includeBuffered, prune: s.prune }
    if (s.column !== undefined) req.column = s.column
    if (s.ef !== undefined) req.ef = s.ef
    if (s.filter !== undefined) req.filter = s.filter
    if (s.select !== undefined) req.select = s.select
    if (s.asOf !== undefined) req.asOf = s.asOf
    if (s.concurrency !== undefined) req.concurrency = s.concurrency
    return req
  }

  /** Runs the search; rows best first, the selected columns plus `_distance`. `T` re-types the rows (default `R`). */
  async toArray<T extends object = R>(): Promise<SearchRow<T>[]> {
    return (await this.execute<T>()).rows
  }

  /** Runs the search and returns how it went: files pruned and searched (each in `files`, in the order decided), bytes read, cache hits, timings. */
  async explain(): Promise<SearchPlan> {
    return (await executeSearch(this.ctx, { ...(await this.request()), trace: true })).plan
  }

  /** @internal Runs the search: rows (64-bit integers as bigint), plan, and each row's identity (for fusion). */
  async executeWithIds(): Promise<{ rows: SearchRow[]; plan: SearchPlan; ids: string[] }> {
    const { rows, plan, ids } = await executeSearch(this.ctx, await this.request())
    return { rows: rows as SearchRow[], plan, ids }
  }

  /** Runs the search and returns both rows and plan. */
  async execute<T extends object = R>(): Promise<{ rows: SearchRow<T>[]; plan: SearchPlan }> {
    const { rows, plan } = await executeSearch(this.ctx, await this.request())
    convertInt64(rows, this.state.int64)
    return { rows: rows as SearchRow<T>[], plan }
  }

  /**
   * Runs the search and returns an Apache Arrow Table built with `arrow`, your own
   * `import * as arrow from 'apache-arrow'` (any version from 13): the result is that version's
   * `Table`, typed as such. Without it, the `apache-arrow` that this package resolves is loaded
   * (`UNSUPPORTED` if none is installed). `long` columns are Int64 whatever `int64()` says.
   */
  async toArrow<M extends ArrowModule>(arrow: M): Promise<InstanceType<M['Table']>>
  async toArrow(): Promise<unknown>
  async toArrow(arrow?: ArrowModule): Promise<unknown> {
    const { rows } = await executeSearch(this.ctx, await this.request())
    return rowsToArrow(arrow ?? await loadArrow(), rows)
  }
}

async function loadArrow(): Promise<ArrowModule> {
  try {
    const name = 'apache-arrow'
    return await import(name) as ArrowModule
  } catch (err) {
    throw new AilakeError('UNSUPPORTED', 'toArrow() needs apache-arrow: pass your own (import * as arrow from \'apache-arrow\'; toArrow(arrow)) or install it (npm install apache-arrow), or use toArray()', { cause: err })
  }
}

function toTyped(f: string | Filter): Filter {
  return typeof f === 'string' ? parseFilter(f) : f
}
