/**
 * Vector search over one snapshot of a table: prune files by column statistics, visit the rest
 * in order of a sound lower bound on their distance to the query and skip each once its bound
 * exceeds the current k-th distance, search each visited file (index with the filter applied
 * inside the traversal, or an exact scan), re-score every candidate with the exact metric, merge,
 * and only then fetch the winning rows' selected columns.
 */
import { AilakeError, corrupt, invalid } from '../errors.js'
import { projectColumns, typeName, type Schema } from '../format/schema.js'
import type { DataFile } from '../format/iceberg/types.js'
import { flatSearch } from '../vector-index/flat.js'
import { bitAllowed, bitsetFromIds, countAllowed } from '../vector-index/filter.js'
import { pinSnapshot } from '../table/pins.js'
import { HnswIndex } from '../vector-index/hnsw.js'
import type { BufferedRows } from '../ingest/buffer.js'
import type { AsOf, IcebergTable } from '../table/iceberg-table.js'
import type { LiveFile } from '../table/scan.js'
import { cachedColumnValues, foreignHint, intersect, liveMask, readColumns } from './file-rows.js'
import { bufferedVisibility, hideSuperseded, rowId } from './visibility.js'
import { columnPolicy, isVectorColumn, vectorColumnNames, vectorColumns, type VectorPolicy } from '../table/vector-policy.js'
import { bufferedVectors, columnTarget, sectionOf, type ColumnTarget } from './search-column.js'
import { mapLimit } from '../util/limiter.js'
import { kernelError, lowerBound } from '../vector/bounds.js'
import { distanceFrom } from '../vector/scorer.js'
import { validateVectors } from '../vector/validate.js'
import type { CacheBudget, CacheCounters, CacheHeld, FileVectors, QueryCaches } from './caches.js'
import { bindFilter, fileMayMatch, filterColumns, matchesRow, type BoundFilter } from './filter-bind.js'
import type { Filter } from './filter-types.js'
import { planPruned } from './partition-prune.js'
import { Router, ROUTING, type PruneMode, type RouteTuning } from './routing.js'
import { identityValues } from '../table/partition.js'

/** Rows buffered in a MemTableWriter, not yet committed (read-your-writes). */
export type { BufferedRows } from '../ingest/buffer.js'

/** What a search needs from its surroundings; the public Table builds it once. */
export interface SearchContext {
  table: IcebergTable
  caches: QueryCaches
  /** Snapshots of the buffers of open MemTableWriters on this table. */
  buffered?: () => BufferedRows[]
}

export type { PruneMode } from './routing.js'

export interface SearchRequest {
  query: Float32Array
  k: number
  /** The vector column searched (its own metric, index and bounds). Default: the table's primary vector column. */
  column?: string
  /**
   * HNSW candidate list size for every searched file. Default: `defaultEf` of the file's rows,
   * shaped by routing for clustered files (wider for the nearest, narrower for the farther).
   */
  ef?: number
  filter?: string | Filter
  /** Columns to return. Default: every non-vector column. */
  select?: string[]
  asOf?: AsOf
  /** Include MemTableWriter buffers. Default true. */
  includeBuffered?: boolean
  prune?: PruneMode
  /** Files read at once (searched one at a time in visit order, the I/O of the next ones ahead). Default 4. */
  concurrency?: number
  /** @internal routing constants (benchmarks calibrate them) */
  routing?: Partial<RouteTuning>
  /** List every file's fate in `plan.files` (`explain()` sets it). */
  trace?: boolean
}

/** What happened to one file in a search, in the order the search decided it. */
export interface FileVisit {
  path: string
  rows: number
  /** Lower bound of any row's distance to the query (null: the file has no usable bound). */
  bound: number | null
  /** Routing rank by centroid distance (0 = nearest), null when routing does not apply. */
  rank: number | null
  outcome: 'index' | 'scan' | 'no-match' | 'pruned-partition' | 'pruned-stats' | 'pruned-bound' | 'skipped-routing'
}

