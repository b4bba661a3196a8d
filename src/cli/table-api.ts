/**
 * The parts of the Table API the CLI reaches through shapes rather than types: search and the
 * streaming writer (so the CLI reports clearly if this build lacks them) and the table's
 * properties (where the embedder identity is recorded).
 */
import { AilakeError, type Row, type Table } from '../index.js'

/** Iceberg table properties recording the embedder that made a table's vectors. */
export const EMBEDDER_NAME = 'ailake.embedder.name'
export const EMBEDDER_DIM = 'ailake.embedder.dim'

export interface SearchQuery {
  limit(k: number): SearchQuery
  where(filter: string): SearchQuery
  select(columns: string[]): SearchQuery
  asOf(snapshot: bigint | string | Date): SearchQuery
  toArray(): Promise<Row[]>
}

export interface RowWriter {
  insert(rows: Row[]): Promise<unknown>
  flush(): Promise<unknown>
  waitForIndexes?(): Promise<void>
  close(): Promise<void>
}

interface Extended {
  search?: (vector: Float32Array | number[]) => SearchQuery
  memTableWriter?: (options: { flushMaxRows?: number; writerId?: string }) => RowWriter | Promise<RowWriter>
  waitForIndexes?: () => Promise<void>
  properties?: Record<string, string>
  core?: { metadata?: { properties?: Record<string, string> } }
}

/** Starts a vector search; `UNSUPPORTED` if this build's Table has no `search`. */
export function startSearch(table: Table, vector: Float32Array | number[]): SearchQuery {
  const t = table as unknown as Extended
  if (typeof t.search !== 'function') throw new AilakeError('UNSUPPORTED', 'this build of ailake has no table.search(); update ailake')
  return t.search.call(table, vector)
}

/** A MemTableWriter when the table offers one, else undefined (the caller falls back to add()). */
export async function openWriter(table: Table, flushMaxRows: number): Promise<RowWriter | undefined> {
  const t = table as unknown as Extended
  if (typeof t.memTableWriter !== 'function') return undefined
  // A writer id of its own per run: two concurrent inserts never share (and replay) one WAL.
  const writerId = `cli-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  return await t.memTableWriter.call(table, { flushMaxRows, writerId })
}

export async function waitForIndexes(table: Table): Promise<void> {
  const t = table as unknown as Extended
  if (typeof t.waitForIndexes === 'function') await t.waitForIndexes.call(table)
}

/** The table's Iceberg properties (read-only view). */
export function tableProperties(table: Table): Record<string, string> {
  const t = table as unknown as Extended
  return t.properties ?? t.core?.metadata?.properties ?? {}
}

/** The embedder recorded in the table's properties, if any. */
export function recordedEmbedder(table: Table): { name: string; dim: number } | undefined {
  const p = tableProperties(table)
  const name = p[EMBEDDER_NAME]
  if (name === undefined || name === '') return undefined
  return { name, dim: Number(p[EMBEDDER_DIM] ?? table.vector.dim) }
}

/** True while the table's columns are still to be inferred from its first rows. */
export function schemaPending(table: Table): boolean {
  return tableProperties(table)['ailake.schema.inferred'] === 'pending'
}
