/**
 * Iceberg v2 manifests (Avro object container files of `manifest_entry` records) <->
 * `ManifestEntry[]`, with snapshot-id and sequence-number inheritance done as the spec says.
 */
import { AilakeError, corrupt, invalid } from '../../errors.js'
import type { Metric, Precision } from '../../vector/types.js'
import { decimalOf, type FieldType, type Schema } from '../schema.js'
import { timeMicros, timeText, uuidBytes, uuidText } from '../../util/uuid-time.js'
import { MAX_DECIMAL_PRECISION, decimalFixedLength, decimalText, toUnscaled, unscaledFromBytes, unscaledToFixedBytes } from '../../util/decimal.js'
import { readOcf, writeOcf } from './avro-ocf.js'
import { manifestEntrySchema, partitionFields } from './manifest-schema.js'
import { schemaToJson } from './schema-json.js'
import type { ColumnFileFacts, DataFile, DataFileContent, ManifestEntry, ManifestEntryStatus, ManifestFile, PartitionSpec, VectorFileFacts } from './types.js'

const STATUS: ManifestEntryStatus[] = ['EXISTING', 'ADDED', 'DELETED']
const CONTENT: DataFileContent[] = ['data', 'position-deletes', 'equality-deletes']
const METRICS: ReadonlySet<string> = new Set<Metric>(['cosine', 'euclidean', 'dot'])
const PRECISIONS: ReadonlySet<string> = new Set<Precision>(['f32', 'f16', 'i8'])
const MS_PER_DAY = 86_400_000

/** Options of {@link encodeManifest}. */
export interface EncodeManifestOptions {
  /** Table schema the files were written with (recorded in the header; types the partition tuple). */
  schema: Schema
  spec: PartitionSpec
  content: 'data' | 'deletes'
  /** The snapshot committing this manifest: written as `snapshot_id` of ADDED and DELETED entries. */
  snapshotId: bigint
  entries: ManifestEntry[]
  /** 16-byte Avro sync marker (default random); fixed only for golden-byte tests. */
  sync?: Uint8Array
}

function partitionToAvro(type: FieldType, v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (type === 'date') return v instanceof Date ? Math.floor(v.getTime() / MS_PER_DAY) : v
  if (type === 'timestamp' || type === 'timestamptz') return v instanceof Date ? BigInt(v.getTime()) * 1000n : v
  if (type === 'long' && typeof v === 'number') return BigInt(v)
  if (type === 'time') return timeMicros(v) ?? v
  if (type === 'uuid') {
    const text = uuidText(v)
    return text === undefined ? v : uuidBytes(text)
  }
  const d = decimalOf(type)
  if (d !== undefined) return unscaledToFixedBytes(toUnscaled(v, MAX_DECIMAL_PRECISION, d.scale, 'decimal partition value'), decimalFixedLength(d.precision))
  return v
}


const kv = (m: Map<number, number | Uint8Array> | undefined): unknown =>
  m === undefined ? null : [...m].map(([key, value]) => ({ key, value: typeof value === 'number' ? BigInt(value) : value }))

function centroidBytes(f: { column: string; dim: number; centroid: Float32Array }): Uint8Array {
  if (f.centroid.length !== f.dim) throw invalid(`the centroid of ${f.column} has ${f.centroid.length} values but dim is ${f.dim}`)
  return new Uint8Array(f.centroid.buffer.slice(f.centroid.byteOffset, f.centroid.byteOffset + f.centroid.byteLength))
}

function factsToAvro(f: VectorFileFacts): unknown {
  return {
    column: f.column, dim: f.dim, metric: f.metric, precision: f.precision, row_count: f.rowCount,
    centroid: centroidBytes(f),
    radius: f.radius, index_type: f.indexType, index_status: f.indexStatus,
    section_offset: f.sectionOffset, section_length: f.sectionLength,
    cluster: f.cluster ?? null,
    columns: f.columns === undefined ? null : f.columns.map((c) => ({
      column: c.column, dim: c.dim, metric: c.metric, precision: c.precision, centroid: centroidBytes(c), radius: c.radius,
      index_type: c.indexType, section_offset: c.sectionOffset, section_length: c.sectionLength,
    })),
  }
}

