/**
 * Reading what a query needs of one data file: scalar columns (small files whole, through a
 * byte-bounded cache), and which rows its delete files leave live.
 */
import type { ForeignVector } from '../format/data-file.js'
import type { DataFile } from '../format/iceberg/types.js'
import { typeName, type Schema } from '../format/schema.js'
import { deletedPositions } from '../table/deletes.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import type { LiveFile } from '../table/scan.js'
import type { LiveMask, QueryCaches } from './caches.js'
import { identityValues } from '../table/partition.js'

/** The table and caches a read goes through. */
export interface FileRowsContext {
  table: IcebergTable
  caches: QueryCaches
  /**
   * The schema columns are named and typed by (default: the table's current schema); files
   * written under older schemas are read through it by field id.
   */
  schema?: Schema
}

function readSchema(ctx: FileRowsContext): Schema {
  return ctx.schema ?? ctx.table.schema
}

/** Scalar columns of small files are read whole and cached; larger ones are read row by row. */
const WHOLE_COLUMNS_MAX_BYTES = 8 * 2 ** 20

function columnBytes(file: DataFile, schema: Schema, columns: readonly string[]): number {
  let sum = 0
  for (const c of columns) {
    const id = schema.fields.find((f) => f.name === c)?.id
    sum += (id === undefined ? undefined : file.columnSizes?.get(id)) ?? 16 * file.recordCount
  }
  return sum
}

/** Cache keys of columns: by field id and type too, as one name may mean another column under another schema. */
function cachedNames(schema: Schema, columns: readonly string[]): string[] {
  return columns.map((c) => {
    const f = schema.fields.find((x) => x.name === c)
    return f === undefined ? c : `${c}#${f.id}#${typeName(f.type)}`
  })
}

async function wholeColumns(ctx: FileRowsContext, file: DataFile, columns: readonly string[]): Promise<Record<string, unknown>[] | undefined> {
  const schema = readSchema(ctx)
  const bytes = columnBytes(file, schema, columns)
  if (bytes > WHOLE_COLUMNS_MAX_BYTES) return undefined
  const key = ctx.table.keyOf(file.filePath)
  // Decoded JS values take several times their encoded size.
  return ctx.caches.columnRows(key, file.fileSizeInBytes, cachedNames(schema, columns), 4 * bytes + 64 * file.recordCount, async () => {
    const reader = await ctx.caches.reader(ctx.table.store, key, file.fileSizeInBytes, undefined, foreignHint(ctx))
    return reader.readRows({ columns: [...columns], schema, identity: identityValues(ctx.table.metadata, file) })
  })
}

/** Every row of some scalar columns of a file (cached whole for small files). */
export async function readColumns(ctx: FileRowsContext, file: DataFile, columns: string[]): Promise<Record<string, unknown>[]> {
  const rows = await wholeColumns(ctx, file, columns)
  if (rows !== undefined) return rows
  const reader = await ctx.caches.reader(ctx.table.store, ctx.table.keyOf(file.filePath), file.fileSizeInBytes, sectionOf(file), foreignHint(ctx))
  return reader.readRows({ columns, schema: readSchema(ctx), identity: identityValues(ctx.table.metadata, file) })
}

/**
 * Every row of some scalar columns of a file as one array per column (no object per row), for
 * filters evaluated over a whole file; cached for small files.
 */
export async function readColumnValues(ctx: FileRowsContext, file: DataFile, columns: readonly string[]): Promise<Map<string, ArrayLike<unknown>>> {
  return (await columnValuesOf(ctx, file, columns, false)) as Map<string, ArrayLike<unknown>>
}

/**
 * The cached whole columns of a small file, as one array per column; undefined for a file whose
 * columns are too large to cache (read its rows by page instead). How a search fetches its
 * winners' columns: arrays cost a few bytes a row where row objects cost ~64, so a table's
 * small columns stay resident instead of being decoded again on every query.
 */
export async function cachedColumnValues(ctx: FileRowsContext, file: DataFile, columns: readonly string[]): Promise<Map<string, ArrayLike<unknown>> | undefined> {
  return columnValuesOf(ctx, file, columns, true)
}

async function columnValuesOf(ctx: FileRowsContext, file: DataFile, columns: readonly string[], onlyCached: boolean): Promise<Map<string, ArrayLike<unknown>> | undefined> {
  const schema = readSchema(ctx)
  const key = ctx.table.keyOf(file.filePath)
  const read = async (): Promise<Map<string, ArrayLike<unknown>>> => {
    const reader = await ctx.caches.reader(ctx.table.store, key, file.fileSizeInBytes, sectionOf(file), foreignHint(ctx))
    return reader.readColumnValues({ columns: [...columns], schema, identity: identityValues(ctx.table.metadata, file) })
  }
  const bytes = columnBytes(file, schema, columns)
  if (bytes > WHOLE_COLUMNS_MAX_BYTES) return onlyCached ? undefined : read()
  return ctx.caches.columnValues(key, file.fileSizeInBytes, cachedNames(schema, columns), 2 * bytes + 8 * columns.length * file.recordCount, read)
}

/** Where the section of an ailake file is, from table metadata (saves locating it). */
function sectionOf(file: DataFile): { offset: number; length: number } | undefined {
  const facts = file.ailake
  return facts !== undefined && facts.indexType === 'hnsw' ? { offset: facts.sectionOffset, length: facts.sectionLength } : undefined
}

/** The rows of a live file its delete files leave (a bitset), or undefined when none is deleted. */
export async function liveRows(ctx: FileRowsContext, lf: LiveFile): Promise<Uint8Array | undefined> {
  return (await liveMask(ctx, lf))?.bits
}

/**
 * Cache keys of live files' masks. A planned snapshot's LiveFile objects are cached and reused
 * by every query over it, so a query looks its masks up without building keys from paths.
 */
const maskKeys = new WeakMap<LiveFile, string>()

/** The rows of a live file its delete files leave and their count, or undefined when none is deleted; computed once per file and delete set. */
export function liveMask(ctx: FileRowsContext, lf: LiveFile): Promise<LiveMask | undefined> {
  if (lf.deletes.length === 0) return Promise.resolve(undefined)
  const file = lf.dataFile
  let key = maskKeys.get(lf)
  if (key === undefined) {
    key = `${file.filePath}\u0000${lf.deletes.map((d) => d.file.filePath).sort().join('\u0000')}`
    maskKeys.set(lf, key)
  }
  return ctx.caches.liveMask(key, file.recordCount, async () => {
    const gone = await deletedPositions({ cache: ctx.table.cache, schema: readSchema(ctx) }, lf, (columns) => readColumns(ctx, file, columns))
    if (gone.length === 0) return undefined
    const bits = new Uint8Array((file.recordCount + 7) >> 3).fill(0xff)
    for (const p of gone) bits[p >> 3] = (bits[p >> 3] as number) & ~(1 << (p & 7))
    // Bits past the last row are never allowed (search reads them as rows of nothing).
    for (let p = file.recordCount; p < bits.length * 8; p++) bits[p >> 3] = (bits[p >> 3] as number) & ~(1 << (p & 7))
    return { bits, allowed: file.recordCount - gone.length }
  })
}

export function intersect(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) & (b[i] ?? 0)
  return out
}

/**
 * How to read the vector column of a file another engine wrote (no ailake section); undefined
 * for a table without a vector column, whose files are read as plain Parquet.
 */
export function foreignHint(ctx: FileRowsContext): ForeignVector | undefined {
  const p = ctx.table.policy
  return p === undefined ? undefined : { column: p.column, dim: p.dim, metric: p.metric }
}
