import type { ColumnStats, Schema } from '../schema.js'
import type { Metric, Precision } from '../../vector/types.js'

/** Index types a section can carry. `none`: centroid and radius only (index built later). */
export type IndexType = 'none' | 'hnsw'

/** What a data file's ailake section says about its vector column. */
export interface VectorFacts {
  column: string
  /** Iceberg field id of the vector column. */
  fieldId: number
  dim: number
  metric: Metric
  precision: Precision
  rowCount: number
  centroid: Float32Array
  radius: number
  indexType: IndexType
  /** Absolute offset of the whole section: one ranged read of `sectionLength` bytes loads it. */
  sectionOffset: number
  sectionLength: number
}

export interface VectorInput {
  fieldId: number
  column: string
  dim: number
  metric: Metric
  precision: Precision
  /** count × dim values, already validated (finite, right dimension). */
  vectors: Float32Array
  /**
   * The vectors already in their stored encoding (count × row bytes, as `readVectorValues`
   * returns them), written as they are: a rewrite then stores exactly the vectors it read.
   * `vectors` must be their decoding.
   */
  stored?: Uint8Array
}

export interface WriteDataFileInput {
  schema: Schema
  /** Non-vector columns by field id, in the JS representations of schema.ts (null for missing optional values). */
  columns: Map<number, unknown[]>
  vector: VectorInput
  /**
   * Opaque index payload (the index layer serialises it), and the SQ8 codes its quantised
   * traversal reads (src/vector/sq8-block.ts), stored next to it so a search need not read the
   * vectors. Omit for a file indexed later.
   */
  index?: { type: 'hnsw'; bytes: Uint8Array; codes?: Uint8Array }
  /** Full-text index block (src/text builds it), stored at the end of the section (version 3). */
  text?: Uint8Array
  /** Rows per row group. Default: as many as fit in ~128 MiB of vector data, at most 1,000,000. */
  rowGroupRows?: number
}

export interface DataFileWritten {
  bytes: Uint8Array
  rowCount: number
  fileSize: number
  columnStats: ColumnStats[]
  vector: VectorFacts
}