/** What `explain()` reports. Byte and cache counters are approximate under concurrent queries. */
export interface SearchPlan {
  snapshotId: bigint | null
  /** The vector column searched. */
  column: string
  /** Live files of the data manifests read (those partition pruning left out are not counted). */
  filesTotal: number
  /** Data manifests left out unread: their partition summaries prove no file they list matches the filter. */
  manifestsPrunedByPartition: number
  /** Files left unopened because their partition tuple cannot match the filter (outcome `pruned-partition`). */
  filesPrunedByPartition: number
  filesPrunedByStats: number
  filesPrunedByBound: number
  /** Clustered files left out by routing (`prune('auto')` or `{ probe }`); 0 in exact mode. */
  filesSkippedByRouting: number
  filesSearchedByIndex: number
  filesSearchedByScan: number
  /** Searched files where no row passed the filter. */
  filesNoMatch: number
  bufferedRows: number
  candidates: number
  bytesRead: number
  reads: number
  cacheHits: { index: number; reader: number }
  cacheMisses: { index: number; reader: number }
  timingsMs: { plan: number; search: number; fetch: number; total: number }
  /**
   * Bytes the query caches held when the search ended (shared by every table of the lakehouse):
   * per-file search state, decoded vector pages, decoded scalar columns, and the total of every
   * byte-bounded cache. Each stays within its bound in `cacheBudget`.
   */
  cacheBytes: CacheHeld
  /** The caches' bounds: `connect(uri, { cache: { maxBytes } })` split among them, or their defaults. */
  cacheBudget: CacheBudget
  /** With `explain()`: each file in the order the search decided it, and what happened to it. */
  files?: FileVisit[]
}

export interface SearchResultRows {
  rows: Record<string, unknown>[]
  plan: SearchPlan
  /** Each row's identity (`rowId` in visibility.ts), for fusing result lists. */
  ids: string[]
}

interface Candidate {
  d: number
  /** Index into the visit order, or -1 - buffer index for buffered rows. */
  src: number
  row: number
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now())

/** Keeps the k best candidates; `kth` is the current k-th distance (Infinity until k are held). */
class TopK {
  private readonly items: Candidate[] = []
  constructor(private readonly k: number) {}

  get kth(): number {
    return this.items.length < this.k ? Infinity : (this.items[this.items.length - 1] as Candidate).d
  }

  /** Whether `c` entered the top k (it may be pushed out later). */
  offer(c: Candidate): boolean {
    if (this.items.length >= this.k && !(c.d < this.kth)) return false
    let lo = 0
    let hi = this.items.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const m = this.items[mid] as Candidate
      if (m.d < c.d || (m.d === c.d && (m.src < c.src || (m.src === c.src && m.row < c.row)))) lo = mid + 1
      else hi = mid
    }
    this.items.splice(lo, 0, c)
    if (this.items.length > this.k) this.items.pop()
    return true
  }

  get best(): Candidate[] { return this.items }
}

export function requirePolicy(table: IcebergTable): VectorPolicy {
  const p = table.policy
  if (p === undefined) throw new AilakeError('UNSUPPORTED', `table ${table.name} has no vector column (no ailake.vector.* properties); it cannot be searched by vector`)
  return p
}


/** Checks selected column names against the schema (default: every column but the vector columns). */
export function resolveSelect(schema: Schema, policy: VectorPolicy, select: string[] | undefined): string[] {
  if (select === undefined) return schema.fields.filter((f) => !isVectorColumn(policy, f.name)).map((f) => f.name)
  for (const c of select) {
    if (!schema.fields.some((f) => f.name === c)) {
      throw invalid(`select(): unknown column ${JSON.stringify(c)}; columns are case-sensitive, valid columns: ${schema.fields.map((f) => f.name).join(', ')}`, { column: c })
    }
  }
  return [...new Set(select)]
}

function bitsetFor(filter: BoundFilter, rows: Record<string, unknown>[]): Uint8Array {
  const ids: number[] = []
  rows.forEach((r, i) => { if (matchesRow(filter, r)) ids.push(i) })
  return bitsetFromIds(ids, rows.length)
}

/** The k-th smallest of `values` (1-based; values.length >= k). */
function kthSmallest(values: Float64Array, k: number): number {
  return Float64Array.from(values).sort()[k - 1] as number
}

