/**
 * The camelCase model of Iceberg v2 table metadata, manifest lists and manifests as ailake
 * uses it. Spec names (kebab-case JSON keys, snake_case Avro fields) appear only inside the
 * codecs of this folder. 64-bit ids and sequence numbers are `bigint`; sizes and counts are
 * `number` (they stay far below 2^53).
 */
import type { Schema } from '../schema.js'
import type { VectorFacts } from '../parquet/types.js'

export type { Schema }

export interface PartitionField {
  sourceId: number
  fieldId: number
  name: string
  /** Iceberg transform text: `identity`, `bucket[16]`, `truncate[4]`, `year`, `month`, `day`, `hour`, `void`. */
  transform: string
}

export interface PartitionSpec {
  specId: number
  fields: PartitionField[]
}

export interface SortOrder {
  orderId: number
  /** Kept verbatim (sort fields are not interpreted by ailake yet). */
  fields: unknown[]
}

export type SnapshotOperation = 'append' | 'replace' | 'overwrite' | 'delete'

export interface Snapshot {
  snapshotId: bigint
  parentSnapshotId?: bigint
  sequenceNumber: bigint
  timestampMs: number
  /** The manifest list; v1 snapshots may instead list their manifests in `manifests`. */
  manifestList?: string
  /** v1 only: the snapshot's manifests, when it has no manifest list. */
  manifests?: string[]
  summary: { operation: SnapshotOperation; [k: string]: string }
  schemaId: number
}

export interface SnapshotRef {
  snapshotId: bigint
  type: 'branch' | 'tag'
}

export interface TableMetadata {
  /** Tables are read at 1 or 2 and written at 2. */
  formatVersion: 1 | 2
  tableUuid: string
  location: string
  lastSequenceNumber: bigint
  lastUpdatedMs: number
  lastColumnId: number
  schemas: Schema[]
  currentSchemaId: number
  partitionSpecs: PartitionSpec[]
  defaultSpecId: number
  lastPartitionId: number
  properties: Record<string, string>
  /** `null` when the table has no snapshot yet (written by omitting `current-snapshot-id`). */
  currentSnapshotId: bigint | null
  snapshots: Snapshot[]
  snapshotLog: { timestampMs: number; snapshotId: bigint }[]
  metadataLog: { timestampMs: number; metadataFile: string }[]
  sortOrders: SortOrder[]
  defaultSortOrderId: number
  refs: Record<string, SnapshotRef>
}

/** One entry of a manifest list (Avro `manifest_file`). */
export interface ManifestFile {
  manifestPath: string
  manifestLength: number
  partitionSpecId: number
  content: 'data' | 'deletes'
  sequenceNumber: bigint
  minSequenceNumber: bigint
  addedSnapshotId: bigint
  addedFilesCount: number
  existingFilesCount: number
  deletedFilesCount: number
  addedRowsCount: number
  existingRowsCount: number
  deletedRowsCount: number
  /**
   * The manifest list left the file counts out (v1 lists may): the counts above are 0 until
   * they are computed from the manifest (ManifestCache does), never to be trusted as 0.
   */
  countsUnknown?: true
  /**
   * Per partition field of the manifest's spec, in order: whether some file's value is null (or
   * NaN) and the smallest and largest values, serialised as bounds are (bounds.ts). Absent when
   * the writer left the summaries out (they are optional), and for unpartitioned specs.
   */
  partitions?: FieldSummary[]
}

/** A manifest-list partition field summary (Avro `field_summary`, ids 509-511, 518). */
export interface FieldSummary {
  containsNull: boolean
  /** Unknown when absent. */
  containsNan?: boolean
  lowerBound?: Uint8Array
  upperBound?: Uint8Array
}

export type ManifestEntryStatus = 'EXISTING' | 'ADDED' | 'DELETED'

/**
 * One manifest entry. On write, `null` ids and sequence numbers mean "inherit from the
 * manifest list" (only allowed for ADDED). After `decodeManifest` they are always filled in.
 */
export interface ManifestEntry {
  status: ManifestEntryStatus
  snapshotId: bigint | null
  sequenceNumber: bigint | null
  fileSequenceNumber: bigint | null
  dataFile: DataFile
}

export type DataFileContent = 'data' | 'position-deletes' | 'equality-deletes'

export interface DataFile {
  content: DataFileContent
  filePath: string
  fileFormat: 'PARQUET'
  /** Partition tuple keyed by partition field name; `{}` for an unpartitioned spec. */
  partition: Record<string, unknown>
  /**
   * The partition spec the tuple belongs to: filled in by `decodeManifest` from the manifest that
   * lists the file; on write, undefined means the table's default spec.
   */
  specId?: number
  recordCount: number
  fileSizeInBytes: number
  columnSizes?: Map<number, number>
  valueCounts?: Map<number, number>
  nullValueCounts?: Map<number, number>
  /** NaN values of float and double columns; bounds leave NaN out. Unknown (maybe some) when absent. */
  nanValueCounts?: Map<number, number>
  /** Single-value serialised bounds (see bounds.ts), keyed by field id. */
  lowerBounds?: Map<number, Uint8Array>
  upperBounds?: Map<number, Uint8Array>
  keyMetadata?: Uint8Array
  splitOffsets?: number[]
  equalityIds?: number[]
  sortOrderId?: number
  /** Position delete files: the one data file all their rows delete from (Iceberg field 143). */
  referencedDataFile?: string
  /** ailake's per-file vector facts; absent for files written or rewritten by other engines. */
  ailake?: VectorFileFacts
}

/**
 * What ailake knows about the vector column of one data file, stored in its manifest entry: the
 * facts of the file's ailake section (its field id aside) plus whether its index is built.
 * `sectionOffset` is 0 when `indexType` is `none` and the file has no section.
 */
export type VectorFileFacts = Omit<VectorFacts, 'fieldId'> & {
  indexStatus: 'ready' | 'pending'
  /** The layout cluster whose rows the file holds (files written by optimize), if any. */
  cluster?: number
  /**
   * The file's other vector columns (their column sections, version 6), in the order the table
   * lists them; absent when the file has none. `indexStatus` covers them too: an index build
   * indexes every column of a file at once.
   */
  columns?: ColumnFileFacts[]
}

/** The facts of one column section of a data file (its row count is the file's). */
export type ColumnFileFacts = Omit<VectorFacts, 'fieldId'>
