/**
 * metadata.json (Iceberg v2, spec Appendix C) <-> `TableMetadata`. 64-bit ids go through the
 * lossless JSON codec, so snapshot ids above 2^53 survive both ways.
 *
 * Format versions 1 and 2 are read, 2 only is written: a v1 table reads with the spec's v1
 * defaults (its deprecated `schema`, `partition-spec` and embedded `manifests` fields, sequence
 * numbers 0), and a commit to it is `UNSUPPORTED` (the engine that wrote it upgrades it to v2).
 * v3 and later metadata get `UNSUPPORTED`. v1 manifests are read in manifest.ts.
 */
import { AilakeError, invalid } from '../../errors.js'
import { parseJson, stringifyJson } from '../../util/json.js'
import { schemaFromJson, schemaToJson } from './schema-json.js'
import { JsonFields, type JsonObject } from './json-fields.js'
import type { PartitionSpec, Snapshot, SnapshotOperation, SnapshotRef, SortOrder, TableMetadata } from './types.js'

const OPERATIONS: ReadonlySet<string> = new Set<SnapshotOperation>(['append', 'replace', 'overwrite', 'delete'])

function specToJson(spec: PartitionSpec): JsonObject {
  return {
    'spec-id': spec.specId,
    fields: spec.fields.map((f) => ({ 'source-id': f.sourceId, 'field-id': f.fieldId, name: f.name, transform: f.transform })),
  }
}

function snapshotToJson(s: Snapshot): JsonObject {
  const out: JsonObject = { 'snapshot-id': s.snapshotId }
  if (s.parentSnapshotId !== undefined) out['parent-snapshot-id'] = s.parentSnapshotId
  out['sequence-number'] = s.sequenceNumber
  out['timestamp-ms'] = s.timestampMs
  out['manifest-list'] = s.manifestList ?? null
  out.summary = { ...s.summary }
  out['schema-id'] = s.schemaId
  return out
}

/**
 * Encodes table metadata as spec-correct Iceberg v2 JSON. `current-snapshot-id` is omitted when
 * there is no snapshot (the spec marks it optional); `refs.main` is always written when there
 * is a current snapshot, as the spec requires.
 *
 * @throws AilakeError `INVALID_ARGUMENT` when the model is inconsistent (unknown current schema,
 *   spec or snapshot, refs.main not the current snapshot).
 */
export function encodeTableMetadata(meta: TableMetadata): string {
  if (meta.formatVersion !== 2) {
    throw new AilakeError('UNSUPPORTED', `this table is Iceberg format version ${String(meta.formatVersion)}: ailake reads it but writes v2 tables only; upgrade it to v2 with the engine that wrote it (e.g. Spark: ALTER TABLE ... SET TBLPROPERTIES ('format-version' = '2')), then write`, { context: { formatVersion: meta.formatVersion } })
  }
  if (!meta.schemas.some((s) => s.schemaId === meta.currentSchemaId)) {
    throw invalid(`current schema id ${meta.currentSchemaId} is not among the table's schemas`)
  }
  if (!meta.partitionSpecs.some((s) => s.specId === meta.defaultSpecId)) {
    throw invalid(`default partition spec id ${meta.defaultSpecId} is not among the table's partition specs`)
  }
  const snapIds = new Set(meta.snapshots.map((s) => s.snapshotId))
  const refs: Record<string, SnapshotRef> = { ...meta.refs }
  if (meta.currentSnapshotId !== null) {
    if (!snapIds.has(meta.currentSnapshotId)) throw invalid(`current snapshot ${meta.currentSnapshotId} is not among the table's snapshots`)
    const main = refs.main
    if (main === undefined) refs.main = { snapshotId: meta.currentSnapshotId, type: 'branch' }
    else if (main.snapshotId !== meta.currentSnapshotId || main.type !== 'branch') {
      throw invalid(`refs.main (${main.snapshotId}, ${main.type}) must be the branch of the current snapshot ${meta.currentSnapshotId}`)
    }
  }
  for (const [name, ref] of Object.entries(refs)) {
    if (!snapIds.has(ref.snapshotId)) throw invalid(`ref ${name} points at unknown snapshot ${ref.snapshotId}`)
  }
  const out: JsonObject = {
    'format-version': 2,
    'table-uuid': meta.tableUuid,
    location: meta.location,
    'last-sequence-number': meta.lastSequenceNumber,
    'last-updated-ms': meta.lastUpdatedMs,
    'last-column-id': meta.lastColumnId,
    schemas: meta.schemas.map(schemaToJson),
    'current-schema-id': meta.currentSchemaId,
    'partition-specs': meta.partitionSpecs.map(specToJson),
    'default-spec-id': meta.defaultSpecId,
    'last-partition-id': meta.lastPartitionId,
    properties: { ...meta.properties },
  }
  if (meta.currentSnapshotId !== null) out['current-snapshot-id'] = meta.currentSnapshotId
  out.snapshots = meta.snapshots.map(snapshotToJson)
  out['snapshot-log'] = meta.snapshotLog.map((e) => ({ 'timestamp-ms': e.timestampMs, 'snapshot-id': e.snapshotId }))
  out['metadata-log'] = meta.metadataLog.map((e) => ({ 'timestamp-ms': e.timestampMs, 'metadata-file': e.metadataFile }))
  out['sort-orders'] = meta.sortOrders.map((o) => ({ 'order-id': o.orderId, fields: o.fields }))
  out['default-sort-order-id'] = meta.defaultSortOrderId
  out.refs = Object.fromEntries(Object.entries(refs).map(([k, r]) => [k, { 'snapshot-id': r.snapshotId, type: r.type }]))
  return stringifyJson(out, 2)
}