function entryToAvro(e: ManifestEntry, i: number, opts: EncodeManifestOptions, parts: ReturnType<typeof partitionFields>): unknown {
  const d = e.dataFile
  if (e.status === 'EXISTING' && (e.snapshotId === null || e.sequenceNumber === null || e.fileSequenceNumber === null)) {
    throw invalid(`manifest entry ${i} (${d.filePath}) is EXISTING, so its snapshot id and both sequence numbers must be set explicitly`)
  }
  if (e.status === 'DELETED' && (e.sequenceNumber === null || e.fileSequenceNumber === null)) {
    throw invalid(`manifest entry ${i} (${d.filePath}) is DELETED, so both of its sequence numbers must be set explicitly`)
  }
  if (e.status === 'ADDED' && e.snapshotId !== null && e.snapshotId !== opts.snapshotId) {
    throw invalid(`manifest entry ${i} (${d.filePath}) is ADDED by snapshot ${opts.snapshotId} but carries snapshot id ${e.snapshotId}`)
  }
  const expectDeletes = opts.content === 'deletes'
  if ((d.content !== 'data') !== expectDeletes) throw invalid(`manifest entry ${i} (${d.filePath}) holds ${d.content} but the manifest content is ${opts.content}`)
  if (d.specId !== undefined && d.specId !== opts.spec.specId) throw invalid(`manifest entry ${i} (${d.filePath}) belongs to partition spec ${d.specId} but the manifest is written for spec ${opts.spec.specId}`)
  const partition: Record<string, unknown> = {}
  for (const p of parts) partition[p.name] = partitionToAvro(p.type, d.partition[p.name])
  return {
    status: STATUS.indexOf(e.status),
    snapshot_id: e.status === 'EXISTING' ? e.snapshotId : opts.snapshotId,
    sequence_number: e.sequenceNumber,
    file_sequence_number: e.fileSequenceNumber,
    data_file: {
      content: CONTENT.indexOf(d.content),
      file_path: d.filePath,
      file_format: d.fileFormat,
      partition,
      record_count: d.recordCount,
      file_size_in_bytes: d.fileSizeInBytes,
      column_sizes: kv(d.columnSizes),
      value_counts: kv(d.valueCounts),
      null_value_counts: kv(d.nullValueCounts),
      nan_value_counts: kv(d.nanValueCounts),
      lower_bounds: kv(d.lowerBounds),
      upper_bounds: kv(d.upperBounds),
      key_metadata: d.keyMetadata ?? null,
      split_offsets: d.splitOffsets ?? null,
      equality_ids: d.equalityIds ?? null,
      sort_order_id: d.sortOrderId ?? null,
      referenced_data_file: d.referencedDataFile ?? null,
      ailake: d.ailake === undefined ? null : factsToAvro(d.ailake),
    },
  }
}

/**
 * Encodes a v2 manifest as an uncompressed (`null` codec) Avro object container file, with
 * header metadata `schema`, `schema-id`, `partition-spec`, `partition-spec-id`,
 * `format-version` = "2" and `content`.
 *
 * ADDED entries get `snapshot_id` = `snapshotId`; their sequence numbers are written as given
 * (normally `null`, so they inherit the manifest-list value and the manifest stays reusable
 * across commit retries). EXISTING entries must carry all three values; DELETED entries carry
 * both sequence numbers and get `snapshot_id` = `snapshotId` (the deleting snapshot).
 *
 * @throws AilakeError `INVALID_ARGUMENT` on entries that break those rules or mismatch `content`.
 */
