/**
 * Iceberg v2 manifest lists (Avro object container files of `manifest_file` records, field
 * ids 500-519) <-> `ManifestFile[]`.
 */
import { corrupt, invalid } from '../../errors.js'
import { readOcf, writeOcf } from './avro-ocf.js'
import { MANIFEST_FILE_SCHEMA } from './manifest-schema.js'
import type { FieldSummary, ManifestFile } from './types.js'

/** Options of {@link encodeManifestList}. */
export interface EncodeManifestListOptions {
  snapshotId: bigint
  parentSnapshotId: bigint | null
  /** The snapshot's sequence number (header `sequence-number`). */
  sequenceNumber: bigint
  /** 16-byte Avro sync marker (default random); fixed only for golden-byte tests. */
  sync?: Uint8Array
}

const COUNT_FIELDS = ['addedFilesCount', 'existingFilesCount', 'deletedFilesCount', 'addedRowsCount', 'existingRowsCount', 'deletedRowsCount'] as const

/**
 * Encodes a v2 manifest list (codec `null`) with header metadata `snapshot-id`,
 * `parent-snapshot-id` ("null" when there is none), `sequence-number` and `format-version` = "2".
 * Counts are written as given; compute them from the entries (see `manifestCounts`).
 * `partitions` summaries are written when given (the field is optional in v2).
 *
 * @throws AilakeError `INVALID_ARGUMENT` for negative counts, a manifest sequence number above
 *   the snapshot's, or min-sequence-number above the manifest's.
 */
export function encodeManifestList(files: readonly ManifestFile[], opts: EncodeManifestListOptions): Uint8Array {
  const records = files.map((f, i) => {
    for (const k of COUNT_FIELDS) {
      if (!Number.isSafeInteger(f[k]) || f[k] < 0) throw invalid(`manifest ${i} (${f.manifestPath}): ${k} must be a non-negative integer, got ${f[k]}`)
    }
    if (f.sequenceNumber > opts.sequenceNumber) throw invalid(`manifest ${i} (${f.manifestPath}) has sequence number ${f.sequenceNumber}, above the snapshot's ${opts.sequenceNumber}`)
    if (f.minSequenceNumber > f.sequenceNumber) throw invalid(`manifest ${i} (${f.manifestPath}) has min sequence number ${f.minSequenceNumber} above its sequence number ${f.sequenceNumber}`)
    return {
      manifest_path: f.manifestPath,
      manifest_length: f.manifestLength,
      partition_spec_id: f.partitionSpecId,
      content: f.content === 'data' ? 0 : 1,
      sequence_number: f.sequenceNumber,
      min_sequence_number: f.minSequenceNumber,
      added_snapshot_id: f.addedSnapshotId,
      added_files_count: f.addedFilesCount,
      existing_files_count: f.existingFilesCount,
      deleted_files_count: f.deletedFilesCount,
      added_rows_count: f.addedRowsCount,
      existing_rows_count: f.existingRowsCount,
      deleted_rows_count: f.deletedRowsCount,
      partitions: f.partitions === undefined ? null : f.partitions.map((p) => ({
        contains_null: p.containsNull,
        contains_nan: p.containsNan ?? null,
        lower_bound: p.lowerBound ?? null,
        upper_bound: p.upperBound ?? null,
      })),
      key_metadata: null,
    }
  })
  return writeOcf({
    schema: MANIFEST_FILE_SCHEMA,
    metadata: {
      'snapshot-id': String(opts.snapshotId),
      'parent-snapshot-id': opts.parentSnapshotId === null ? 'null' : String(opts.parentSnapshotId),
      'sequence-number': String(opts.sequenceNumber),
      'format-version': '2',
    },
    records,
    ...(opts.sync === undefined ? {} : { sync: opts.sync }),
  })
}

/** Options of {@link decodeManifestList}. */
export interface DecodeManifestListOptions {
  /** Names the file in error messages (default `"manifest list"`). */
  what?: string
}

/**
 * Decodes a manifest list. v1 lists (no `sequence_number`) read with sequence numbers 0 and
 * content `data`; missing v1 counts read as 0.
 *
 * @throws AilakeError `CORRUPT_DATA` on malformed bytes or records; `UNSUPPORTED` for an Avro
 *   codec ailake does not read.
 */
