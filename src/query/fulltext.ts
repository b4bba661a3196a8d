/**
 * BM25 full-text search over one snapshot of a table plus the buffered rows of open writers.
 * Each data file's own index block (or, for a file written without one, an index built from
 * its rows when first queried) gives per-file statistics over its visible rows; they are summed
 * before any row is scored, so scores do not depend on how rows are split into files. Files
 * that hold none of a required term are not scored; where-filters apply to matching rows, and
 * only the winners' selected columns are fetched.
 */
import { constrainsPartitions, PartitionPruner } from './partition-prune.js'
import { AilakeError, invalid } from '../errors.js'
import { readTextBlockAt } from '../format/data-file.js'
import type { DataFile } from '../format/iceberg/types.js'
import type { Schema } from '../format/schema.js'
import type { BufferedRows } from '../ingest/buffer.js'
import { pinSnapshot } from '../table/pins.js'
import type { LiveFile } from '../table/scan.js'
import type { AsOf } from '../table/iceberg-table.js'
import { vectorColumnNames, type FullTextPolicy } from '../table/vector-policy.js'
import { addSegmentStats, clauseTerms, emptyStats, parseTextQuery, scoreSegment, segmentCannotMatch, type TextClause, type TextSegment } from '../text/bm25.js'
import { buildTextIndex, decodeTextIndex, type TextIndex } from '../text/text-index.js'
import { mapLimit } from '../util/limiter.js'
import { bitsetFromIds } from '../vector-index/filter.js'
import type { CacheCounters } from './caches.js'
import { liveRows, readColumns } from './file-rows.js'
import { bindFilter, fileMayMatch, filterColumns, matchesRow } from './filter-bind.js'
import type { Filter } from './filter-types.js'
import { fetchFileRows, requirePolicy, resolveSelect, type SearchContext } from './search.js'
import { bufferedVisibility, hideSuperseded, rowId } from './visibility.js'

export interface TextSearchRequest {
  query: string
  /** Full-text columns to search. Default: all the table's. */
  columns?: string[]
  k: number
  filter?: string | Filter
  select?: string[]
  asOf?: AsOf
  /** Include MemTableWriter buffers. Default true. */
  includeBuffered?: boolean
  /** Files read at once. Default 4. */
  concurrency?: number
}

/** What `explain()` reports for a full-text search. */
export interface TextSearchPlan {
  snapshotId: bigint | null
  /** The parsed query: analysed terms, phrase or term, required or not. */
  clauses: Array<{ terms: string[]; phrase: boolean; required: boolean }>
  columns: string[]
  filesTotal: number
  /** Files whose column statistics rule out the filter (still counted in the BM25 statistics). */
  filesPrunedByStats: number
  /** Files holding none of a required clause's terms in the searched columns: not scored. */
  filesSkippedByTerms: number
  filesScored: number
  /** Files without a full-text block for these columns (written before the table had them): indexed from their rows when read. */
  filesIndexedOnRead: number
  bufferedRows: number
  /** Visible rows in the statistics (N), and the document frequency of each term per column. */
  statsRows: number
  df: Record<string, Record<string, number>>
  /** Rows that matched (before the filter and the limit). */
  matches: number
  bytesRead: number
  reads: number
  timingsMs: { plan: number; stats: number; score: number; fetch: number; total: number }
}

export interface TextSearchResult {
  rows: Record<string, unknown>[]
  plan: TextSearchPlan
  ids: string[]
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now())

function requireFullText(ctx: SearchContext): FullTextPolicy {
  const ft = ctx.table.policy?.fullText
  if (ft === undefined) {
    throw new AilakeError('UNSUPPORTED', `table ${ctx.table.name} has no full-text columns; create a table with them (the fullText option of createTable, --fts of ailake create)`)
  }
  return ft
}

/** The columns a query searches: the given ones, each a full-text column of the table. */
export function resolveTextColumns(ctx: SearchContext, columns: readonly string[] | undefined): string[] {
  const ft = requireFullText(ctx)
  if (columns === undefined) return [...ft.columns]
  if (!Array.isArray(columns) || columns.length === 0) throw invalid('fullTextSearch(): columns must be a non-empty array of full-text column names')
  for (const c of columns) {
    if (!ft.columns.includes(c)) throw invalid(`fullTextSearch(): ${JSON.stringify(c)} is not a full-text column of ${ctx.table.name}; full-text columns: ${ft.columns.join(', ')}`, { column: c })
  }
  return [...new Set(columns)]
}

