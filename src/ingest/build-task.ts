/**
 * The CPU-only part of a deferred index build, shared by the worker thread and the in-thread
 * fallback: decode the pending file (or take its rows from memory), build the HNSW graph, and
 * encode the new indexed file. No I/O here: the caller reads and writes the store.
 */
import { openDataFile, type DataFileWritten } from '../format/data-file.js'
import type { Schema } from '../format/schema.js'
import { encodeDataFile } from '../table/data-writer.js'
import type { VectorPolicy } from '../table/vector-policy.js'
import { bytesSource } from '../util/byte-source.js'

/** The table's vector policy, as handed to a build (plain data, so it crosses to a worker). */
export type BuildPolicy = VectorPolicy

/** The pending file's content: its bytes, or (fast path) the rows its writer still holds in memory. */
export type BuildSource =
  | { kind: 'file'; bytes: Uint8Array }
  | { kind: 'rows'; schema: Schema; columns: Map<number, unknown[]>; vectors: Float32Array }

export interface BuildTask {
  source: BuildSource
  policy: BuildPolicy
  /** False encodes the file without an index (a flush moving its encoding off the main thread). Default true. */
  buildIndex?: boolean
}


/** Builds the index (unless `buildIndex` is false) and encodes the file holding the rows. */
export async function buildIndexedFile(task: BuildTask): Promise<DataFileWritten> {
  const { policy: p, source } = task
  let schema: Schema
  let columns: Map<number, unknown[]>
  let vectors: Float32Array
  let indexVectors: Float32Array | undefined
  if (source.kind === 'file') {
    const reader = await openDataFile(bytesSource(source.bytes))
    schema = reader.schema
    // Decoded from the file, these already are the stored form the index must match.
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
  }
  const buildIndex = task.buildIndex !== false
  return encodeDataFile(schema, columns, vectors, p, indexVectors === undefined ? { buildIndex } : { buildIndex, indexVectors })
}