export function encodeManifest(opts: EncodeManifestOptions): Uint8Array {
  const parts = partitionFields(opts.schema, opts.spec)
  const records = opts.entries.map((e, i) => entryToAvro(e, i, opts, parts))
  return writeOcf({
    schema: manifestEntrySchema(opts.schema, opts.spec),
    metadata: {
      schema: JSON.stringify(schemaToJson(opts.schema)),
      'schema-id': String(opts.schema.schemaId),
      'partition-spec': JSON.stringify(opts.spec.fields.map((f) => ({ 'source-id': f.sourceId, 'field-id': f.fieldId, name: f.name, transform: f.transform }))),
      'partition-spec-id': String(opts.spec.specId),
      'format-version': '2',
      content: opts.content,
    },
    records,
    ...(opts.sync === undefined ? {} : { sync: opts.sync }),
  })
}

/** Counts of a manifest's entries, as its manifest-list record needs them. */
/** `minSequenceNumber` is the smallest data sequence number of the live (ADDED/EXISTING) entries. */
export type ManifestCounts = Pick<ManifestFile,
  | 'addedFilesCount' | 'existingFilesCount' | 'deletedFilesCount'
  | 'addedRowsCount' | 'existingRowsCount' | 'deletedRowsCount' | 'minSequenceNumber'>

/**
 * Truthful manifest-list counts for a set of entries. Entries with a null sequence number
 * count as `inheritedSequenceNumber` (the sequence number the manifest list will give them).
 */
export function manifestCounts(entries: readonly ManifestEntry[], inheritedSequenceNumber: bigint): ManifestCounts {
  const c: ManifestCounts = {
    addedFilesCount: 0, existingFilesCount: 0, deletedFilesCount: 0,
    addedRowsCount: 0, existingRowsCount: 0, deletedRowsCount: 0, minSequenceNumber: inheritedSequenceNumber,
  }
  let min: bigint | undefined
  for (const e of entries) {
    const rows = e.dataFile.recordCount
    if (e.status === 'ADDED') { c.addedFilesCount++; c.addedRowsCount += rows }
    else if (e.status === 'EXISTING') { c.existingFilesCount++; c.existingRowsCount += rows }
    else { c.deletedFilesCount++; c.deletedRowsCount += rows }
    if (e.status !== 'DELETED') {
      const seq = e.sequenceNumber ?? inheritedSequenceNumber
      if (min === undefined || seq < min) min = seq
    }
  }
  if (min !== undefined) c.minSequenceNumber = min
  return c
}


// ---------------------------------------------------------------------------------------------
// Decoding

/** Options of {@link decodeManifest}. */
export interface DecodeManifestOptions {
  /** Names the file in error messages (default `"manifest"`), e.g. its path. */
  what?: string
}

type Rec = Record<string, unknown>

class EntryReader {
  constructor(readonly what: string, readonly index: number) {}

  fail(field: string, expected: string, got: unknown): never {
    const shown = typeof got === 'bigint' ? `${got}` : got instanceof Uint8Array ? `${got.length} bytes` : JSON.stringify(got)
    throw corrupt(`${this.what}: entry ${this.index} ${field} must be ${expected} but is ${shown}; the manifest is corrupt`, {
      what: this.what, entry: this.index, field,
    })
  }