/** The open reader of a data file, locating its section from the table's facts when it has an index. */
function fileReader(ctx: SearchContext, file: DataFile, key: string): ReturnType<QueryCaches['reader']> {
  const facts = file.ailake
  const section = facts !== undefined && facts.indexType === 'hnsw' ? { offset: facts.sectionOffset, length: facts.sectionLength } : undefined
  return ctx.caches.reader(ctx.table.store, key, file.fileSizeInBytes, section, foreignHint(ctx))
}

/**
 * A file's search state. With stored SQ8 codes: the index restored from graph and codes, read
 * in one ranged read of the section, and no vectors (candidates are re-scored on vectors read
 * page by page). Otherwise the whole vector column, and the index over it when there is one.
 */
async function loadFileVectors(ctx: SearchContext, file: DataFile, key: string, useIndex: boolean, dim: number, column: ColumnTarget): Promise<FileVectors> {
  const reader = await fileReader(ctx, file, key)
  // The whole section first: the vector read then reuses its head instead of reading it on its own.
  const sec = !useIndex ? undefined : column.primary ? await reader.readSectionOnce() : await reader.readColumnSection(column.name, sectionOf(column.facts(file)))
  if (sec?.indexBytes !== undefined && sec.codesBytes !== undefined) {
    const index = HnswIndex.fromCodes(sec.indexBytes, sec.codesBytes, { dim })
    if (index.size !== reader.rowCount) throw corrupt(`data file ${file.filePath} has an index of ${index.size} rows for its ${reader.rowCount} rows`, { path: file.filePath })
    return { vectors: undefined, index, bytes: index.residentBytes() }
  }
  const vectors = await reader.readVectors(column.primary ? undefined : column.name)
  if (vectors.length !== reader.rowCount * dim) {
    throw corrupt(`data file ${file.filePath} has ${vectors.length} vector values for ${reader.rowCount} rows of dimension ${dim}`, { path: file.filePath })
  }
  if (sec?.indexBytes === undefined) return { vectors, index: undefined, bytes: vectors.byteLength }
  const index = HnswIndex.deserialize(sec.indexBytes, vectors, { dim })
  // The index holds its own f32 copy and, once searched, its traversal state (8-bit codes, and
  // in WebAssembly a copy of the level-0 lists with heaps and visited stamps).
  return { vectors, index, bytes: 2 * vectors.byteLength + sec.indexBytes.length + index.searchStateBytes() }
}

/**
 * Runs one search. Throws `INVALID_ARGUMENT` / `DIMENSION_MISMATCH` for bad input (checked
 * before any I/O), `NOT_FOUND` for an unknown snapshot.
 */
export async function executeSearch(ctx: SearchContext, req: SearchRequest): Promise<SearchResultRows> {
  const t0 = now()
  const { table, caches } = ctx
  const policy = requirePolicy(table)
  const { query } = req
  const col = columnPolicy(policy, req.column)
  const dim = col.dim
  if (query.length !== dim) {
    throw new AilakeError('DIMENSION_MISMATCH', `search: the query vector has ${query.length} dimensions but column ${col.column} of table ${table.name} has ${dim}`, { context: { got: query.length, expected: dim, column: col.column } })
  }
  validateVectors(query, dim, 'search: the query')
  // Time travel reads a snapshot through the schema it was written with (its names and types).
  const schema = table.schemaAt(req.asOf)
  const filter = req.filter === undefined ? undefined : bindFilter(req.filter, schema, vectorColumnNames(policy))
  const select = resolveSelect(schema, policy, req.select)
  const prune = req.prune ?? 'auto'
  const factor = typeof prune === 'object' && 'approximate' in prune ? prune.approximate : 1
  const before: CacheCounters = { ...caches.counters }

  // Buffers and the snapshot are read in the same synchronous step, and each buffer skips the
  // rows of WAL records the snapshot already holds (a flush that committed but has not yet let
  // go of its rows, or whose commit outcome was unknown): no row is missed or counted twice.
  const meta = table.metadata
  const buffers = req.includeBuffered === false || ctx.buffered === undefined || req.asOf !== undefined ? [] : ctx.buffered().filter((b) => b.rows.length > 0).map((b) => bufferedAs(b, schema, policy.column))
  const snapshotId = table.resolveSnapshot(req.asOf)
  const unpin = pinSnapshot(meta.tableUuid, snapshotId)
  try {
    return await searchSnapshot({ ...ctx, schema }, req, { t0, meta, buffers, snapshotId, filter, select, factor, prune, before, column: columnTarget(policy, col) })
  } finally {
    unpin()
  }
}

