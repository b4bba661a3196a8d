/**
 * Table properties the CLI reads: where the embedder identity is recorded, and whether the
 * schema is still to be inferred. The public Table has no properties getter yet, so this reads
 * the loaded metadata's properties (one place to change when it does).
 */
import type { Table } from '../index.js'

/** Iceberg table properties recording the embedder that made a table's vectors. */
export const EMBEDDER_NAME = 'ailake.embedder.name'
export const EMBEDDER_DIM = 'ailake.embedder.dim'

interface WithProperties {
  properties?: Record<string, string>
  core?: { metadata?: { properties?: Record<string, string> } }
}

/** The table's Iceberg properties (read-only view). */
export function tableProperties(table: Table): Record<string, string> {
  const t = table as unknown as WithProperties
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
