/**
 * The Avro writer schemas of Iceberg v2 manifests (`manifest_entry`) and manifest lists
 * (`manifest_file`), with the spec's field ids, plus partition-tuple typing.
 *
 * ailake's per-file vector facts travel in an extra optional field of `data_file`, named
 * `ailake` with field id {@link AILAKE_FIELD_ID}. Readers that project the fields they know
 * (every Iceberg reader resolves by field id or name) skip it.
 */
import { AilakeError } from '../../errors.js'
import { decimalOf, type FieldType, type PrimitiveType, type Schema } from '../schema.js'
import { decimalFixedLength } from '../../util/decimal.js'
import type { PartitionSpec } from './types.js'

/** Field id of `data_file.ailake`; ids 3000-3099 are reserved for it and its sub-fields. */
export const AILAKE_FIELD_ID = 3000

type AvroJson = unknown
const opt = (name: string, id: number, type: AvroJson): AvroJson => ({ name, type: ['null', type], default: null, 'field-id': id })
const req = (name: string, id: number, type: AvroJson): AvroJson => ({ name, type, 'field-id': id })
/** Iceberg's Avro form of a map with int keys: an array of key/value records. */
const intMap = (keyId: number, valueId: number, valueType: string): AvroJson => ({
  type: 'array',
  logicalType: 'map',
  items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [req('key', keyId, 'int'), req('value', valueId, valueType)] },
})

/** The Avro type of a primitive (or fixed) Iceberg value. */
export function avroTypeOf(type: FieldType, fixedName: string): AvroJson {
  if (typeof type === 'object') {
    if (type.type === 'fixed') return { type: 'fixed', name: fixedName, size: type.length }
    throw new AilakeError('UNSUPPORTED', 'a list cannot be a partition source column')
  }
  switch (type) {
    case 'binary': return 'bytes'
    case 'date': return { type: 'int', logicalType: 'date' }
    case 'timestamp': return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false }
    case 'timestamptz': return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true }
    case 'time': return { type: 'long', logicalType: 'time-micros' }
    case 'uuid': return { type: 'fixed', name: fixedName, size: 16, logicalType: 'uuid' }
  }
  // Iceberg's Avro decimal: the unscaled value in big-endian two's complement, fixed to the bytes P needs.
  const d = decimalOf(type)
  if (d !== undefined) return { type: 'fixed', name: fixedName, size: decimalFixedLength(d.precision), logicalType: 'decimal', precision: d.precision, scale: d.scale }
  return type
}

/** The result type of a partition transform applied to a column of `source` type. */
export function partitionResultType(transform: string, source: FieldType): FieldType {
  if (transform === 'identity' || transform === 'void' || /^truncate\[\d+\]$/.test(transform)) return source
  if (/^bucket\[\d+\]$/.test(transform) || transform === 'year' || transform === 'month' || transform === 'hour') return 'int'
  if (transform === 'day') return 'date'
  throw new AilakeError('UNSUPPORTED', `partition transform ${JSON.stringify(transform)} is not supported`, { context: { transform } })
}

/** Name and result type of each partition field of `spec`, in order. */
export function partitionFields(schema: Schema, spec: PartitionSpec): { name: string; fieldId: number; type: FieldType }[] {
  return spec.fields.map((pf) => {
    const source = schema.fields.find((f) => f.id === pf.sourceId)
    if (source === undefined) {
      throw new AilakeError('INVALID_ARGUMENT', `partition field ${pf.name} refers to source column id ${pf.sourceId}, which is not in schema ${schema.schemaId}`, {
        context: { sourceId: pf.sourceId },
      })
    }
    return { name: pf.name, fieldId: pf.fieldId, type: partitionResultType(pf.transform, source.type) }
  })
}

