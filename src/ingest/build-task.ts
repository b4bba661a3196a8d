/**
 * The CPU-only part of a deferred index build, shared by the worker thread and the in-thread
 * fallback: decode the pending file (or take its rows from memory), build the HNSW graph, and
 * encode the new indexed file. No I/O here: the caller reads and writes the store.
 */
import { openDataFile, writeDataFile, type DataFileWritten } from '../format/data-file.js'
import type { Schema } from '../format/schema.js'
import { HnswIndex } from '../index/hnsw.js'
import { bytesSource } from '../util/byte-source.js'
import { decodeF16, encodeF16 } from '../vector/f16.js'
import { dequantizeI8, quantizeI8 } from '../vector/i8.js'
import type { Metric, Precision } from '../vector/types.js'

export interface BuildPolicy {
  column: string
  dim: number
  metric: Metric
  precision: Precision
  M: number
  efConstruction: number
}

/** The pending file's content: its bytes, or (fast path) the rows its writer still holds in memory. */
export type BuildSource =
  | { kind: 'file'; bytes: Uint8Array }
  | { kind: 'rows'; schema: Schema; columns: Map<number, unknown[]>; vectors: Float32Array }

export interface BuildTask {
  source: BuildSource
  policy: BuildPolicy
}

/** Vectors as a reader decodes them from the file, so the graph matches what search scores. */
function stored(vectors: Float32Array, p: BuildPolicy): Float32Array {
  switch (p.precision) {
    case 'f32': return vectors
    case 'f16': return decodeF16(encodeF16(vectors))
    case 'i8': {
      const q = quantizeI8(vectors, p.dim)
      return dequantizeI8(q.codes, q.scales, q.offsets, p.dim)
    }
  }
}

/** Builds the index and encodes the new file holding the same rows. */
export async function buildIndexedFile(task: BuildTask): Promise<DataFileWritten> {
  const { policy: p, source } = task
  let schema: Schema
  let columns: Map<number, unknown[]>
  let vectors: Float32Array
  let indexVectors: Float32Array
  if (source.kind === 'file') {
    const reader = await openDataFile(bytesSource(source.bytes))
    schema = reader.schema
    vectors = await reader.readVectors()
    indexVectors = vectors
    const rows = await reader.readRows({})
    columns = new Map()
    for (const field of schema.fields) {
      if (field.name === p.column) continue
      columns.set(field.id, rows.map((r) => r[field.name] ?? null))
    }
  } else {
    ({ schema, columns, vectors } = source)
    indexVectors = stored(vectors, p)
  }
  const vectorField = schema.fields.find((f) => f.name === p.column)
  if (vectorField === undefined) throw new Error(`the file has no vector column ${p.column}`)
  const index = HnswIndex.build(indexVectors, { metric: p.metric, dim: p.dim, M: p.M, efConstruction: p.efConstruction })
  return writeDataFile({
    schema, columns,
    vector: { fieldId: vectorField.id, column: p.column, dim: p.dim, metric: p.metric, precision: p.precision, vectors },
    index: { type: 'hnsw', bytes: index.serialize() },
  })
}
