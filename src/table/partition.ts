/**
 * Partitioning on the write side: the spec `createTable({ partitionBy })` asks for, the spec a
 * file belongs to, and the split of a batch of rows into one group per partition tuple, so no
 * data file ever mixes partitions (every engine prunes by a file's tuple).
 */
import { corrupt, invalid } from '../errors.js'
import { parseTransform, applyTransform, defaultPartitionName, partitionKey, transformRefusal, transformText, type Transform } from '../format/iceberg/partition-transform.js'
import type { DataFile, PartitionField, PartitionSpec, TableMetadata } from '../format/iceberg/types.js'
import type { Schema } from '../format/schema.js'

/**
 * One partition field of `createTable({ partitionBy })`: a column name (identity), a transform
 * call as Spark SQL writes it (`'day(ts)'`, `'bucket(16, id)'`, `'truncate(4, name)'`), or an
 * object `{ column, transform, name }` with Iceberg's transform text (`'bucket[16]'`).
 */
export type PartitionInput = string | { column: string; transform?: string; name?: string }

/** Partition field ids start here (Iceberg's convention; last-partition-id of a new table is 999). */
export const FIRST_PARTITION_FIELD_ID = 1000

const UNPARTITIONED: PartitionSpec = { specId: 0, fields: [] }

/** The spec new files are written with. */
export function defaultSpec(meta: TableMetadata): PartitionSpec {
  return specById(meta, meta.defaultSpecId)
}

/** Spec `id` of the table (`CORRUPT_DATA` when a manifest names one the table does not list). */
export function specById(meta: TableMetadata, id: number): PartitionSpec {
  const spec = meta.partitionSpecs.find((s) => s.specId === id)
  if (spec !== undefined) return spec
  if (id === 0 && meta.partitionSpecs.length === 0) return UNPARTITIONED
  throw corrupt(`table ${meta.location} has no partition spec ${id} (it lists ${meta.partitionSpecs.map((s) => s.specId).join(', ')}); its metadata is corrupt`, { specId: id })
}

/** A spec as people read it: `tenant, bucket[16](id)`, or `nothing` when unpartitioned. */
export function describeSpec(spec: PartitionSpec): string {
  return spec.fields.length === 0 ? 'nothing' : spec.fields.map((f) => f.transform === 'identity' ? f.name : `${f.transform}(${f.name})`).join(', ')
}

function parseInput(input: PartitionInput, i: number): { column: string; transform: Transform; name?: string } {
  const where = `createTable(): partitionBy[${i}]`
  if (typeof input === 'string') {
    const s = input.trim()
    const call = /^([a-z]+)\s*\(\s*(?:(\d+)\s*,\s*)?([^()]+?)\s*\)$/i.exec(s)
    if (call === null) return { column: s, transform: { kind: 'identity' } }
    const [, fn, n, column] = call as unknown as [string, string, string | undefined, string]
    const f = fn.toLowerCase()
    const text = f === 'bucket' || f === 'truncate' ? `${f}[${n ?? ''}]` : n === undefined ? f : `${f}[${n}]`
    if ((f === 'bucket' || f === 'truncate') && n === undefined) throw invalid(`${where}: ${f} needs its ${f === 'bucket' ? 'number of buckets' : 'width'}, e.g. '${f}(16, ${column})'`)
    return { column, transform: parseTransform(text) }
  }
  if (input === null || typeof input !== 'object' || typeof input.column !== 'string') {
    throw invalid(`${where} must be a column name, a transform such as 'day(ts)' or 'bucket(16, id)', or { column, transform }, got ${JSON.stringify(input)}`)
  }
  for (const key of Object.keys(input)) if (key !== 'column' && key !== 'transform' && key !== 'name') throw invalid(`${where}: unknown key ${JSON.stringify(key)}; valid keys: column, transform, name`)
  return { column: input.column, transform: parseTransform(input.transform ?? 'identity'), ...(input.name === undefined ? {} : { name: input.name }) }
}

/**
 * The partition spec (id 0, field ids from 1000) of `inputs` over `schema`. Every field must be a
 * scalar column other than the vector, with a transform that applies to its type; names are
 * Iceberg's defaults (`tenant`, `id_bucket`, `ts_day`) unless given, and must be distinct.
 */