function decodeSpec(r: JsonFields, v: unknown, path: string): PartitionSpec {
  const o = r.object(v, path)
  return { specId: r.int(o['spec-id'], `${path}.spec-id`), fields: decodeSpecFields(r, o.fields, `${path}.fields`, false) }
}

/** A spec's fields; v1 may leave out field ids, which then count up from 1000 (spec: partition evolution). */
function decodeSpecFields(r: JsonFields, v: unknown, path: string, v1: boolean): PartitionSpec['fields'] {
  return r.array(v, path).map((fv, i) => {
      const p = `${path}[${i}]`
      const f = r.object(fv, p)
      return {
        sourceId: r.int(f['source-id'], `${p}.source-id`),
        fieldId: v1 && f['field-id'] === undefined ? 1000 + i : r.int(f['field-id'], `${p}.field-id`),
        name: r.string(f.name, `${p}.name`),
        transform: r.string(f.transform, `${p}.transform`),
      }
    })
}

/**
 * One snapshot. v1 (`v1` true) may leave out the sequence number (then 0), the summary (then an
 * append) and the manifest list, listing its manifests in `manifests` instead.
 */
export function decodeSnapshot(r: JsonFields, v: unknown, path: string, defaultSchemaId: number, v1 = false): Snapshot {
  const o = r.object(v, path)
  const summaryJson = v1 && o.summary === undefined ? { operation: 'append' } : r.stringMap(o.summary, `${path}.summary`)
  const operation = summaryJson.operation ?? (v1 ? 'append' : undefined)
  if (operation === undefined || !OPERATIONS.has(operation)) r.fail(`${path}.summary.operation`, 'append, replace, overwrite or delete', operation)
  const snap: Snapshot = {
    snapshotId: r.long(o['snapshot-id'], `${path}.snapshot-id`),
    sequenceNumber: v1 && o['sequence-number'] === undefined ? 0n : r.long(o['sequence-number'], `${path}.sequence-number`),
    timestampMs: r.safeInt(o['timestamp-ms'], `${path}.timestamp-ms`),
    summary: { ...summaryJson, operation: operation as SnapshotOperation },
    schemaId: o['schema-id'] === undefined ? defaultSchemaId : r.int(o['schema-id'], `${path}.schema-id`),
  }
  if (v1 && (o['manifest-list'] === undefined || o['manifest-list'] === null)) {
    snap.manifests = r.array(o.manifests, `${path}.manifests`).map((m, i) => r.string(m, `${path}.manifests[${i}]`))
  } else {
    snap.manifestList = r.string(o['manifest-list'], `${path}.manifest-list`)
  }
  const parent = o['parent-snapshot-id']
  if (parent !== undefined && parent !== null) snap.parentSnapshotId = r.long(parent, `${path}.parent-snapshot-id`)
  return snap
}

