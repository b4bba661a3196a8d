/**
 * What another engine (Spark, pyiceberg) does before a REST commit: writes a Parquet data file
 * (hyparquet-writer, field ids on the columns), a manifest adding it and a manifest list that
 * carries the parent snapshot's manifests, then sends the snapshot in an `add-snapshot` update.
 * Returns that snapshot in the spec's JSON form.
 */
import { parquetWriteBuffer } from 'hyparquet-writer'
import { encodeManifest, manifestCounts } from '../../src/format/iceberg/manifest.js'
import { decodeManifestList, encodeManifestList } from '../../src/format/iceberg/manifest-list.js'
import type { ManifestFile } from '../../src/format/iceberg/types.js'
import type { Schema } from '../../src/format/schema.js'
import type { ObjectStore } from '../../src/store/object-store.js'

export interface ForeignSnapshot {
  /** The snapshot as the REST spec's JSON (64-bit ids as bigint). */
  json: Record<string, unknown>
  snapshotId: bigint
}

/** A 63-bit id as engines make them; `seed` keeps runs repeatable. */
export function snapshotIdOf(seed: number): bigint {
  return 0x4000_0000_0000_0000n + BigInt(seed) * 7_919n
}

/**
 * Writes one data file of `ids` (columns `id` long, `name` string, ids of `schema`) under
 * `location` and the metadata files of a snapshot adding it on top of `parent`.
 */
export async function writeForeignSnapshot(opts: {
  store: ObjectStore
  keyOf(location: string): string
  location: string
  schema: Schema
  parent: { snapshotId: bigint; manifestList: string } | null
  sequenceNumber: bigint
  snapshotId: bigint
  ids: bigint[]
  /** Where the data file goes (default: under the table's data folder). */
  dataPath?: string
  /** One vector per row for an ailake table's `embedding` column (list<float>). */
  vectors?: number[][]
}): Promise<ForeignSnapshot> {
  const idField = opts.schema.fields.find((f) => f.name === 'id')
  const nameField = opts.schema.fields.find((f) => f.name === 'name')
  if (idField === undefined || nameField === undefined) throw new Error('the schema needs columns id (long) and name (string)')
  const schema: Parameters<typeof parquetWriteBuffer>[0]['schema'] = [
    { name: 'root', num_children: opts.vectors === undefined ? 2 : 3 },
    { name: 'id', type: 'INT64', repetition_type: idField.required ? 'REQUIRED' : 'OPTIONAL', field_id: idField.id },
    { name: 'name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL', field_id: nameField.id },
  ]
  const columnData: Parameters<typeof parquetWriteBuffer>[0]['columnData'] = [
    { name: 'id', data: opts.ids },
    { name: 'name', data: opts.ids.map((i) => `row ${i}`) },
  ]
  if (opts.vectors !== undefined) {
    const vec = opts.schema.fields.find((f) => f.name === 'embedding')
    if (vec === undefined || typeof vec.type !== 'object' || vec.type.type !== 'list') throw new Error('vectors need an embedding list column')
    schema?.push(
      { name: 'embedding', repetition_type: 'REQUIRED', num_children: 1, converted_type: 'LIST', field_id: vec.id },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED', field_id: vec.type.elementId },
    )
    columnData.push({ name: 'embedding', data: opts.vectors })
  }
  const data = new Uint8Array(parquetWriteBuffer({ schema, columnData }))
  const tag = opts.snapshotId.toString(16)
  const dataPath = opts.dataPath ?? `${opts.location}/data/foreign-${tag}.parquet`
  await opts.store.put(opts.keyOf(dataPath), data)
  const entries = [{
    status: 'ADDED' as const, snapshotId: null, sequenceNumber: null, fileSequenceNumber: null,
    dataFile: { content: 'data' as const, filePath: dataPath, fileFormat: 'PARQUET' as const, partition: {}, recordCount: opts.ids.length, fileSizeInBytes: data.length },
  }]
  const manifest = encodeManifest({ schema: opts.schema, spec: { specId: 0, fields: [] }, content: 'data', snapshotId: opts.snapshotId, entries })
  const manifestPath = `${opts.location}/metadata/foreign-${tag}-m0.avro`
  await opts.store.put(opts.keyOf(manifestPath), manifest)
  const carried: ManifestFile[] = opts.parent === null ? [] : decodeManifestList(await opts.store.get(opts.keyOf(opts.parent.manifestList)))
  const ours: ManifestFile = {
    manifestPath, manifestLength: manifest.length, partitionSpecId: 0, content: 'data', sequenceNumber: opts.sequenceNumber,
    addedSnapshotId: opts.snapshotId, ...manifestCounts(entries.map((e) => ({ ...e, snapshotId: opts.snapshotId, sequenceNumber: opts.sequenceNumber, fileSequenceNumber: opts.sequenceNumber })), opts.sequenceNumber),
  }
  const list = encodeManifestList([ours, ...carried], { snapshotId: opts.snapshotId, parentSnapshotId: opts.parent?.snapshotId ?? null, sequenceNumber: opts.sequenceNumber })
  const listPath = `${opts.location}/metadata/snap-${tag}.avro`
  await opts.store.put(opts.keyOf(listPath), list)
  const json: Record<string, unknown> = {
    'snapshot-id': opts.snapshotId,
    'sequence-number': opts.sequenceNumber,
    'timestamp-ms': Date.now(),
    'manifest-list': listPath,
    summary: { operation: 'append', 'added-data-files': '1', 'added-records': String(opts.ids.length) },
    'schema-id': opts.schema.schemaId,
  }
  if (opts.parent !== null) json['parent-snapshot-id'] = opts.parent.snapshotId
  return { json, snapshotId: opts.snapshotId }
}