/** Runs a full-text search. Input is checked before any I/O. */
export async function executeTextSearch(base: SearchContext, req: TextSearchRequest): Promise<TextSearchResult> {
  const t0 = now()
  const { table, caches } = base
  // An older snapshot is read under the schema it had: names in filters and selects, and
  // columns matched to files by field id.
  const ctx: ReadContext = { ...base, schema: table.schemaAt(req.asOf) }
  const policy = requirePolicy(table)
  const ft = requireFullText(ctx)
  if (typeof req.query !== 'string') throw invalid(`fullTextSearch(): the query must be a string, got ${typeof req.query}`)
  const columns = resolveTextColumns(ctx, req.columns)
  const clauses = parseTextQuery(req.query, ft.language)
  const filter = req.filter === undefined ? undefined : bindFilter(req.filter, ctx.schema, vectorColumnNames(policy))
  const select = resolveSelect(ctx.schema, policy, req.select)
  const before: CacheCounters = { ...caches.counters }
  // Buffers and the snapshot are read in one synchronous step, as in vector search.
  const meta = table.metadata
  const buffers = req.includeBuffered === false || ctx.buffered === undefined || req.asOf !== undefined ? [] : ctx.buffered().filter((b) => b.rows.length > 0)
  const snapshotId = table.resolveSnapshot(req.asOf)
  const unpin = pinSnapshot(meta.tableUuid, snapshotId)
  try {
    const files = await caches.plan(`${meta.tableUuid}@${table.location}@${String(snapshotId)}`, () => table.planFiles(snapshotId))
    const plan: TextSearchPlan = {
      snapshotId, columns, clauses: clauses.map((c) => ({ terms: c.terms, phrase: c.terms.length > 1, required: c.required })),
      filesTotal: files.length, filesPrunedByStats: 0, filesSkippedByTerms: 0, filesScored: 0, filesIndexedOnRead: 0, bufferedRows: 0,
      statsRows: 0, df: {}, matches: 0, bytesRead: 0, reads: 0, timingsMs: { plan: now() - t0, stats: 0, score: 0, fetch: 0, total: 0 },
    }
    const { views, hidden } = bufferedVisibility(buffers, meta)
    for (const v of views) plan.bufferedRows += v.buffer.rows.length
    const out = clauses.length === 0 ? { rows: [], ids: [] } : await scoreAndFetch(ctx, { ft, columns, clauses, filter, select, files, views, hidden, k: req.k, concurrency: Math.max(1, req.concurrency ?? 4), plan, pruner: filter !== undefined && constrainsPartitions(filter, meta) ? new PartitionPruner(filter, meta, ctx.schema) : undefined })
    const after = caches.counters
    plan.bytesRead = after.bytesRead - before.bytesRead
    plan.reads = after.reads - before.reads
    plan.timingsMs.total = now() - t0
    return { rows: out.rows, ids: out.ids, plan }
  } finally {
    unpin()
  }
}

/** A search's context with the schema its snapshot is read under. */
type ReadContext = SearchContext & { schema: Schema }

interface Scoring {
  ft: FullTextPolicy
  columns: string[]
  clauses: TextClause[]
  filter: ReturnType<typeof bindFilter> | undefined
  select: string[]
  files: LiveFile[]
  views: ReturnType<typeof bufferedVisibility>['views']
  hidden: ReturnType<typeof bufferedVisibility>['hidden']
  k: number
  concurrency: number
  plan: TextSearchPlan
  /** Skips scoring files of partitions the filter excludes. */
  pruner: PartitionPruner | undefined
}

interface Hit { score: number; src: number; row: number }

