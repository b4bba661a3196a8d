/**
 * Pure construction of Iceberg table metadata: a new table, and the next metadata after a
 * snapshot. Keeps refs.main, the snapshot log and the metadata log as the spec asks.
 */
import { AilakeError, corrupt } from '../errors.js'
import { maxFieldId, promotable, typeName, type Field, type FieldType, type Schema } from '../format/schema.js'
import type { PartitionSpec, Snapshot, TableMetadata } from '../format/iceberg/types.js'
import { nextMetadataLog } from '../catalog/metadata-files.js'
import { newUuid } from './ids.js'

/** A new table's metadata: unpartitioned unless `spec` (which becomes spec 0, the default) is given. */
export function newTableMetadata(opts: { location: string; schema: Schema; properties: Record<string, string>; spec?: PartitionSpec }): TableMetadata {
  const spec = opts.spec ?? { specId: 0, fields: [] }
  return {
    formatVersion: 2,
    tableUuid: newUuid(),
    location: opts.location,
    lastSequenceNumber: 0n,
    lastUpdatedMs: Date.now(),
    lastColumnId: maxFieldId(opts.schema.fields),
    schemas: [opts.schema],
    currentSchemaId: opts.schema.schemaId,
    partitionSpecs: [spec],
    defaultSpecId: spec.specId,
    lastPartitionId: Math.max(999, ...spec.fields.map((f) => f.fieldId)),
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
  return {
    ...base,
    lastSequenceNumber: snapshot.sequenceNumber,
    lastUpdatedMs: snapshot.timestampMs,
    snapshots: [...base.snapshots, snapshot],
    currentSnapshotId: snapshot.snapshotId,
    refs: { ...base.refs, main: { snapshotId: snapshot.snapshotId, type: 'branch' } },
    snapshotLog: [...base.snapshotLog, { timestampMs: snapshot.timestampMs, snapshotId: snapshot.snapshotId }],
    metadataLog: nextMetadataLog(base, baseLocation),
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

/** `base` with `set` merged into its properties. */
export function withProperties(base: TableMetadata, set: Readonly<Record<string, string>>): TableMetadata {
  return { ...base, properties: { ...base.properties, ...set } }
}

/** The id the next schema added to `meta` gets. */
export function nextSchemaId(meta: TableMetadata): number {
  return Math.max(...meta.schemas.map((s) => s.schemaId)) + 1
}

/**
 * Why `schema` may not join `base`, or undefined when it may. Iceberg never reuses a field id:
 * each field is either new (an id above last-column-id) or one the table already has, evolved
 * only in ways every file written before still reads through (see `evolvesFrom`): renamed,
 * promoted (int → long, float → double) or made optional.
 */
export function reusedFieldId(base: TableMetadata, schema: Schema): { message: string; context: Record<string, unknown> } | undefined {
  const versions = new Map<number, Field[]>()
  for (const f of base.schemas.flatMap((s) => s.fields)) versions.set(f.id, [...(versions.get(f.id) ?? []), f])
  for (const f of schema.fields) {
    const isNew = f.id > base.lastColumnId && (typeof f.type !== 'object' || f.type.type !== 'list' || f.type.elementId > base.lastColumnId)
    if (isNew) continue
    const old = versions.get(f.id)
    if (old === undefined) {
      return {
        message: `new schema gives field id ${f.id} to ${JSON.stringify(f.name)}, but the table already used ids up to ${base.lastColumnId}`,
        context: { fieldId: f.id, lastColumnId: base.lastColumnId },
      }
    }
    const bad = old.find((o) => !evolvesFrom(o, f))
    if (bad !== undefined) {
      return {
        message: `new schema makes field id ${f.id} (${JSON.stringify(bad.name)}, ${bad.required ? 'required' : 'optional'} ${typeName(bad.type)}) ${JSON.stringify(f.name)}, ${f.required ? 'required' : 'optional'} ${typeName(f.type)}, which files written before cannot be read as (a field may be renamed, made optional, or promoted int → long, float → double)`,
        context: { fieldId: f.id, lastColumnId: base.lastColumnId },
      }
    }
  }
  return undefined
}

/** True when files holding `old` read as `next` (same id): a promotable type, and not newly required. */
export function evolvesFrom(old: Field, next: Field): boolean {
  return promotable(old.type, next.type) && (old.required || !next.required)
}

/**
 * Metadata whose current schema is `schema` (with the next free schema id). Iceberg never
 * reuses a field id: each field must be one the table already has (same id, name and type) or
 * take an id above last-column-id, which then grows to cover it.
 */
export function withSchema(base: TableMetadata, schema: Schema, removeProperties: readonly string[]): TableMetadata {
  const reused = reusedFieldId(base, schema)
  if (reused !== undefined) throw new AilakeError('INTERNAL', reused.message, { context: reused.context })
  const schemaId = nextSchemaId(base)
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

/**
 * True when data files written with schema `written` read correctly as `current`: every column
 * they hold is in `current` under the same id, name and type (and no stricter nullability), and
 * every column of `current` they lack is optional, so it reads as null.
 */
export function readableAs(written: Schema, current: Schema): boolean {
  const byId = new Map(current.fields.map((f) => [f.id, f]))
  for (const f of written.fields) {
    const c = byId.get(f.id)
    if (c === undefined || c.name !== f.name || !sameType(c.type, f.type) || (c.required && !f.required)) return false
    byId.delete(f.id)
  }
  return [...byId.values()].every((c) => !c.required)
}

/**
 * True when data files written with schema `written` read correctly through `current` by field
 * id: every column of `current` they hold evolved from what they hold (renamed, promoted, made
 * optional), every column they lack is optional (reads as null); columns dropped since vanish.
 */
export function readableById(written: Schema, current: Schema): boolean {
  const byId = new Map(written.fields.map((f) => [f.id, f]))
  return current.fields.every((c) => {
    const w = byId.get(c.id)
    return w === undefined ? !c.required : evolvesFrom(w, c)
  })
}

export function sameType(a: FieldType, b: FieldType): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b
  if (a.type === 'list') return b.type === 'list' && a.elementId === b.elementId && a.element === b.element && a.elementRequired === b.elementRequired
  return b.type === 'fixed' && a.length === b.length
}