/**
 * Buffered rows named and typed as `schema` has its columns: a writer opened before a schema
 * change keeps its rows under the names and types it validated them with.
 */
function bufferedAs(b: BufferedRows, schema: Schema, vectorColumn: string): BufferedRows {
  const same = b.schema.fields.length === schema.fields.length && b.schema.fields.every((f, i) => {
    const c = schema.fields[i] as Schema['fields'][number]
    return f.id === c.id && f.name === c.name && typeName(f.type) === typeName(c.type)
  })
  if (same) return b
  const plan = projectColumns(b.schema, schema, schema.fields.filter((f) => f.name !== vectorColumn).map((f) => f.name))
  const rows = b.rows.map((r) => {
    const out: Record<string, unknown> = {}
    for (const c of plan) {
      const v = c.source === undefined ? null : r[c.source] ?? null
      out[c.name] = c.widen === undefined || v === null ? v : c.widen(v)
    }
    return out
  })
  const key = b.upsertOn === undefined ? undefined : b.schema.fields.find((f) => f.name === b.upsertOn)?.id
  const upsertOn = key === undefined ? undefined : schema.fields.find((f) => f.id === key)?.name
  const { upsertOn: _, ...rest } = b
  return { ...rest, schema, rows, ...(upsertOn === undefined ? {} : { upsertOn }) }
}

interface Resolved {
  t0: number
  meta: IcebergTable['metadata']
  buffers: BufferedRows[]
  snapshotId: bigint | null
  filter: BoundFilter | undefined
  select: string[]
  factor: number
  prune: PruneMode
  before: CacheCounters
  column: ColumnTarget
}

