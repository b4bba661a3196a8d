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
  /** `stored`: the vectors' stored encoding, written as it is (a rewrite keeps its rows' vectors exactly). */
  | { kind: 'rows'; schema: Schema; columns: Map<number, unknown[]>; vectors: Float32Array; stored?: Uint8Array }

export interface BuildTask {
  source: BuildSource
  policy: BuildPolicy
  /** False encodes the file without an index (a flush moving its encoding off the main thread). Default true. */
  buildIndex?: boolean
  /**
   * Shared counter of flushes in flight in the process (see ingest-activity.ts): a build in a
   * worker thread pauses while it is non-zero, so background indexing does not slow ingestion.
   */
  throttle?: Int32Array
}

// A paused build still gets at least one run of this long between pauses, and no pause lasts
// longer than MAX_PAUSE_MS: indexes keep up, slowly, even under ingestion that never stops.
const MIN_RUN_MS = 250
const MAX_PAUSE_MS = 1000

/** A progress callback that blocks this (worker) thread while `flag` counts flushes in flight. */
function yieldTo(flag: Int32Array): () => void {
  let ranSince = -Infinity
  return () => {
    if (Atomics.load(flag, 0) === 0 || Date.now() - ranSince < MIN_RUN_MS) return
    const start = Date.now()
    for (let n = Atomics.load(flag, 0); n > 0 && Date.now() - start < MAX_PAUSE_MS; n = Atomics.load(flag, 0)) {
      Atomics.wait(flag, 0, n, MAX_PAUSE_MS - (Date.now() - start))
    }
    ranSince = Date.now()
  }
}


/** Builds the index (unless `buildIndex` is false) and encodes the file holding the rows. */
export async function buildIndexedFile(task: BuildTask): Promise<DataFileWritten> {
  const { policy: p, source } = task
  const onProgress = task.throttle === undefined ? undefined : yieldTo(task.throttle)
  onProgress?.() // a build that arrives while ingestion runs waits before decoding, too
  let schema: Schema
  let columns: Map<number, unknown[]>
  let vectors: Float32Array
  let indexVectors: Float32Array | undefined
  let storedValues: Uint8Array | undefined
  if (source.kind === 'file') {
    const reader = await openDataFile(bytesSource(source.bytes))
    schema = reader.schema
    // Decoded from the file, these already are the stored form the index must match.
    vectors = await reader.readVectors()
    indexVectors = vectors
    // Written back byte for byte: re-encoding decoded f16/i8 vectors could move them.
    storedValues = await reader.readVectorValues()
    const rows = await reader.readRows({})
    columns = new Map()
    for (const field of schema.fields) {
      if (field.name === p.column) continue
      columns.set(field.id, rows.map((r) => r[field.name] ?? null))
    }
  } else {
    ({ schema, columns, vectors } = source)
    storedValues = source.stored
    // Stored vectors are already what the index must match (their decoding is `vectors`).
    if (storedValues !== undefined) indexVectors = vectors
  }
  const buildIndex = task.buildIndex !== false
  return encodeDataFile(schema, columns, vectors, p, {
    buildIndex,
    ...(indexVectors === undefined ? {} : { indexVectors }),
    ...(storedValues === undefined ? {} : { storedValues }),
    ...(onProgress === undefined ? {} : { onProgress }),
  })
}