export function decodeManifestList(bytes: Uint8Array, opts: DecodeManifestListOptions = {}): ManifestFile[] {
  const what = opts.what ?? 'manifest list'
  const ocf = readOcf(bytes, { what })
  return ocf.records.map((raw, i) => {
    const fail = (field: string, expected: string, got: unknown): never => {
      throw corrupt(`${what}: record ${i} ${field} must be ${expected} but is ${typeof got === 'bigint' ? got : JSON.stringify(got)}; the manifest list is corrupt`, {
        what, record: i, field,
      })
    }
    if (typeof raw !== 'object' || raw === null) return fail('record', 'a record', raw)
    const o = raw as Record<string, unknown>
    const long = (field: string, dflt?: bigint): bigint => {
      const v = o[field]
      if ((v === undefined || v === null) && dflt !== undefined) return dflt
      return typeof v === 'bigint' ? v : fail(field, 'a long', v)
    }
    const count = (field: string): number => {
      const v = o[field]
      if (v === undefined || v === null) return 0
      const n = Number(v)
      return (typeof v === 'bigint' || typeof v === 'number') && Number.isSafeInteger(n) && n >= 0 ? n : fail(field, 'a non-negative count', v)
    }
    const path = o.manifest_path
    if (typeof path !== 'string') return fail('manifest_path', 'a string', path)
    const spec = o.partition_spec_id
    if (typeof spec !== 'number') return fail('partition_spec_id', 'an int', spec)
    const content = o.content ?? 0
    if (content !== 0 && content !== 1) return fail('content', '0 (data) or 1 (deletes)', content)
    const sequenceNumber = long('sequence_number', 0n)
    const minSequenceNumber = long('min_sequence_number', 0n)
    if (minSequenceNumber > sequenceNumber) fail('min_sequence_number', `at most sequence_number ${sequenceNumber}`, minSequenceNumber)
    const manifestLength = Number(long('manifest_length'))
    if (!Number.isSafeInteger(manifestLength) || manifestLength <= 0) fail('manifest_length', 'a positive length', o.manifest_length)
    const file: ManifestFile = {
      manifestPath: path,
      manifestLength,
      partitionSpecId: spec,
      content: content === 0 ? 'data' : 'deletes',
      sequenceNumber,
      minSequenceNumber,
      addedSnapshotId: long('added_snapshot_id'),
      addedFilesCount: count(o.added_files_count !== undefined ? 'added_files_count' : 'added_data_files_count'),
      existingFilesCount: count(o.existing_files_count !== undefined ? 'existing_files_count' : 'existing_data_files_count'),
      deletedFilesCount: count(o.deleted_files_count !== undefined ? 'deleted_files_count' : 'deleted_data_files_count'),
      addedRowsCount: count('added_rows_count'),
      existingRowsCount: count('existing_rows_count'),
      deletedRowsCount: count('deleted_rows_count'),
    }
    // v1 lists may leave counts out; writers and planners skip manifests by them, so unknown is not 0.
    const given = (a: string, b: string): boolean => (o[a] ?? o[b] ?? null) !== null
    if (!given('added_files_count', 'added_data_files_count') || !given('existing_files_count', 'existing_data_files_count')) file.countsUnknown = true
    if (Array.isArray(o.partitions)) file.partitions = o.partitions.map((p, j) => fieldSummary(p, (what2, got) => fail(`partitions[${j}].${what2}`, what2 === 'contains_null' ? 'a boolean' : 'bytes or null', got)))
    return file
  })
}

function fieldSummary(raw: unknown, fail: (field: string, got: unknown) => never): FieldSummary {
  if (typeof raw !== 'object' || raw === null) return fail('record', raw)
  const p = raw as Record<string, unknown>
  if (typeof p.contains_null !== 'boolean') return fail('contains_null', p.contains_null)
  const out: FieldSummary = { containsNull: p.contains_null }
  if (typeof p.contains_nan === 'boolean') out.containsNan = p.contains_nan
  for (const [key, field] of [['lowerBound', 'lower_bound'], ['upperBound', 'upper_bound']] as const) {
    const v = p[field]
    if (v === null || v === undefined) continue
    if (!(v instanceof Uint8Array)) return fail(field, v)
    out[key] = v
  }
  return out
}
