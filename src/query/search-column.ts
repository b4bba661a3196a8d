/**
 * The vector column a search reads (`search(v, { column })`): its policy, where each data file
 * keeps that column's facts (the manifest entry's `ailake` for the primary column, one of its
 * `columns` for another) and the vectors buffered rows hold in it.
 */
import { AilakeError } from '../errors.js'
import type { DataFile } from '../format/iceberg/types.js'
import type { VectorFacts } from '../format/data-file.js'
import type { BufferedRows } from '../ingest/buffer.js'
import { storedVectors } from '../table/data-writer.js'
import type { VectorColumnPolicy, VectorPolicy } from '../table/vector-policy.js'

/** The vector column a search reads: its policy and where each file keeps its facts. */
export interface ColumnTarget {
  name: string
  primary: boolean
  policy: VectorColumnPolicy
  /** The file's facts for this column (its column section's, for a column after the primary one); undefined when it has none. */
  facts(file: DataFile): VectorFacts | Omit<VectorFacts, 'fieldId'> | undefined
}

export function columnTarget(policy: VectorPolicy, col: VectorColumnPolicy): ColumnTarget {
  const primary = col.column === policy.column
  return {
    name: col.column, primary, policy: col,
    facts: primary ? (file) => file.ailake : (file) => file.ailake?.columns?.find((c) => c.column === col.column),
  }
}

export function sectionOf(facts: { indexType: string; sectionOffset: number; sectionLength: number } | undefined): { offset: number; length: number } | undefined {
  return facts === undefined || facts.sectionLength === 0 ? undefined : { offset: facts.sectionOffset, length: facts.sectionLength }
}

/** The vectors of buffered rows in column `column`: the primary column's, or those each row holds, as a reader will decode them. */
export function bufferedVectors(b: BufferedRows, column: ColumnTarget): Float32Array {
  if (column.primary) return b.vectors
  const { dim } = column.policy
  const out = new Float32Array(b.rows.length * dim)
  b.rows.forEach((r, i) => {
    const v = r[column.name]
    if (!(v instanceof Float32Array) || v.length !== dim) throw new AilakeError('INTERNAL', `buffered row ${i} holds no ${dim}-d vector in column ${column.name}`)
    out.set(v, i * dim)
  })
  return storedVectors(out, column.policy)
}

