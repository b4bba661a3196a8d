/**
 * Which rows of a live data file its delete files delete: the union of the positions its
 * position delete files name, and of the rows whose equality columns match a row of one of its
 * equality delete files (nulls match nulls, as the spec says).
 */
import { AilakeError } from '../errors.js'
import type { Field, Schema } from '../format/schema.js'
import type { ManifestCache } from './manifest-cache.js'
import type { LiveFile } from './scan.js'

export interface DeleteContext {
  cache: ManifestCache
  /** The table's current schema: equality ids are resolved against it. */
  schema: Schema
}

/** Reads columns (by name) of every row of the data file, in row order. */
export type ColumnReader = (columns: string[]) => Promise<Record<string, unknown>[]>

/** Positions of `live` deleted by its delete files, ascending and distinct (empty when none). */
export async function deletedPositions(ctx: DeleteContext, live: LiveFile, readColumns: ColumnReader): Promise<number[]> {
  if (live.deletes.length === 0) return []
  const path = live.dataFile.filePath
  const deleted = new Set<number>()
  for (const d of live.deletes) {
    if (d.file.content === 'position-deletes') {
      for (const p of (await ctx.cache.positionDeletes(d.file)).get(path) ?? []) if (p < live.dataFile.recordCount) deleted.add(p)
      continue
    }
    const fields = equalityFields(ctx.schema, d.file.equalityIds ?? [], d.file.filePath)
    const keys = new Set((await ctx.cache.equalityDeletes(d.file, fields)).map((r) => rowKey(r, fields)))
    if (keys.size === 0) continue
    const rows = await readColumns(fields.map((f) => f.name))
    rows.forEach((r, i) => { if (keys.has(rowKey(r, fields))) deleted.add(i) })
  }
  return [...deleted].sort((a, b) => a - b)
}

/** Live row count of a data file given its deleted positions. */
export function liveRowCount(live: LiveFile, deleted: readonly number[]): number {
  return live.dataFile.recordCount - deleted.length
}

function equalityFields(schema: Schema, ids: readonly number[], file: string): Field[] {
  if (ids.length === 0) throw new AilakeError('CORRUPT_DATA', `equality delete file ${file} names no equality columns`, { context: { path: file } })
  return ids.map((id) => {
    const f = schema.fields.find((x) => x.id === id)
    if (f === undefined || typeof f.type !== 'string') {
      throw new AilakeError('UNSUPPORTED', `equality delete file ${file} deletes by field id ${id}, which is not a primitive column of the current schema; ailake cannot apply it`, { context: { path: file, fieldId: id } })
    }
    return f
  })
}

/** A canonical text key of a row's values for `fields` (bigint, Date and bytes included). */
export function rowKey(row: Record<string, unknown>, fields: readonly Field[]): string {
  return JSON.stringify(fields.map((f) => normalizeKey(row[f.name])))
}

/** One comparable representation per key value (an integer as number or bigint is one key; dates and bytes by value). */
export function normalizeKey(v: unknown): unknown {
  if (v === undefined || v === null) return null
  if (typeof v === 'bigint') return `n${v}`
  if (typeof v === 'number') return Number.isInteger(v) ? `n${v}` : v
  if (v instanceof Date) return `d${v.getTime()}`
  if (v instanceof Uint8Array) return `b${Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('')}`
  return v
}