async function scoreAndFetch(ctx: ReadContext, s: Scoring): Promise<{ rows: Record<string, unknown>[]; ids: string[] }> {
  const { plan, columns, clauses, filter } = s
  const t1 = now()
  // Segments: data files (src >= 0, plan order), then buffers (src = -1 - buffer index).
  const files = s.files.filter((lf) => lf.dataFile.recordCount > 0)
  const fileSegs = await mapLimit(files, s.concurrency, async (lf): Promise<TextSegment> => {
    const index = await fileTextIndex(ctx, lf.dataFile, s.ft, plan)
    return { index, visible: await hideSuperseded(ctx, lf.dataFile, await liveRows(ctx, lf), s.hidden) }
  })
  const bufSegs = s.views.map(({ buffer, visible }): TextSegment | undefined => {
    const n = buffer.rows.length
    if (n === 0 || visible?.length === 0) return undefined
    return { index: rowsTextIndex(buffer.rows, n, s.ft), visible: visible === undefined ? undefined : bitsetFromIds(visible, n) }
  })
  const terms = clauseTerms(clauses)
  const stats = emptyStats(columns)
  for (const seg of [...fileSegs, ...bufSegs]) if (seg !== undefined) addSegmentStats(stats, seg, columns, terms)
  plan.statsRows = stats.rows
  for (const c of columns) plan.df[c] = Object.fromEntries(stats.df.get(c) ?? [])
  const t2 = now()
  plan.timingsMs.stats = t2 - t1

  const hits: Hit[] = []
  const take = (scores: Map<number, number>, src: number, rowsOf: (() => Promise<Record<string, unknown>[]>) | undefined): Promise<void> | void => {
    plan.matches += scores.size
    if (scores.size === 0) return
    if (filter === undefined || rowsOf === undefined) {
      for (const [row, score] of scores) hits.push({ score, src, row })
      return
    }
    return rowsOf().then((rows) => {
      for (const [row, score] of scores) if (matchesRow(filter, rows[row] ?? {})) hits.push({ score, src, row })
    })
  }
  await mapLimit(files.map((lf, i) => [lf, i] as const), s.concurrency, async ([lf, i]) => {
    const seg = fileSegs[i] as TextSegment
    const file = lf.dataFile
    // Statistics count every file (they are table-wide); only scoring skips other partitions.
    if (filter !== undefined && (!fileMayMatch(filter, file) || s.pruner?.file(file) === false)) {
      plan.filesPrunedByStats++
      return
    }
    if (segmentCannotMatch(seg, clauses, columns)) {
      plan.filesSkippedByTerms++
      return
    }
    plan.filesScored++
    await take(scoreSegment(seg, clauses, columns, stats), i, filter === undefined ? undefined : () => readColumns(ctx, file, filterColumns(filter)))
  })
  await Promise.all(bufSegs.map((seg, bi) => {
    if (seg === undefined) return undefined
    const b = (s.views[bi] as { buffer: BufferedRows }).buffer
    return take(scoreSegment(seg, clauses, columns, stats), -1 - bi, filter === undefined ? undefined : () => Promise.resolve(b.rows))
  }))
  hits.sort((a, b) => b.score - a.score || a.src - b.src || a.row - b.row)
  const winners = hits.slice(0, s.k)
  const t3 = now()
  plan.timingsMs.score = t3 - t2

  const out: Record<string, unknown>[] = winners.map(() => ({}))
  const byFile = new Map<number, number[]>()
  const policy = requirePolicy(ctx.table)
  winners.forEach((h, w) => {
    if (h.src >= 0) {
      byFile.set(h.src, [...(byFile.get(h.src) ?? []), w])
      return
    }
    const b = (s.views[-1 - h.src] as { buffer: BufferedRows }).buffer
    const src = b.rows[h.row] ?? {}
    const row: Record<string, unknown> = {}
    for (const col of s.select) row[col] = col === policy.column ? b.vectors.slice(h.row * policy.dim, (h.row + 1) * policy.dim) : (src[col] ?? null)
    out[w] = row
  })
  await mapLimit([...byFile], s.concurrency, async ([src, ws]) => {
    const rows = await fetchFileRows(ctx, (files[src] as LiveFile).dataFile, ws.map((w) => (winners[w] as Hit).row), s.select)
    ws.forEach((w, j) => { out[w] = rows[j] as Record<string, unknown> })
  })
  winners.forEach((h, w) => { (out[w] as Record<string, unknown>)._score = h.score })
  plan.timingsMs.fetch = now() - t3
  const ids = winners.map((h) => h.src >= 0 ? rowId((files[h.src] as LiveFile).dataFile.filePath, h.row) : rowId((s.views[-1 - h.src] as { buffer: BufferedRows }).buffer, h.row))
  return { rows: out, ids }
}

/** An index over in-memory rows (buffered rows, or a file written without a block). */
function rowsTextIndex(rows: readonly Record<string, unknown>[], n: number, ft: FullTextPolicy): TextIndex {
  return decodeTextIndex(buildTextIndex(ft.columns.map((name) => ({ fieldId: 0, name, values: rows.map((r) => r[name] ?? null) })), n, ft.language), n)
}

/**
 * The full-text index of a data file: its own block when it has one for the table's analyser and
 * columns, else one built from its rows (a file written before the table had full-text columns).
 */
function fileTextIndex(ctx: ReadContext, file: DataFile, ft: FullTextPolicy, plan: TextSearchPlan): Promise<TextIndex> {
  const { table, caches } = ctx
  const key = table.keyOf(file.filePath)
  return caches.textIndex(key, file.fileSizeInBytes, `${ft.language}:${JSON.stringify(ft.columns)}`, async () => {
    const facts = file.ailake
    if (facts !== undefined && facts.sectionLength > 0) {
      const block = await readTextBlockAt(caches.source(table.store, key, file.fileSizeInBytes), { offset: facts.sectionOffset, length: facts.sectionLength })
      if (block !== undefined) {
        const index = decodeTextIndex(block, file.recordCount)
        if (index.language === ft.language && ft.columns.every((c) => index.columns.has(c))) return index
      }
    }
    plan.filesIndexedOnRead++
    const present = ft.columns.filter((c) => ctx.schema.fields.some((f) => f.name === c))
    const rows = present.length === 0 ? new Array<Record<string, unknown>>(file.recordCount).fill({}) : await readColumns(ctx, file, present)
    return rowsTextIndex(rows, file.recordCount, ft)
  })
}
