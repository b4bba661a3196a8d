/**
 * Writes a batch of rows as one or more data files (rolling over at a target size): Parquet
 * with the embedded index section, stored once under `data/`, described by Iceberg DataFile
 * entries that carry the file's vector facts.
 */
import { AilakeError } from '../errors.js'
import type { ColumnStats, Field, Schema } from '../format/schema.js'
import { POSITION_DELETE_SCHEMA, writePositionDeleteFile } from '../format/delete-file.js'
import { decodeStoredVectors, encodeVectorValues, fixedLength, rowBytes, writeDataFile, type ExtraVectorInput, type VectorInput } from '../format/data-file.js'
import { encodeBound } from '../format/iceberg/bounds.js'
import type { DataFile } from '../format/iceberg/types.js'
import type { DataFileWritten } from '../format/data-file.js'
import { HnswIndex, type CodesOptions } from '../vector-index/hnsw.js'
import type { ObjectStore } from '../store/object-store.js'
import { buildTextIndex } from '../text/text-index.js'
import { newUuid } from './ids.js'
import type { RowBatch } from './rows.js'
import { vectorColumns, type VectorColumnParameters, type VectorColumnPolicy, type VectorPolicy } from './vector-policy.js'

/** When a write rolls over to a new data file. */
export interface FileRollOptions {
  /** Roll over to a new file after this many rows. Default 100,000. */
  maxRowsPerFile?: number
  /** Roll over once a file's vector bytes would exceed this. Default 128 MiB. */
  targetFileBytes?: number
}

export interface DataWriteOptions extends FileRollOptions {
  /** Build the HNSW index now, or leave the file unindexed for a deferred build. Default true. */
  buildIndex?: boolean
  /** Encodes a file elsewhere (a worker thread); it may take over `vectors` and `columns`. Default: `encodeDataFile` in this thread. */
  encoder?: FileEncoder
}

/** Encodes one data file without an index, off the calling thread (see `DataWriteOptions.encoder`). */
export type FileEncoder = (schema: Schema, columns: Map<number, unknown[]>, vectors: Float32Array, policy: VectorPolicy) => Promise<DataFileWritten>

export interface DataTarget {
  store: ObjectStore
  location: string
  keyOf(location: string): string
  schema: Schema
  policy: VectorPolicy
  /** The partition every row of the batch is in (see partition.ts); default: unpartitioned. */
  partition?: FilePartition
}

/** The partition a data file holds rows of: its spec and its tuple (by partition field name). */
export interface FilePartition {
  specId: number
  tuple: Record<string, unknown>
}

/** The Iceberg type of the vector column for a policy. */
export function vectorFieldType(policy: Pick<VectorPolicy, 'precision' | 'dim'>, elementId: number): Field['type'] {
  switch (policy.precision) {
    case 'f32': return { type: 'list', elementId, element: 'float', elementRequired: true }
    case 'f16': return { type: 'fixed', length: fixedLength('f16', policy.dim) }
    case 'i8': return { type: 'fixed', length: fixedLength('i8', policy.dim) }
  }
}

/** The vectors exactly as a reader will decode them from the file, so the index matches them. */
export function storedVectors(vectors: Float32Array, policy: Pick<VectorPolicy, 'dim' | 'precision'>): Float32Array {
  if (policy.precision === 'f32') return vectors
  return decodeStoredVectors(encodeVectorValues(vectors, policy.dim, policy.precision), policy.dim, policy.precision)
}