/** The search once its input is checked and its snapshot resolved (and pinned against expiry); `ctx.schema` is the one it reads through. */
async function searchSnapshot(ctx: SearchContext & { schema: Schema }, req: SearchRequest, r: Resolved): Promise<SearchResultRows> {
  const { table, caches } = ctx
  const policy = requirePolicy(table)
  const { query, k } = req
  const { t0, meta, buffers, snapshotId, filter, select, factor, before, column } = r
  const { dim, metric } = column.policy
  // Optimize clusters files by the primary column: routing among clusters applies to it only,
  // other columns keep the sound bound of every file.
  const prune = column.primary ? r.prune : 'exact'
  const planned = await planPruned({ table, caches }, snapshotId, filter, ctx.schema)
  const files = planned.files
  const tPlan = now()

  const plan: SearchPlan = {
    snapshotId, column: column.name, filesTotal: files.length, manifestsPrunedByPartition: planned.manifestsPruned, filesPrunedByPartition: 0,
    filesPrunedByStats: 0, filesPrunedByBound: 0, filesSkippedByRouting: 0, filesSearchedByIndex: 0,
    filesSearchedByScan: 0, filesNoMatch: 0, bufferedRows: 0, candidates: 0, bytesRead: 0, reads: 0,
    cacheHits: { index: 0, reader: 0 }, cacheMisses: { index: 0, reader: 0 }, timingsMs: { plan: tPlan - t0, search: 0, fetch: 0, total: 0 },
    cacheBytes: { index: 0, vectorPages: 0, columns: 0, total: 0 }, cacheBudget: caches.budget,
    ...(req.trace === true && { files: [] }),
  }
  const top = new TopK(k)
  const exact = distanceFrom(metric, query)
  // Euclidean and dot indexes and scans score with the exact kernels on the stored vectors (the
  // same bits). Cosine indexes score normalised copies: each side is within a few kernelError of
  // the true cosine (bounds.ts), so 8 of them plus the underflow term separate index from exact.
  const indexSlack = metric === 'cosine' ? 8 * kernelError(dim) + 2 ** -28 : 0

  // Buffered rows first: they are in memory, and their distances tighten the bound early.
  const { views, hidden } = bufferedVisibility(buffers, meta)
  views.forEach(({ buffer: b, visible }, bi) => {
    const n = b.rows.length
    plan.bufferedRows += n
    if (n === 0 || visible?.length === 0) return
    const vectors = bufferedVectors(b, column)
    if (vectors.length !== n * dim) throw new AilakeError('INTERNAL', `buffered rows carry ${vectors.length} vector values for ${n} rows of dimension ${dim}`)
    let allow = filter === undefined ? undefined : bitsetFor(filter, b.rows)
    if (visible !== undefined) {
      const held = allow
      allow = bitsetFromIds(visible.filter((i) => held === undefined || bitAllowed(held, i)), n)
    }
    if (allow !== undefined && countAllowed(allow, n) === 0) return
    const res = flatSearch(vectors, dim, metric, query, k, allow === undefined ? {} : { filter: allow })
    for (const id of res.ids) {
      plan.candidates++
      top.offer({ d: exact(vectors, id * dim), src: -1 - bi, row: id })
    }
  })

  // Statistics pruning, then the visit order by lower bound (files without facts: -Infinity, never pruned).
  const visit: { file: DataFile; live: LiveFile; bound: number }[] = []
  for (const lf of files) {
    const f = lf.dataFile
    if (f.recordCount === 0) continue
    if (planned.pruner?.file(f) === false) {
      plan.filesPrunedByPartition++
      plan.files?.push({ path: f.filePath, rows: f.recordCount, bound: null, rank: null, outcome: 'pruned-partition' })
      continue
    }
    if (filter !== undefined && !fileMayMatch(filter, f)) {
      plan.filesPrunedByStats++
      plan.files?.push({ path: f.filePath, rows: f.recordCount, bound: null, rank: null, outcome: 'pruned-stats' })
      continue
    }
    const facts = column.facts(f)
    const usable = facts !== undefined && facts.dim === dim && facts.metric === metric && facts.centroid.length === dim
    const lb = usable ? lowerBound(metric, query, facts.centroid, facts.radius) : -Infinity
    visit.push({ file: f, live: lf, bound: Number.isNaN(lb) ? -Infinity : lb })
  }
  // Files outside the layout (and every file without routing) are visited in order of their
  // sound bound; then the clustered files routing applies to, nearest centroid first, each
  // searched only if the router says so.
  const router = new Router(visit.map((v) => v.file), query, metric, prune, k, { ...ROUTING, ...req.routing })
  const rankOf = (j: number): number | undefined => router.rank.get((visit[j] as { file: DataFile }).file)
  const order = visit.map((_, j) => j)
  order.sort((a, b) => {
    const ra = rankOf(a)
    const rb = rankOf(b)
    if (ra === undefined || rb === undefined) return ra === rb ? (visit[a] as { bound: number }).bound - (visit[b] as { bound: number }).bound : ra === undefined ? -1 : 1
    return ra - rb
  })
  const skip = (bound: number): boolean => {
    const kth = top.kth
    if (kth === Infinity) return false
    const eff = factor === 1 || !Number.isFinite(bound) ? bound : bound + (factor - 1) * Math.abs(bound)
    return eff > kth
  }

  interface Prepared { file: DataFile; key: string; fv: FileVectors | undefined; opts: { filter?: Uint8Array; allowed?: number } }
  /** The I/O of one file (its live-row and filter mask, its vectors and index), ahead of its search. */
  const prepare = async (lf: LiveFile): Promise<Prepared> => {
    const file = lf.dataFile
    const key = table.keyOf(file.filePath)
    const facts = column.facts(file)
    const useIndex = facts !== undefined && facts.indexType === 'hnsw' && file.ailake?.indexStatus === 'ready'
    // Each vector column of a file has its own search state.
    const stateKey = column.primary ? key : `${key}#${column.name}`
    // Deleted rows and rows the filter rejects are left out inside the traversal, so k rows come
    // back whenever k live matching rows exist.
    const live = await liveMask(ctx, lf)
    let allow = live?.bits
    if (filter !== undefined) {
      const matching = bitsetFor(filter, await readColumns(ctx, file, filterColumns(filter)))
      allow = allow === undefined ? matching : intersect(allow, matching)
    }
    allow = await hideSuperseded(ctx, file, allow, hidden)
    if (allow === undefined) return { file, key, fv: await caches.fileVectors(stateKey, file.fileSizeInBytes, () => loadFileVectors(ctx, file, key, useIndex, dim, column)), opts: {} }
    // Counted once here (the cached live mask carries its count), not again by the index.
    const allowed = allow === live?.bits ? live.allowed : countAllowed(allow, file.recordCount)
    if (allowed === 0) return { file, key, fv: undefined, opts: {} }
    const fv = await caches.fileVectors(stateKey, file.fileSizeInBytes, () => loadFileVectors(ctx, file, key, useIndex, dim, column))
    return { file, key, fv, opts: { filter: allow, allowed } }
  }

  /**
   * Searches a file whose index holds codes but no vectors: traverse on the codes, then re-score
   * exactly, on vectors read page by page, every candidate that could still enter the top k.
   * Each candidate's exact distance lies in an interval around its code distance, so one whose
   * interval starts past the current k-th distance, or past the k-th smallest end of the file's
   * intervals (k candidates of the file are then surely closer), cannot.
   */
  const searchCodes = async (p: Prepared, index: HnswIndex, src: number): Promise<boolean> => {
    const { file, key, opts } = p
    plan.filesSearchedByIndex++
    const cand = index.searchCodes(query, k, { ...opts, ef: req.ef ?? router.ef(codesEf(k, index), router.rank.get(file), k) })
    const n = cand.ids.length
    const cut = Math.min(n >= k ? kthSmallest(cand.upper, k) : Infinity, top.kth)
    const rows: number[] = []
    for (let i = 0; i < n; i++) if ((cand.lower[i] as number) <= cut) rows.push(cand.ids[i] as number)
    const m = rows.length
    if (m === 0) return false
    const reader = await fileReader(ctx, file, key)
    const vecs = await reader.readVectorsAt(rows, caches.vectorPages(key, file.fileSizeInBytes), column.primary ? undefined : column.name)
    let added = false
    for (let i = 0; i < m; i++) {
      plan.candidates++
      if (top.offer({ d: exact(vecs, i * dim), src, row: rows[i] as number })) added = true
    }
    return added
  }

  /** Searches one prepared file; returns whether it added rows to the current top k. */
  const searchOne = async (p: Prepared, src: number): Promise<boolean> => {
    const { file, fv, opts } = p
    if (fv === undefined) {
      plan.filesNoMatch++
      return false
    }
    if (fv.vectors === undefined) return searchCodes(p, fv.index as HnswIndex, src)
    const vectors = fv.vectors
    let res
    if (fv.index !== undefined) {
      plan.filesSearchedByIndex++
      // Cosine indexes rank by normalised copies, which can order candidates within indexSlack of
      // each other differently from the exact kernel: take those near the k-th as well.
      res = fv.index.search(query, k, { ...opts, ef: req.ef ?? router.ef(defaultEf(k, fv.index.size), router.rank.get(file), k), within: 2 * indexSlack })
    } else {
      plan.filesSearchedByScan++
      res = flatSearch(vectors, dim, metric, query, k, opts.filter === undefined ? {} : { filter: opts.filter })
    }
    // Every candidate that could still enter the top k is re-scored exactly, so index and scan
    // results merge on one scale; ones beyond the current k-th distance by more than the index's
    // own distances can differ from exact ones cannot, and are dropped unscored.
    const kth = top.kth
    const cut = kth === Infinity ? Infinity : kth + indexSlack
    let added = false
    for (let i = 0; i < res.ids.length; i++) {
      if ((res.distances[i] as number) > cut) break
      const id = res.ids[i] as number
      plan.candidates++
      if (top.offer({ d: exact(vectors, id * dim), src, row: id })) added = true
    }
    return added
  }

  // Files are searched one at a time in visit order, so each decision sees the top k of every
  // file before it; the I/O of the next `concurrency` files runs ahead.
  const concurrency = Math.max(1, req.concurrency ?? 4)
  const ahead = new Map<number, Promise<Prepared>>()
  const fetchAhead = (at: number): Promise<Prepared> => {
    const j = order[at] as number
    let p = ahead.get(j)
    if (p === undefined) {
      p = prepare((visit[j] as { live: LiveFile }).live)
      p.catch(() => undefined) // awaited below, or settled before the search returns
      ahead.set(j, p)
    }
    return p
  }
  /** Records the fate of the file at `pos` of the visit order (only for `explain()`). */
  const note = (pos: number, outcome: FileVisit['outcome']): void => {
    if (plan.files === undefined) return
    const v = visit[order[pos] as number] as { file: DataFile; bound: number }
    plan.files.push({ path: v.file.filePath, rows: v.file.recordCount, bound: Number.isFinite(v.bound) ? v.bound : null, rank: router.rank.get(v.file) ?? null, outcome })
  }
  try {
    let pos = 0
    while (pos < order.length) {
      const j = order[pos] as number
      const v = visit[j] as { file: DataFile; bound: number }
      const rank = router.rank.get(v.file)
      if (rank === undefined) {
        if (skip(v.bound)) {
          // Sorted by bound: every later file outside routing is pruned too.
          while (pos < order.length && rankOf(order[pos] as number) === undefined) { plan.filesPrunedByBound++; note(pos, 'pruned-bound'); pos++ }
          continue
        }
      } else {
        const step = router.step(v.file, rank, top.kth)
        if (step === 'stop') {
          plan.filesSkippedByRouting += order.length - pos
          for (let rest = pos; rest < order.length; rest++) note(rest, 'skipped-routing')
          break
        }
        if (step === 'skip') {
          plan.filesSkippedByRouting++
          note(pos, 'skipped-routing')
          pos++
          continue
        }
        if (skip(v.bound)) {
          plan.filesPrunedByBound++
          note(pos, 'pruned-bound')
          router.record(false)
          pos++
          continue
        }
      }
      for (let a = pos + 1; a < Math.min(order.length, pos + concurrency); a++) {
        // Routed files past those routing always searches may never be searched: read each when it is.
        const r = rankOf(order[a] as number)
        if (r !== undefined && !router.certain(r)) break
        void fetchAhead(a)
      }
      const prepared = await fetchAhead(pos)
      note(pos, prepared.fv === undefined ? 'no-match' : prepared.fv.index !== undefined ? 'index' : 'scan')
      const added = await searchOne(prepared, j)
      if (rank !== undefined) router.record(added)
      pos++
    }
  } finally {
    // No file I/O outlives the search (a closed table, an aborted query).
    await Promise.allSettled(ahead.values())
  }
  const tSearch = now()

  // Fetch only the winners' selected columns, one read per file.
  const winners = top.best
  const out: Record<string, unknown>[] = winners.map(() => ({}))
  const byFile = new Map<number, number[]>()
  winners.forEach((c, w) => {
    if (c.src < 0) {
      const b = buffers[-1 - c.src] as BufferedRows
      const src = b.rows[c.row] ?? {}
      const row: Record<string, unknown> = {}
      for (const col of select) row[col] = col === policy.column ? b.vectors.slice(c.row * policy.dim, (c.row + 1) * policy.dim) : (src[col] ?? null)
      out[w] = row
    } else {
      const list = byFile.get(c.src) ?? []
      list.push(w)
      byFile.set(c.src, list)
    }
  })
  await mapLimit([...byFile], concurrency, async ([src, ws]) => {
    const file = (visit[src] as { file: DataFile }).file
    const rows = await fetchFileRows(ctx, file, ws.map((w) => (winners[w] as Candidate).row), select)
    ws.forEach((w, j) => { out[w] = rows[j] as Record<string, unknown> })
  })
  winners.forEach((c, w) => { (out[w] as Record<string, unknown>)._distance = c.d })
  const ids = winners.map((c) => c.src < 0 ? rowId(buffers[-1 - c.src] as BufferedRows, c.row) : rowId((visit[c.src] as { file: DataFile }).file.filePath, c.row))
  const tEnd = now()

  const after = caches.counters
  plan.bytesRead = after.bytesRead - before.bytesRead
  plan.reads = after.reads - before.reads
  plan.cacheHits = { index: after.indexHits - before.indexHits, reader: after.readerHits - before.readerHits }
  plan.cacheMisses = { index: after.indexMisses - before.indexMisses, reader: after.readerMisses - before.readerMisses }
  plan.timingsMs = { plan: tPlan - t0, search: tSearch - tPlan, fetch: tEnd - tSearch, total: tEnd - t0 }
  plan.cacheBytes = caches.held()
  return { rows: out, plan, ids }
}

