/**
 * Pure construction of Iceberg table metadata: a new table, and the next metadata after a
 * snapshot. Keeps refs.main, the snapshot log and the metadata log as the spec asks.
 */
import { corrupt } from '../errors.js'
import { maxFieldId, type Schema } from '../format/schema.js'
import type { Snapshot, TableMetadata } from '../format/iceberg/types.js'
import { newUuid } from './ids.js'

/** How many previous metadata files the metadata log keeps (Iceberg's default). */
export const METADATA_LOG_MAX = 100

export function newTableMetadata(opts: { location: string; schema: Schema; properties: Record<string, string> }): TableMetadata {
  return {
    formatVersion: 2,
    tableUuid: newUuid(),
    location: opts.location,
    lastSequenceNumber: 0n,
    lastUpdatedMs: Date.now(),
    lastColumnId: maxFieldId(opts.schema.fields),
    schemas: [opts.schema],
    currentSchemaId: opts.schema.schemaId,
    partitionSpecs: [{ specId: 0, fields: [] }],
    defaultSpecId: 0,
    lastPartitionId: 999,
    properties: { ...opts.properties },
    currentSnapshotId: null,
    snapshots: [],
    snapshotLog: [],
    metadataLog: [],
    sortOrders: [{ orderId: 0, fields: [] }],
    defaultSortOrderId: 0,
    refs: {},
  }
}

/** Metadata with `snapshot` appended and made current on `main`. */
export function withSnapshot(base: TableMetadata, baseLocation: string, snapshot: Snapshot): TableMetadata {
  const metadataLog = [...base.metadataLog, { timestampMs: base.lastUpdatedMs, metadataFile: baseLocation }]
  return {
    ...base,
    lastSequenceNumber: snapshot.sequenceNumber,
    lastUpdatedMs: snapshot.timestampMs,
    snapshots: [...base.snapshots, snapshot],
    currentSnapshotId: snapshot.snapshotId,
    refs: { ...base.refs, main: { snapshotId: snapshot.snapshotId, type: 'branch' } },
    snapshotLog: [...base.snapshotLog, { timestampMs: snapshot.timestampMs, snapshotId: snapshot.snapshotId }],
    metadataLog: metadataLog.slice(-METADATA_LOG_MAX),
  }
}

/** A commit timestamp that never goes backwards relative to the base, even if clocks differ. */
export function nextTimestamp(base: TableMetadata): number {
  return Math.max(Date.now(), base.lastUpdatedMs + 1)
}

export function currentSchema(meta: TableMetadata): Schema {
  const s = meta.schemas.find((x) => x.schemaId === meta.currentSchemaId)
  if (s === undefined) throw corrupt(`table metadata names current schema ${meta.currentSchemaId} but has no such schema`)
  return s
}

/** Metadata whose current schema is `schema` (given the next free schema id). */
/** `base` with `set` merged into its properties. */
export function withProperties(base: TableMetadata, set: Readonly<Record<string, string>>): TableMetadata {
  return { ...base, properties: { ...base.properties, ...set } }
}

export function withSchema(base: TableMetadata, schema: Schema, removeProperties: readonly string[]): TableMetadata {
  const schemaId = Math.max(...base.schemas.map((s) => s.schemaId)) + 1
  const properties = { ...base.properties }
  for (const k of removeProperties) delete properties[k]
  return {
    ...base,
    schemas: [...base.schemas, { ...schema, schemaId }],
    currentSchemaId: schemaId,
    lastColumnId: Math.max(base.lastColumnId, maxFieldId(schema.fields)),
    properties,
  }
}