function checkVersion(r: JsonFields, o: JsonObject): 1 | 2 {
  const v = o['format-version']
  if (v === 1 || v === 2) return v
  if (typeof v === 'number' && Number.isInteger(v) && v > 2) {
    throw new AilakeError('UNSUPPORTED', `${r.what}: Iceberg format version ${v} is not supported; ailake reads v1 and v2 tables and writes v2`, {
      context: { what: r.what, formatVersion: v },
    })
  }
  return r.fail('format-version', '1 or 2', v)
}

/**
 * Parses and validates metadata.json text.
 *
 * @param text The file's text.
 * @param what Names the file in error messages (default `"table metadata"`), e.g. its path.
 * @throws AilakeError `CORRUPT_DATA` for invalid JSON, wrong shapes, missing fields or dangling
 *   ids (current schema, spec, snapshot, refs); `UNSUPPORTED` for format versions other than 2.
 */
export function decodeTableMetadata(text: string, what = 'table metadata'): TableMetadata {
  const r = new JsonFields(what)
  const o = r.object(parseJson(text, what), '$')
  const formatVersion = checkVersion(r, o)
  // v1 may give only the deprecated single `schema` and `partition-spec` (spec: Appendix C, v1 fields).
  const v1 = formatVersion === 1
  const legacy = (key: string, list: string): boolean => v1 && (o[list] === undefined || o[list] === null) && o[key] !== undefined
  const schemas = legacy('schema', 'schemas') ? [schemaFromJson(o.schema, what, 'schema')]
    : r.array(o.schemas, 'schemas').map((s, i) => schemaFromJson(s, what, `schemas[${i}]`))
  if (schemas.length === 0) r.fail('schemas', 'a non-empty array', o.schemas)
  const currentSchemaId = v1 && o['current-schema-id'] === undefined ? (schemas[0] as { schemaId: number }).schemaId : r.int(o['current-schema-id'], 'current-schema-id')
  if (!schemas.some((s) => s.schemaId === currentSchemaId)) r.fail('current-schema-id', 'the id of a listed schema', currentSchemaId)
  const partitionSpecs = legacy('partition-spec', 'partition-specs') ? [{ specId: 0, fields: decodeSpecFields(r, o['partition-spec'], 'partition-spec', true) }]
    : r.array(o['partition-specs'], 'partition-specs').map((s, i) => decodeSpec(r, s, `partition-specs[${i}]`))
  const defaultSpecId = v1 && o['default-spec-id'] === undefined ? (partitionSpecs[0]?.specId ?? 0) : r.int(o['default-spec-id'], 'default-spec-id')
  if (!partitionSpecs.some((s) => s.specId === defaultSpecId)) r.fail('default-spec-id', 'the id of a listed partition spec', defaultSpecId)
  const lastSequenceNumber = v1 && o['last-sequence-number'] === undefined ? 0n : r.long(o['last-sequence-number'], 'last-sequence-number')

  const snapshots = o.snapshots === undefined || o.snapshots === null ? []
    : r.array(o.snapshots, 'snapshots').map((s, i) => decodeSnapshot(r, s, `snapshots[${i}]`, currentSchemaId, v1))
  const snapIds = new Set<bigint>()
  snapshots.forEach((s, i) => {
    if (snapIds.has(s.snapshotId)) r.fail(`snapshots[${i}].snapshot-id`, 'unique', s.snapshotId)
    snapIds.add(s.snapshotId)
    if (s.sequenceNumber > lastSequenceNumber) r.fail(`snapshots[${i}].sequence-number`, `at most last-sequence-number ${lastSequenceNumber}`, s.sequenceNumber)
  })

  let currentSnapshotId: bigint | null = null
  const cur = o['current-snapshot-id']
  if (cur !== undefined && cur !== null) {
    const id = r.long(cur, 'current-snapshot-id')
    if (id !== -1n) {
      if (!snapIds.has(id)) r.fail('current-snapshot-id', 'the id of a listed snapshot', id)
      currentSnapshotId = id
    }
  }

  const refs: Record<string, SnapshotRef> = {}
  if (o.refs !== undefined && o.refs !== null) {
    for (const [name, rv] of Object.entries(r.object(o.refs, 'refs'))) {
      const ro = r.object(rv, `refs.${name}`)
      const type = r.string(ro.type, `refs.${name}.type`)
      if (type !== 'branch' && type !== 'tag') return r.fail(`refs.${name}.type`, '"branch" or "tag"', type)
      const snapshotId = r.long(ro['snapshot-id'], `refs.${name}.snapshot-id`)
      if (!snapIds.has(snapshotId)) r.fail(`refs.${name}.snapshot-id`, 'the id of a listed snapshot', snapshotId)
      refs[name] = { snapshotId, type }
    }
  }
  const main = refs.main
  if (main !== undefined && main.snapshotId !== currentSnapshotId) r.fail('refs.main.snapshot-id', `the current snapshot ${currentSnapshotId}`, main.snapshotId)
  if (main === undefined && currentSnapshotId !== null) refs.main = { snapshotId: currentSnapshotId, type: 'branch' }

  const list = (key: string): unknown[] => (o[key] === undefined || o[key] === null ? [] : r.array(o[key], key))
  // v1 tables written before sort orders existed are unsorted.
  const sortOrders: SortOrder[] = v1 && o['sort-orders'] === undefined ? [{ orderId: 0, fields: [] }] : r.array(o['sort-orders'], 'sort-orders').map((sv, i) => {
    const so = r.object(sv, `sort-orders[${i}]`)
    return { orderId: r.int(so['order-id'], `sort-orders[${i}].order-id`), fields: r.array(so.fields, `sort-orders[${i}].fields`) }
  })
  const defaultSortOrderId = v1 && o['default-sort-order-id'] === undefined ? (sortOrders[0]?.orderId ?? 0) : r.int(o['default-sort-order-id'], 'default-sort-order-id')
  if (!sortOrders.some((s) => s.orderId === defaultSortOrderId)) r.fail('default-sort-order-id', 'the id of a listed sort order', defaultSortOrderId)

  const partitionIds = partitionSpecs.flatMap((s) => s.fields.map((f) => f.fieldId))
  return {
    formatVersion,
    tableUuid: v1 && o['table-uuid'] === undefined ? '' : r.string(o['table-uuid'], 'table-uuid'),
    location: r.string(o.location, 'location'),
    lastSequenceNumber,
    lastUpdatedMs: r.safeInt(o['last-updated-ms'], 'last-updated-ms'),
    lastColumnId: r.int(o['last-column-id'], 'last-column-id'),
    schemas,
    currentSchemaId,
    partitionSpecs,
    defaultSpecId,
    lastPartitionId: v1 && o['last-partition-id'] === undefined ? Math.max(999, ...partitionIds) : r.int(o['last-partition-id'], 'last-partition-id'),
    properties: o.properties === undefined || o.properties === null ? {} : r.stringMap(o.properties, 'properties'),
    currentSnapshotId,
    snapshots,
    snapshotLog: list('snapshot-log').map((ev, i) => {
      const e = r.object(ev, `snapshot-log[${i}]`)
      return { timestampMs: r.safeInt(e['timestamp-ms'], `snapshot-log[${i}].timestamp-ms`), snapshotId: r.long(e['snapshot-id'], `snapshot-log[${i}].snapshot-id`) }
    }),
    metadataLog: list('metadata-log').map((ev, i) => {
      const e = r.object(ev, `metadata-log[${i}]`)
      return { timestampMs: r.safeInt(e['timestamp-ms'], `metadata-log[${i}].timestamp-ms`), metadataFile: r.string(e['metadata-file'], `metadata-log[${i}].metadata-file`) }
    }),
    sortOrders,
    defaultSortOrderId,
    refs,
  }
}