/**
 * The `select` columns of some rows of a data file: scalar columns from the cached whole columns
 * of small files, else from the pages holding the rows; vectors from the pages holding them.
 */
export async function fetchFileRows(ctx: SearchContext & { schema?: Schema }, file: DataFile, rowIds: readonly number[], select: readonly string[]): Promise<Record<string, unknown>[]> {
  const policy = requirePolicy(ctx.table)
  const { caches, table } = ctx
  const key = table.keyOf(file.filePath)
  const scalar = select.filter((c) => !isVectorColumn(policy, c))
  let rows: Record<string, unknown>[]
  const whole = scalar.length === 0 ? new Map<string, ArrayLike<unknown>>() : await cachedColumnValues(ctx, file, scalar)
  if (whole !== undefined) {
    rows = rowIds.map((r) => {
      const row: Record<string, unknown> = {}
      for (const [c, values] of whole) row[c] = values[r]
      return row
    })
  } else {
    const reader = await caches.reader(table.store, key, file.fileSizeInBytes, undefined, foreignHint(ctx))
    rows = await reader.readRows({ columns: scalar, rows: [...rowIds], ...(ctx.schema !== undefined && { schema: ctx.schema, identity: identityValues(table.metadata, file) }) })
  }
  // Every selected vector column comes back as Float32Arrays, read from the pages holding the rows.
  const vecs = new Map<string, { dim: number; values: Float32Array }>()
  for (const c of vectorColumns(policy)) {
    if (!select.includes(c.column)) continue
    const reader = await fileReader(ctx, file, key)
    vecs.set(c.column, { dim: c.dim, values: await reader.readVectorsAt(rowIds, caches.vectorPages(key, file.fileSizeInBytes), c.column === policy.column ? undefined : c.column) })
  }
  return rowIds.map((_, j) => {
    const src = rows[j] ?? {}
    const row: Record<string, unknown> = {}
    for (const col of select) {
      const v = vecs.get(col)
      row[col] = v !== undefined ? v.values.slice(j * v.dim, (j + 1) * v.dim) : src[col]
    }
    return row
  })
}

/**
 * The default HNSW beam per file. A graph of n nodes needs a beam growing roughly like n^0.6
 * for the same recall; 28·(n/10⁴)^0.6 (at least 2k, at most 512) was calibrated on GloVe
 * 100-d, the hardest real set we have, for recall@10 of about 0.96: 28 for 10k-row files,
 * about 110 at 100k, about 230 at 340k.
 */
/**
 * The default beam of a file searched on its codes. PQ distances are coarser than SQ8's (a byte
 * per sub-vector, not per dimension), so the beam doubles to keep recall@10 >= 0.95 (GloVe:
 * 0.936 at the SQ8 default, 0.959 at twice it; docs/guide.md, "Compact codes for wide embeddings").
 */
function codesEf(k: number, index: HnswIndex): number {
  const ef = defaultEf(k, index.size)
  return index.codesKind === 'pq' ? Math.min(512, 2 * ef) : ef
}

export function defaultEf(k: number, rows: number): number {
  return Math.min(512, Math.max(2 * k, Math.ceil(28 * Math.pow(Math.max(1, rows) / 10_000, 0.6))))
}
