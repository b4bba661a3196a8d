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
  /**
   * Vector columns after the first (`vector`), each with its own pages, centroid and radius and,
   * when given, its own index, in a column section (version 6) after the first section. Their
   * fields must be in `schema`; `columns` must not hold them.
   */
  extraVectors?: ExtraVectorInput[]
  /** Full-text index block (src/text builds it), stored at the end of the section (version 3). */
  text?: Uint8Array
  /** Rows per row group. Default: as many as fit in ~128 MiB of vector data, at most 1,000,000. */
  rowGroupRows?: number
}

/** A vector column after the first: its vectors and, optionally, its index (as `WriteDataFileInput.index`). */
export interface ExtraVectorInput {
  vector: VectorInput
  index?: { type: 'hnsw'; bytes: Uint8Array; codes?: Uint8Array }
}

export interface DataFileWritten {
  bytes: Uint8Array
  rowCount: number
  fileSize: number
  columnStats: ColumnStats[]
  vector: VectorFacts
  /** The facts of the `extraVectors` columns' sections, in their order. */
  extraVectors: VectorFacts[]
}