  rec(v: unknown, field: string): Rec {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Map || v instanceof Uint8Array) this.fail(field, 'a record', v)
    return v as Rec
  }

  int(v: unknown, field: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(field, 'an int', v)
    return v
  }

  optLong(v: unknown, field: string): bigint | null {
    if (v === null || v === undefined) return null
    if (typeof v !== 'bigint') this.fail(field, 'a long', v)
    return v
  }

  /** A long that must fit a JS number (counts and sizes). */
  count(v: unknown, field: string): number {
    if (typeof v !== 'bigint' && typeof v !== 'number') this.fail(field, 'a long', v)
    const n = Number(v)
    if (!Number.isSafeInteger(n) || n < 0) this.fail(field, 'a non-negative count below 2^53', v)
    return n
  }

  string(v: unknown, field: string): string {
    if (typeof v !== 'string') this.fail(field, 'a string', v)
    return v
  }

  /** Iceberg's int-keyed map: an array of `{key, value}` records (or an Avro map with numeric keys). */
  intMap<T>(v: unknown, field: string, value: (x: unknown, f: string) => T): Map<number, T> | undefined {
    if (v === null || v === undefined) return undefined
    const out = new Map<number, T>()
    if (v instanceof Map) {
      for (const [k, x] of v) {
        const key = Number(k)
        if (!Number.isInteger(key)) this.fail(`${field} key`, 'an integer', k)
        out.set(key, value(x, `${field}[${key}]`))
      }
      return out
    }
    if (!Array.isArray(v)) this.fail(field, 'a map', v)
    for (const kvRec of v) {
      const r = this.rec(kvRec, field)
      const key = this.int(r.key, `${field} key`)
      out.set(key, value(r.value, `${field}[${key}]`))
    }
    return out
  }

  list<T>(v: unknown, field: string, item: (x: unknown, f: string) => T): T[] | undefined {
    if (v === null || v === undefined) return undefined
    if (!Array.isArray(v)) this.fail(field, 'a list', v)
    return v.map((x, i) => item(x, `${field}[${i}]`))
  }
}

/** The facts one section leaves in a manifest entry (`ailake` itself, or one of its `columns`), under `at`. */
function decodeColumnFacts(r: EntryReader, o: Record<string, unknown>, at: string, rowCount: number): ColumnFileFacts {
  const dim = r.int(o.dim, `${at}.dim`)
  if (dim <= 0) r.fail(`${at}.dim`, 'positive', dim)
  const metric = r.string(o.metric, `${at}.metric`)
  if (!METRICS.has(metric)) r.fail(`${at}.metric`, 'cosine, euclidean or dot', metric)
  const precision = r.string(o.precision, `${at}.precision`)
  if (!PRECISIONS.has(precision)) r.fail(`${at}.precision`, 'f32, f16 or i8', precision)
  const raw = o.centroid
  if (!(raw instanceof Uint8Array) || raw.length !== dim * 4) r.fail(`${at}.centroid`, `${dim * 4} bytes (dim f32 values)`, raw)
  const centroid = new Float32Array(dim)
  new Uint8Array(centroid.buffer).set(raw)
  if (!centroid.every(Number.isFinite)) r.fail(`${at}.centroid`, 'finite values', 'a non-finite value')
  const radius = o.radius
  if (typeof radius !== 'number' || !Number.isFinite(radius) || radius < 0) r.fail(`${at}.radius`, 'a finite non-negative number', radius)
  const indexType = r.string(o.index_type, `${at}.index_type`)
  if (indexType !== 'none' && indexType !== 'hnsw') r.fail(`${at}.index_type`, 'none or hnsw', indexType)
  return {
    column: r.string(o.column, `${at}.column`), dim, metric: metric as Metric, precision: precision as Precision,
    rowCount, centroid, radius, indexType,
    sectionOffset: r.count(o.section_offset, `${at}.section_offset`),
    sectionLength: r.count(o.section_length, `${at}.section_length`),
  }
}

function decodeFacts(r: EntryReader, v: unknown): VectorFileFacts | undefined {
  if (v === null || v === undefined) return undefined
  const o = r.rec(v, 'ailake')
  const rowCount = r.count(o.row_count, 'ailake.row_count')
  const indexStatus = r.string(o.index_status, 'ailake.index_status')
  if (indexStatus !== 'ready' && indexStatus !== 'pending') r.fail('ailake.index_status', 'ready or pending', indexStatus)
  const columns = r.list(o.columns, 'ailake.columns', (x, f) => decodeColumnFacts(r, r.rec(x, f), f, rowCount))
  return {
    ...decodeColumnFacts(r, o, 'ailake', rowCount), indexStatus,
    ...(o.cluster === null || o.cluster === undefined ? {} : { cluster: r.count(o.cluster, 'ailake.cluster') }),
    ...(columns === undefined ? {} : { columns }),
  }
}

