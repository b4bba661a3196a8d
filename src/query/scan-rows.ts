/**
 * Reading a table's live rows without a query vector: every table, including tables other
 * engines wrote that have no vector column. Files are planned first (statistics rule files
 * out before any is opened), then read one at a time, so memory holds one file's columns.
 */
import { vectorColumnNames } from '../table/vector-policy.js'
import { planPruned } from './partition-prune.js'
import { invalid } from '../errors.js'
import type { AsOf } from '../table/iceberg-table.js'
import { checkOptions, type OptionKeys } from '../util/options.js'
import { bitAllowed } from '../vector-index/filter.js'
import { checkInt64As, convertInt64, type Int64As } from './builder.js'
import type { FileRowsContext } from './file-rows.js'
import { foreignHint, liveRows } from './file-rows.js'
import { bindFilter, fileMayMatch, filterColumns, matchesRow } from './filter-bind.js'
import type { Filter } from './filter-types.js'
import { identityValues } from '../table/partition.js'

export interface ScanOptions {
  /** Rows to keep (the filter language of `search().where()`). */
  where?: string | Filter
  /** Columns to return (default: every column except the vector column). */
  select?: readonly string[]
  /** Snapshot id, timestamp or tag name to read as of (default: the current snapshot). */
  asOf?: AsOf
  /** Stop after this many rows. */
  limit?: number
  /** How `long` columns come back (default: the connection's, else `'bigint'`). */
  int64?: Int64As
}

export const SCAN_OPTION_KEYS = { where: true, select: true, asOf: true, limit: true, int64: true } as const satisfies OptionKeys<ScanOptions>

/**
 * The live rows matching `options`, file by file, in the order the snapshot lists its files.
 * Options, columns and the filter are checked at once (before any I/O), not on first iteration.
 */
export function scanRows(ctx: Omit<FileRowsContext, 'schema'>, options: ScanOptions = {}, int64Default: Int64As = 'bigint'): AsyncIterable<Record<string, unknown>> {
  checkOptions(options, SCAN_OPTION_KEYS, 'scan()')
  const limit = options.limit ?? Infinity
  if (!(limit === Infinity || (Number.isSafeInteger(limit) && limit >= 0))) throw invalid(`scan(): limit must be a non-negative integer, got ${String(options.limit)}`)
  const int64 = options.int64 === undefined ? int64Default : checkInt64As(options.int64, 'scan()')
  const { table } = ctx
  const snapshot = table.resolveSnapshot(options.asOf)
  const schema = table.schemaAt(options.asOf)
  const vectorColumn = table.policy?.column
  const filter = options.where === undefined ? undefined : bindFilter(options.where, schema, vectorColumnNames(table.policy))
  const select = options.select === undefined ? schema.fields.filter((f) => f.name !== vectorColumn).map((f) => f.name) : [...new Set(options.select)]
  for (const c of select) {
    if (!schema.fields.some((f) => f.name === c)) throw invalid(`scan(): unknown column ${JSON.stringify(c)}; columns are case-sensitive, valid columns: ${schema.fields.map((f) => f.name).join(', ')}`, { column: c })
  }
  const scalar = select.filter((c) => c !== vectorColumn)
  const columns = [...new Set([...scalar, ...(filter === undefined ? [] : filterColumns(filter))])]
  const withVectors = vectorColumn !== undefined && select.includes(vectorColumn)
  const dim = table.policy?.dim ?? 0
  const rctx: FileRowsContext = { ...ctx, schema }
  return (async function* rows(): AsyncGenerator<Record<string, unknown>> {
    let left = limit
    if (left === 0) return
    const { files, pruner } = await planPruned(ctx, snapshot, filter, schema)
    for (const live of files) {
      const file = live.dataFile
      if (file.recordCount === 0 || pruner?.file(file) === false || (filter !== undefined && !fileMayMatch(filter, file))) continue
      const reader = await ctx.caches.reader(table.store, table.keyOf(file.filePath), file.fileSizeInBytes, undefined, foreignHint(ctx))
      const [read, mask, vectors] = await Promise.all([
        reader.readRows({ columns, schema, identity: identityValues(table.metadata, file) }),
        liveRows(rctx, live),
        withVectors ? reader.readVectors() : Promise.resolve(undefined),
      ])
      for (let i = 0; i < read.length; i++) {
        const src = read[i] as Record<string, unknown>
        if ((mask !== undefined && !bitAllowed(mask, i)) || (filter !== undefined && !matchesRow(filter, src))) continue
        const row: Record<string, unknown> = {}
        for (const c of select) row[c] = c === vectorColumn ? vectors?.slice(i * dim, (i + 1) * dim) : src[c]
        if (int64 !== 'bigint') convertInt64([row], int64)
        yield row
        if (--left === 0) return
      }
    }
  })()
}
