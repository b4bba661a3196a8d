import type { Schema } from '../../../src/format/schema.js'
import type { DataFile, ManifestEntry, PartitionSpec, TableMetadata, VectorFileFacts } from '../../../src/format/iceberg/types.js'

export const BIG_SNAP_1 = 9136741709133330043n
export const BIG_SNAP_2 = 9136741709133330047n // differs from BIG_SNAP_1 only below 2^53 precision

export const schema: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'docId', type: 'string', required: false, doc: 'case kept' },
    { id: 3, name: 'embedding', type: { type: 'list', elementId: 4, element: 'float', elementRequired: true }, required: false },
    { id: 5, name: 'half', type: { type: 'fixed', length: 16 }, required: false },
  ],
}

export const unpartitioned: PartitionSpec = { specId: 0, fields: [] }

export function facts(dim = 4): VectorFileFacts {
  return {
    column: 'embedding', dim, metric: 'cosine', precision: 'f32', rowCount: 3,
    centroid: Float32Array.from({ length: dim }, (_, i) => i * 0.25 - 0.3),
    radius: 1.25, indexType: 'hnsw', indexStatus: 'ready', sectionOffset: 4096, sectionLength: 12345,
  }
}

export function dataFile(path: string, extra: Partial<DataFile> = {}): DataFile {
  return {
    content: 'data', filePath: path, fileFormat: 'PARQUET', partition: {}, recordCount: 3, fileSizeInBytes: 9000,
    columnSizes: new Map([[1, 40], [2, 60]]), valueCounts: new Map([[1, 3], [2, 3]]), nullValueCounts: new Map([[1, 0], [2, 1]]),
    nanValueCounts: new Map([[2, 1]]),
    lowerBounds: new Map([[1, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0])]]), upperBounds: new Map([[1, new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0])]]),
    splitOffsets: [4], sortOrderId: 0,
    ...extra,
  }
}

export function entry(status: ManifestEntry['status'], path: string, ids: Partial<ManifestEntry> = {}, file: Partial<DataFile> = {}): ManifestEntry {
  return { status, snapshotId: null, sequenceNumber: null, fileSequenceNumber: null, dataFile: dataFile(path, file), ...ids }
}

export function metadata(): TableMetadata {
  return {
    formatVersion: 2,
    tableUuid: '2f7c3b5e-8a1d-4c2e-9b7a-3d4e5f6a7b8c',
    location: '/tmp/wh/default/docs',
    lastSequenceNumber: 2n,
    lastUpdatedMs: 1_700_000_000_500,
    lastColumnId: 5,
    schemas: [schema],
    currentSchemaId: 0,
    partitionSpecs: [unpartitioned],
    defaultSpecId: 0,
    lastPartitionId: 999,
    properties: { 'ailake.vector-column': 'embedding', 'ailake.vector-dim': '4' },
    currentSnapshotId: BIG_SNAP_2,
    snapshots: [
      { snapshotId: BIG_SNAP_1, sequenceNumber: 1n, timestampMs: 1_700_000_000_000, manifestList: '/tmp/wh/default/docs/metadata/snap-1.avro', summary: { operation: 'append', 'added-data-files': '1' }, schemaId: 0 },
      { snapshotId: BIG_SNAP_2, parentSnapshotId: BIG_SNAP_1, sequenceNumber: 2n, timestampMs: 1_700_000_000_500, manifestList: '/tmp/wh/default/docs/metadata/snap-2.avro', summary: { operation: 'append' }, schemaId: 0 },
    ],
    snapshotLog: [{ timestampMs: 1_700_000_000_000, snapshotId: BIG_SNAP_1 }, { timestampMs: 1_700_000_000_500, snapshotId: BIG_SNAP_2 }],
    metadataLog: [{ timestampMs: 1_700_000_000_000, metadataFile: '/tmp/wh/default/docs/metadata/v1.metadata.json' }],
    sortOrders: [{ orderId: 0, fields: [] }],
    defaultSortOrderId: 0,
    refs: { main: { snapshotId: BIG_SNAP_2, type: 'branch' }, v1: { snapshotId: BIG_SNAP_1, type: 'tag' } },
  }
}