/** Logical kind of each partition field in the writer schema, to turn days/micros back into Dates. */
function partitionKinds(writerSchema: unknown): Map<string, PartitionKind> {
  const kinds = new Map<string, PartitionKind>()
  const fieldsOf = (rec: unknown): Rec[] => (typeof rec === 'object' && rec !== null && Array.isArray((rec as Rec).fields) ? (rec as Rec).fields as Rec[] : [])
  const dataFile = fieldsOf(writerSchema).find((f) => f.name === 'data_file')?.type
  const partition = fieldsOf(dataFile).find((f) => f.name === 'partition')?.type
  for (const f of fieldsOf(partition)) {
    const types = Array.isArray(f.type) ? f.type : [f.type]
    for (const t of types) {
      const logical = typeof t === 'object' && t !== null ? (t as Rec).logicalType : undefined
      if (logical === 'date') kinds.set(String(f.name), 'date')
      if (logical === 'timestamp-micros') kinds.set(String(f.name), 'timestamp')
      if (logical === 'time-micros') kinds.set(String(f.name), 'time')
      if (logical === 'uuid') kinds.set(String(f.name), 'uuid')
      if (logical === 'decimal') {
        const scale = (t as Rec).scale
        kinds.set(String(f.name), { decimalScale: typeof scale === 'number' && Number.isSafeInteger(scale) && scale >= 0 ? scale : 0 })
      }
    }
  }
  return kinds
}

/** How a partition value is stored in Avro, when not as the value itself. */
type PartitionKind = 'date' | 'timestamp' | 'time' | 'uuid' | { decimalScale: number }

function decodeDataFile(r: EntryReader, v: unknown, kinds: Map<string, PartitionKind>, specId: number): DataFile {
  const d = r.rec(v, 'data_file')
  const contentId = d.content === undefined ? 0 : r.int(d.content, 'data_file.content')
  const content = CONTENT[contentId]
  if (content === undefined) r.fail('data_file.content', '0, 1 or 2', contentId)
  const format = r.string(d.file_format, 'data_file.file_format')
  if (format.toUpperCase() !== 'PARQUET') {
    throw new AilakeError('UNSUPPORTED', `${r.what}: entry ${r.index} is a ${format} file; ailake reads Parquet data files only`, { context: { what: r.what, format } })
  }
  const partition: Record<string, unknown> = {}
  for (const [k, pv] of Object.entries(r.rec(d.partition ?? {}, 'data_file.partition'))) {
    const kind = kinds.get(k)
    partition[k] = pv === null ? null
      : kind === 'date' && typeof pv === 'number' ? new Date(pv * MS_PER_DAY)
        : kind === 'timestamp' && typeof pv === 'bigint' ? new Date(Number(pv / 1000n))
          : typeof kind === 'object' && pv instanceof Uint8Array ? decimalText(unscaledFromBytes(pv), kind.decimalScale)
            : kind === 'time' && typeof pv === 'bigint' && pv >= 0n && pv < 86_400_000_000n ? timeText(pv)
              : kind === 'uuid' ? uuidText(pv) ?? pv : pv
  }
  const count = (x: unknown, f: string): number => r.count(x, f)
  const bytes = (x: unknown, f: string): Uint8Array => (x instanceof Uint8Array ? x : r.fail(f, 'bytes', x))
  const file: DataFile = {
    content,
    filePath: r.string(d.file_path, 'data_file.file_path'),
    fileFormat: 'PARQUET',
    partition,
    specId,
    recordCount: r.count(d.record_count, 'data_file.record_count'),
    fileSizeInBytes: r.count(d.file_size_in_bytes, 'data_file.file_size_in_bytes'),
  }
  const set = <K extends keyof DataFile>(key: K, value: DataFile[K] | undefined): void => {
    if (value !== undefined) file[key] = value
  }
  set('columnSizes', r.intMap(d.column_sizes, 'column_sizes', count))
  set('valueCounts', r.intMap(d.value_counts, 'value_counts', count))
  set('nullValueCounts', r.intMap(d.null_value_counts, 'null_value_counts', count))
  set('nanValueCounts', r.intMap(d.nan_value_counts, 'nan_value_counts', count))
  set('lowerBounds', r.intMap(d.lower_bounds, 'lower_bounds', bytes))
  set('upperBounds', r.intMap(d.upper_bounds, 'upper_bounds', bytes))
  if (d.key_metadata !== null && d.key_metadata !== undefined) set('keyMetadata', bytes(d.key_metadata, 'key_metadata'))
  set('splitOffsets', r.list(d.split_offsets, 'split_offsets', count))
  set('equalityIds', r.list(d.equality_ids, 'equality_ids', (x, f) => r.int(x, f)))
  if (d.sort_order_id !== null && d.sort_order_id !== undefined) set('sortOrderId', r.int(d.sort_order_id, 'sort_order_id'))
  if (d.referenced_data_file !== null && d.referenced_data_file !== undefined) set('referencedDataFile', r.string(d.referenced_data_file, 'referenced_data_file'))
  set('ailake', decodeFacts(r, d.ailake))
  return file
}