/** The `ailake` record: per-file vector facts (see docs/iceberg.md). */
const AILAKE_RECORD: AvroJson = {
  type: 'record',
  name: `r${AILAKE_FIELD_ID}`,
  fields: [
    req('column', 3001, 'string'),
    req('dim', 3002, 'int'),
    req('metric', 3003, 'string'),
    req('precision', 3004, 'string'),
    req('row_count', 3005, 'long'),
    req('centroid', 3006, 'bytes'),
    req('radius', 3007, 'double'),
    req('index_type', 3008, 'string'),
    req('index_status', 3009, 'string'),
    req('section_offset', 3010, 'long'),
    req('section_length', 3011, 'long'),
    opt('cluster', 3012, 'int'),
    opt('columns', 3013, {
      type: 'array',
      'element-id': 3014,
      items: {
        type: 'record',
        name: 'r3014',
        fields: [
          req('column', 3015, 'string'),
          req('dim', 3016, 'int'),
          req('metric', 3017, 'string'),
          req('precision', 3018, 'string'),
          req('centroid', 3019, 'bytes'),
          req('radius', 3020, 'double'),
          req('index_type', 3021, 'string'),
          req('section_offset', 3022, 'long'),
          req('section_length', 3023, 'long'),
        ],
      },
    }),
  ],
}

/** The v2 `manifest_entry` Avro schema for a table schema and partition spec. */
export function manifestEntrySchema(schema: Schema, spec: PartitionSpec): AvroJson {
  const partition = {
    type: 'record',
    name: 'r102',
    fields: partitionFields(schema, spec).map((f) => opt(f.name, f.fieldId, avroTypeOf(f.type, `fixed_${f.fieldId}`))),
  }
  const dataFile = {
    type: 'record',
    name: 'r2',
    fields: [
      req('content', 134, 'int'),
      req('file_path', 100, 'string'),
      req('file_format', 101, 'string'),
      req('partition', 102, partition),
      req('record_count', 103, 'long'),
      req('file_size_in_bytes', 104, 'long'),
      opt('column_sizes', 108, intMap(117, 118, 'long')),
      opt('value_counts', 109, intMap(119, 120, 'long')),
      opt('null_value_counts', 110, intMap(121, 122, 'long')),
      opt('nan_value_counts', 137, intMap(138, 139, 'long')),
      opt('lower_bounds', 125, intMap(126, 127, 'bytes')),
      opt('upper_bounds', 128, intMap(129, 130, 'bytes')),
      opt('key_metadata', 131, 'bytes'),
      opt('split_offsets', 132, { type: 'array', items: 'long', 'element-id': 133 }),
      opt('equality_ids', 135, { type: 'array', items: 'int', 'element-id': 136 }),
      opt('sort_order_id', 140, 'int'),
      opt('referenced_data_file', 143, 'string'),
      opt('ailake', AILAKE_FIELD_ID, AILAKE_RECORD),
    ],
  }
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      req('status', 0, 'int'),
      opt('snapshot_id', 1, 'long'),
      opt('sequence_number', 3, 'long'),
      opt('file_sequence_number', 4, 'long'),
      req('data_file', 2, dataFile),
    ],
  }
}

/** The v2 `manifest_file` Avro schema (manifest list records), field ids 500-519. */
export const MANIFEST_FILE_SCHEMA: AvroJson = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    req('manifest_path', 500, 'string'),
    req('manifest_length', 501, 'long'),
    req('partition_spec_id', 502, 'int'),
    req('content', 517, 'int'),
    req('sequence_number', 515, 'long'),
    req('min_sequence_number', 516, 'long'),
    req('added_snapshot_id', 503, 'long'),
    req('added_files_count', 504, 'int'),
    req('existing_files_count', 505, 'int'),
    req('deleted_files_count', 506, 'int'),
    req('added_rows_count', 512, 'long'),
    req('existing_rows_count', 513, 'long'),
    req('deleted_rows_count', 514, 'long'),
    opt('partitions', 507, {
      type: 'array',
      'element-id': 508,
      items: {
        type: 'record',
        name: 'r508',
        fields: [
          req('contains_null', 509, 'boolean'),
          opt('contains_nan', 518, 'boolean'),
          opt('lower_bound', 510, 'bytes'),
          opt('upper_bound', 511, 'bytes'),
        ],
      },
    }),
    opt('key_metadata', 519, 'bytes'),
  ],
}

/** True for a primitive type name (not fixed or list). */
export function isPrimitive(t: FieldType): t is PrimitiveType {
  return typeof t === 'string'
}
