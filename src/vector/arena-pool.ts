/**
 * WebAssembly arenas reused by indexes restored for search (HnswIndex.fromCodes). A cold
 * restore's largest cost is the first touch of fresh memory (page faults: ~4 ms per MB on a
 * VM, against ~0.1 ms to write memory touched before), and a 10k x 100-d file fills ~1.9 MB of
 * arena. An arena returns to the pool only once the index holding it has been
 * garbage-collected (FinalizationRegistry), so no live index ever shares one. A reused arena
 * holds stale bytes: whatever places state in it writes or zeroes every byte it later reads
 * (sq8.ts `sq8FromBlock`, hnsw-beam.ts `WasmBeam`), as it must anyway past an arena's start.
 */
import { createArena, type VectorArena } from './simd.js'

/** Bytes the pool keeps at most, and the largest arena it keeps. */
const MAX_BYTES = 128 * 2 ** 20
const MAX_ARENA_BYTES = MAX_BYTES / 4

const pool: VectorArena[] = []
let pooledBytes = 0

/** Puts `arena` in the pool if it is a WebAssembly arena and fits. @internal tests pool arenas they filled with garbage. */
export function poolArena(arena: VectorArena): void {
  const bytes = arena.bytes.byteLength
  if (!arena.wasm || bytes > MAX_ARENA_BYTES || pooledBytes + bytes > MAX_BYTES) return
  pool.push(arena)
  pooledBytes += bytes
}

/** Arenas in the pool. @internal */
export function pooledArenas(): number {
  return pool.length
}

const registry = new FinalizationRegistry<VectorArena>(poolArena)

/**
 * An arena with room for `elements` f32 values (`wasm` as for createArena), expected to grow to
 * about `bytes`: the smallest pooled one at least that large (else the largest, grown), its
 * contents stale, when a WebAssembly arena is wanted and the pool has one; else a new one.
 */
export function takeArena(elements: number, bytes: number, options: { wasm?: boolean } = {}): VectorArena {
  let best = -1
  if (options.wasm !== false) {
    for (let i = 0; i < pool.length; i++) {
      const size = (pool[i] as VectorArena).bytes.byteLength
      const at = best < 0 ? 0 : (pool[best] as VectorArena).bytes.byteLength
      if (best < 0 || (at < bytes ? size > at : size >= bytes && size < at)) best = i
    }
  }
  if (best < 0) return createArena(elements, options)
  const arena = pool[best] as VectorArena
  pool[best] = pool[pool.length - 1] as VectorArena
  pool.pop()
  pooledBytes -= arena.bytes.byteLength
  arena.ensure(elements)
  return arena
}

/** `arena` goes back to the pool once `owner`, which holds it, is garbage-collected. */
export function returnOnCollect(owner: object, arena: VectorArena): void {
  if (arena.wasm) registry.register(owner, arena)
}