/**
 * Decodes a manifest and applies inheritance: a null `snapshot_id` becomes `inherit.snapshotId`;
 * null sequence numbers of ADDED entries become `inherit.sequenceNumber` (the manifest's
 * sequence number from the manifest list). EXISTING and DELETED entries must carry their data
 * sequence number (else `CORRUPT_DATA`). Manifests written under format v1 (no
 * `sequence_number` column) get sequence number 0 for every entry, as the spec says. Each file's
 * `specId` is `inherit.specId` (the manifest list's `partition_spec_id`), else the header's.
 *
 * @throws AilakeError `CORRUPT_DATA` on malformed or truncated bytes and invalid entries;
 *   `UNSUPPORTED` for non-Parquet files or an Avro codec ailake does not read.
 */
export function decodeManifest(
  bytes: Uint8Array,
  inherit: { snapshotId: bigint; sequenceNumber: bigint; specId?: number },
  opts: DecodeManifestOptions = {},
): ManifestEntry[] {
  const what = opts.what ?? 'manifest'
  const ocf = readOcf(bytes, { what })
  const top = typeof ocf.schema === 'object' && ocf.schema !== null ? (ocf.schema as Rec).fields : undefined
  const hasSeq = Array.isArray(top) && top.some((f) => (f as Rec).name === 'sequence_number')
  const v1 = ocf.metadata['format-version'] === '1' || !hasSeq
  const kinds = partitionKinds(ocf.schema)
  const headerSpec = Number(ocf.metadata['partition-spec-id'] ?? 0)
  const specId = inherit.specId ?? (Number.isInteger(headerSpec) ? headerSpec : 0)
  return ocf.records.map((raw, i) => {
    const r: EntryReader = new EntryReader(what, i)
    const o = r.rec(raw, 'record')
    const statusId = r.int(o.status, 'status')
    const status = STATUS[statusId]
    if (status === undefined) r.fail('status', '0 (EXISTING), 1 (ADDED) or 2 (DELETED)', statusId)
    const snapshotId = r.optLong(o.snapshot_id, 'snapshot_id') ?? inherit.snapshotId
    let sequenceNumber = r.optLong(o.sequence_number, 'sequence_number')
    let fileSequenceNumber = r.optLong(o.file_sequence_number, 'file_sequence_number')
    if (v1) {
      sequenceNumber ??= 0n
      fileSequenceNumber ??= 0n
    } else if (status === 'ADDED') {
      sequenceNumber ??= inherit.sequenceNumber
      fileSequenceNumber ??= inherit.sequenceNumber
    } else if (sequenceNumber === null) {
      r.fail('sequence_number', `set explicitly on an ${status} entry`, null)
    }
    return { status, snapshotId, sequenceNumber, fileSequenceNumber, dataFile: decodeDataFile(r, o.data_file, kinds, specId) }
  })
}