/** Writes the batch (already validated) and returns one DataFile per file written. */
export async function writeDataFiles(target: DataTarget, batch: RowBatch, options: DataWriteOptions = {}): Promise<{ files: DataFile[]; keys: string[] }> {
  const { policy } = target
  const bytesPerRow = vectorColumns(policy).reduce((a, c) => a + c.dim * (c.precision === 'f32' ? 4 : c.precision === 'f16' ? 2 : 1), 0)
  const rowsPerFile = Math.max(1, Math.min(options.maxRowsPerFile ?? 100_000, Math.floor((options.targetFileBytes ?? 128 * 2 ** 20) / bytesPerRow)))
  const files: DataFile[] = []
  const keys: string[] = []
  for (let start = 0; start < batch.rowCount; start += rowsPerFile) {
    const end = Math.min(batch.rowCount, start + rowsPerFile)
    // One file holding the whole batch reads its columns in place (the encoder does not modify them).
    const columns = start === 0 && end === batch.rowCount ? batch.columns : new Map<number, unknown[]>()
    if (columns !== batch.columns) for (const [id, values] of batch.columns) columns.set(id, values.slice(start, end))
    const vectors = batch.vectors.subarray(start * policy.dim, end * policy.dim)
    const file = await writeOne(target, columns, vectors, options.buildIndex !== false, options.encoder)
    files.push(file.dataFile)
    keys.push(file.key)
  }
  return { files, keys }
}

async function writeOne(target: DataTarget, columns: Map<number, unknown[]>, vectors: Float32Array, buildIndex: boolean, encoder: FileEncoder | undefined): Promise<{ dataFile: DataFile; key: string }> {
  const { policy, schema } = target
  const written = encoder !== undefined && !buildIndex ? await encoder(schema, columns, vectors, policy) : encodeDataFile(schema, columns, vectors, policy, { buildIndex })
  const location = `${target.location}/data/${newUuid()}.parquet`
  const key = target.keyOf(location)
  await target.store.put(key, written.bytes)
  return { dataFile: toDataFile(location, written, schema, target.partition), key }
}

/** The codes a column's indexes store (VectorColumnParameters.codes). */
function codesOptions(c: VectorColumnParameters): CodesOptions {
  return c.codes === 'pq' ? { kind: 'pq', ...(c.subvectors === undefined ? {} : { subvectors: c.subvectors }) } : {}
}

/**
 * Encodes one data file: Parquet with its ailake section, and the HNSW index built now when
 * `buildIndex` is set. The index is built over the vectors as a reader will decode them
 * (`indexVectors`, by default the stored form of `vectors`), so search scores what it indexed.
 */
export function encodeDataFile(
  schema: Schema, columns: Map<number, unknown[]>, vectors: Float32Array, policy: VectorPolicy,
  options: { buildIndex: boolean; indexVectors?: Float32Array; storedValues?: Uint8Array; onProgress?: (inserted: number, total: number) => void },
): DataFileWritten {
  const vectorField = schema.fields.find((f) => f.name === policy.column)
  if (vectorField === undefined) throw new AilakeError('INTERNAL', `table schema lacks its vector column ${policy.column}`)
  let index: { type: 'hnsw'; bytes: Uint8Array; codes?: Uint8Array } | undefined
  if (options.buildIndex) {
    const hnsw = HnswIndex.build(options.indexVectors ?? storedVectors(vectors, policy), {
      metric: policy.metric, dim: policy.dim, M: policy.M, efConstruction: policy.efConstruction,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    })
    // The codes its quantised traversal reads go next to the graph, so a search can traverse
    // without the vectors (small indexes traverse on the vectors and have none).
    const codes = hnsw.codes(codesOptions(policy))
    index = { type: 'hnsw', bytes: hnsw.serialize(), ...(codes === undefined ? {} : { codes }) }
  }
  const rowCount = vectors.length / policy.dim
  const text = textIndexOf(schema, columns, rowCount, policy)
  const split = splitVectorColumns(schema, policy, columns, rowCount)
  const extraVectors: ExtraVectorInput[] = split.extra.map(({ vector, indexVectors, column }) => {
    if (!options.buildIndex) return { vector }
    const hnsw = HnswIndex.build(indexVectors, { metric: column.metric, dim: column.dim, M: column.M, efConstruction: column.efConstruction })
    const codes = hnsw.codes(codesOptions(column))
    return { vector, index: { type: 'hnsw', bytes: hnsw.serialize(), ...(codes === undefined ? {} : { codes }) } }
  })
  return writeDataFile({
    schema,
    columns: split.columns,
    ...(extraVectors.length === 0 ? {} : { extraVectors }),
    ...(text === undefined ? {} : { text }),
    vector: {
      fieldId: vectorField.id, column: policy.column, dim: policy.dim, metric: policy.metric, precision: policy.precision, vectors,
      ...(options.storedValues === undefined ? {} : { stored: options.storedValues }),
    },
    ...(index === undefined ? {} : { index }),
  })
}