export function resolvePartitionSpec(schema: Schema, inputs: readonly PartitionInput[], vectorColumns: readonly string[]): PartitionSpec {
  if (!Array.isArray(inputs)) throw invalid(`createTable(): partitionBy must be an array, e.g. ['tenant', 'day(ts)'], got ${JSON.stringify(inputs)}`)
  const fields: PartitionField[] = []
  const seen = new Set<string>()
  inputs.forEach((input, i) => {
    const { column, transform, name } = parseInput(input, i)
    const field = schema.fields.find((f) => f.name === column)
    if (field === undefined) throw invalid(`createTable(): partitionBy[${i}] names column ${JSON.stringify(column)}, which the schema does not have (names are case-sensitive); columns: ${schema.fields.filter((f) => !vectorColumns.includes(f.name)).map((f) => f.name).join(', ')}`, { column })
    if (vectorColumns.includes(column)) throw invalid(`createTable(): the vector column ${column} cannot be partitioned by`, { column })
    const refusal = transformRefusal(transform, field.type)
    if (refusal !== undefined) throw invalid(`createTable(): partitionBy[${i}]: ${refusal}`, { column })
    const partitionName = name ?? defaultPartitionName(transform, column)
    const text = transformText(transform)
    if (seen.has(`${field.id}:${text}`)) throw invalid(`createTable(): partitionBy lists ${text}(${column}) twice`, { column })
    seen.add(`${field.id}:${text}`)
    if (fields.some((f) => f.name === partitionName)) throw invalid(`createTable(): two partition fields are named ${JSON.stringify(partitionName)}; give one a name: { column, transform, name }`, { name: partitionName })
    // Iceberg: a partition field may share a column's name only as that column's identity.
    const clash = schema.fields.find((f) => f.name === partitionName)
    if (clash !== undefined && !(transform.kind === 'identity' && clash.id === field.id)) throw invalid(`createTable(): partition field name ${JSON.stringify(partitionName)} is a column of the schema; name it otherwise: { column, transform, name }`, { name: partitionName })
    fields.push({ sourceId: field.id, fieldId: FIRST_PARTITION_FIELD_ID + fields.length, name: partitionName, transform: text })
  })
  return { specId: 0, fields }
}

/**
 * `spec` in the form `createTable({ partitionBy })` takes, so a table's partitioning can be read
 * back and passed to another table: `'tenant'`, `'bucket(16, id)'`, or `{ column, transform, name }`
 * when the field's name is not Iceberg's default. A field whose source column the schema no longer
 * has names it by its source id (`#3`).
 */
export function partitionInputs(spec: PartitionSpec, schema: Schema): PartitionInput[] {
  return spec.fields.map((pf) => {
    const column = schema.fields.find((f) => f.id === pf.sourceId)?.name ?? `#${pf.sourceId}`
    const t = parseTransform(pf.transform)
    if (pf.name !== defaultPartitionName(t, column)) return { column, transform: pf.transform, name: pf.name }
    if (t.kind === 'identity') return column
    return t.param === undefined ? `${t.kind}(${column})` : `${t.kind}(${t.param}, ${column})`
  })
}

/** One partition of a batch: its tuple (by partition field name) and its rows, in batch order. */
export interface PartitionGroup {
  tuple: Record<string, unknown>
  rows: number[]
}

/**
 * Splits `rowCount` rows (columns by field id, as a RowBatch holds them) by their partition
 * tuple under `spec`. An unpartitioned spec gives one group of every row.
 */
export function partitionRows(spec: PartitionSpec, schema: Schema, columns: ReadonlyMap<number, readonly unknown[]>, rowCount: number): PartitionGroup[] {
  if (spec.fields.length === 0) return [{ tuple: {}, rows: Array.from({ length: rowCount }, (_, i) => i) }]
  const parts = spec.fields.map((pf) => {
    const source = schema.fields.find((f) => f.id === pf.sourceId)
    if (source === undefined || typeof source.type !== 'string') throw invalid(`partition field ${pf.name} has source column id ${pf.sourceId}, which schema ${schema.schemaId} has no scalar column for`, { sourceId: pf.sourceId })
    return { name: pf.name, type: source.type, transform: parseTransform(pf.transform), values: columns.get(pf.sourceId) }
  })
  const groups = new Map<string, PartitionGroup>()
  const values = new Array<unknown>(parts.length)
  for (let i = 0; i < rowCount; i++) {
    parts.forEach((p, j) => { values[j] = applyTransform(p.transform, p.type, p.values?.[i] ?? null) })
    const key = partitionKey(values)
    let g = groups.get(key)
    if (g === undefined) {
      const tuple: Record<string, unknown> = {}
      parts.forEach((p, j) => { tuple[p.name] = values[j] })
      groups.set(key, g = { tuple, rows: [] })
    }
    g.rows.push(i)
  }
  return [...groups.values()]
}

/**
 * The identity partition values of a data file by source field id (undefined when it has none):
 * what a column the file leaves out reads as (Iceberg writers may omit identity-partitioned
 * columns, `write.data.partition-columns = false`; Hive-migrated files never had them).
 */
export function identityValues(meta: TableMetadata, file: DataFile): Map<number, unknown> | undefined {
  const spec = meta.partitionSpecs.find((s) => s.specId === (file.specId ?? meta.defaultSpecId))
  let out: Map<number, unknown> | undefined
  for (const pf of spec?.fields ?? []) {
    const v = file.partition[pf.name]
    if (pf.transform !== 'identity' || v === undefined || v === null) continue
    ;(out ??= new Map()).set(pf.sourceId, v)
  }
  return out
}
