/**
 * Table properties the CLI reads: the recorded embedder identity, and whether the schema is
 * still to be inferred.
 */
import type { Table } from '../index.js'

/** The embedder recorded in the table's properties, if any. */
export function recordedEmbedder(table: Table): { name: string; dim: number } | undefined {
  return table.embedder
}

/** True while the table's columns are still to be inferred from its first rows. */
export function schemaPending(table: Table): boolean {
  return table.properties['ailake.schema.inferred'] === 'pending'
}