/**
 * Takes the vector columns after the primary one out of `columns` (where a batch carries them,
 * one value per row): each as the writer's input, its vectors as a reader will decode them (what
 * its index is built over). A row's value is a Float32Array or number[] of the column's `dim`,
 * or, read back from a file by a rewrite, the f16/i8 stored bytes, which are written as they are.
 */
export function splitVectorColumns(schema: Schema, policy: VectorPolicy, columns: Map<number, unknown[]>, rowCount: number): {
  columns: Map<number, unknown[]>
  extra: { column: VectorColumnPolicy; vector: VectorInput; indexVectors: Float32Array }[]
} {
  const extra = policy.extra ?? []
  if (extra.length === 0) return { columns, extra: [] }
  const rest = new Map(columns)
  return {
    columns: rest,
    extra: extra.map((column) => {
      const field = schema.fields.find((f) => f.name === column.column)
      if (field === undefined) throw new AilakeError('INTERNAL', `table schema lacks its vector column ${column.column}`)
      const values = columns.get(field.id)
      rest.delete(field.id)
      if (values === undefined || values.length !== rowCount) throw new AilakeError('INTERNAL', `the batch holds ${values?.length ?? 0} vectors of column ${column.column} for ${rowCount} rows`)
      const { dim, precision } = column
      const rb = rowBytes(precision, dim)
      const allStored = precision !== 'f32' && values.every((v) => v instanceof Uint8Array)
      const stored = allStored ? new Uint8Array(rowCount * rb) : undefined
      const vectors = new Float32Array(rowCount * dim)
      values.forEach((v, r) => {
        if (v instanceof Uint8Array && precision !== 'f32' && v.length === rb) {
          if (stored !== undefined) stored.set(v, r * rb)
          else vectors.set(decodeStoredVectors(v, dim, precision), r * dim)
        } else if ((v instanceof Float32Array || Array.isArray(v)) && v.length === dim) {
          for (let d = 0; d < dim; d++) {
            const x = (v as ArrayLike<unknown>)[d]
            if (typeof x !== 'number' || !Number.isFinite(x)) throw new AilakeError('INTERNAL', `row ${r} of vector column ${column.column} holds ${String(x)}`)
            vectors[r * dim + d] = x
          }
        } else {
          throw new AilakeError('INTERNAL', `row ${r} of vector column ${column.column} holds no ${dim}-d vector`)
        }
      })
      if (stored !== undefined) vectors.set(decodeStoredVectors(stored, dim, precision))
      const vector: VectorInput = { fieldId: field.id, column: column.column, dim, metric: column.metric, precision, vectors, ...(stored === undefined ? {} : { stored }) }
      return { column, vector, indexVectors: stored === undefined ? storedVectors(vectors, column) : vectors }
    }),
  }
}

/**
 * The full-text index block of a file's rows, for tables with full-text columns. A listed
 * column the schema does not have (yet) indexes as rows without text.
 */
export function textIndexOf(schema: Schema, columns: Map<number, unknown[]>, rowCount: number, policy: VectorPolicy): Uint8Array | undefined {
  const ft = policy.fullText
  if (ft === undefined) return undefined
  return buildTextIndex(ft.columns.map((name) => {
    const field = schema.fields.find((f) => f.name === name)
    const values = field === undefined ? undefined : columns.get(field.id)
    return { fieldId: field?.id ?? 0, name, values: values ?? new Array<null>(rowCount).fill(null) }
  }), rowCount, ft.language)
}

/**
 * The Iceberg DataFile (with its ailake vector facts) describing a data file written at
 * `location`, whose rows are all in `partition` (default: the table is unpartitioned).
 */
export function toDataFile(location: string, written: ReturnType<typeof writeDataFile>, schema: Schema, partition?: FilePartition): DataFile {
  const v = written.vector
  return {
    content: 'data',
    filePath: location,
    fileFormat: 'PARQUET',
    partition: partition === undefined ? {} : { ...partition.tuple },
    ...(partition === undefined ? {} : { specId: partition.specId }),
    recordCount: written.rowCount,
    fileSizeInBytes: written.fileSize,
    ...fileMetrics(written.columnStats, schema),
    ailake: {
      column: v.column, dim: v.dim, metric: v.metric, precision: v.precision, rowCount: v.rowCount,
      centroid: v.centroid, radius: v.radius, indexType: v.indexType,
      indexStatus: v.indexType === 'hnsw' ? 'ready' : 'pending',
      sectionOffset: v.sectionOffset, sectionLength: v.sectionLength,
      ...(written.extraVectors.length === 0 ? {} : {
        columns: written.extraVectors.map((c) => ({
          column: c.column, dim: c.dim, metric: c.metric, precision: c.precision, rowCount: c.rowCount, centroid: c.centroid, radius: c.radius,
          indexType: c.indexType, sectionOffset: c.sectionOffset, sectionLength: c.sectionLength,
        })),
      }),
    },
  }
}

/** The Iceberg column metrics (sizes, counts, single-value bounds) of a written file. */
export function fileMetrics(stats: readonly ColumnStats[], schema: Schema): Pick<DataFile, 'columnSizes' | 'valueCounts' | 'nullValueCounts' | 'nanValueCounts' | 'lowerBounds' | 'upperBounds'> {
  const byId = new Map(schema.fields.map((f) => [f.id, f]))
  const columnSizes = new Map<number, number>()
  const valueCounts = new Map<number, number>()
  const nullValueCounts = new Map<number, number>()
  const nanValueCounts = new Map<number, number>()
  const lowerBounds = new Map<number, Uint8Array>()
  const upperBounds = new Map<number, Uint8Array>()
  for (const s of stats) {
    columnSizes.set(s.fieldId, s.sizeBytes)
    valueCounts.set(s.fieldId, s.valueCount)
    nullValueCounts.set(s.fieldId, s.nullCount)
    if (s.nanCount !== undefined) nanValueCounts.set(s.fieldId, s.nanCount)
    const type = byId.get(s.fieldId)?.type
    if (typeof type !== 'string') continue
    const lo = s.lower === undefined ? undefined : encodeBound(type, s.lower)
    const hi = s.upper === undefined ? undefined : encodeBound(type, s.upper)
    if (lo !== undefined) lowerBounds.set(s.fieldId, lo)
    if (hi !== undefined) upperBounds.set(s.fieldId, hi)
  }
  return { columnSizes, valueCounts, nullValueCounts, nanValueCounts, lowerBounds, upperBounds }
}

/**
 * A position delete file deleting `positions` (ascending, distinct) of data file `target`: its
 * bytes, and its manifest entry once stored at `location`. It is in the target's partition (and
 * spec), as Iceberg scopes delete files by partition.
 */
export function encodePositionDeletes(location: string, target: Pick<DataFile, 'filePath' | 'partition' | 'specId'>, positions: readonly number[]): { bytes: Uint8Array; dataFile: DataFile } {
  const written = writePositionDeleteFile(target.filePath, positions)
  return {
    bytes: written.bytes,
    dataFile: {
      content: 'position-deletes',
      filePath: location,
      fileFormat: 'PARQUET',
      partition: { ...target.partition },
      ...(target.specId === undefined ? {} : { specId: target.specId }),
      recordCount: written.rowCount,
      fileSizeInBytes: written.bytes.length,
      ...fileMetrics(written.columnStats, POSITION_DELETE_SCHEMA),
      referencedDataFile: target.filePath,
    },
  }
}
