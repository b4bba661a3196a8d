/**
 * Allow-lists for filtered search. A filter is either a predicate on ids or a bitset where bit
 * `i` (byte `i >> 3`, bit `i & 7`, least significant first) set means id `i` is allowed; bits
 * past the end of the bitset mean "not allowed".
 */
import { invalid } from '../errors.js'

/** An allow-list: a predicate on ids, or a bitset (bit i set = id i allowed). */
export type SearchFilter = ((id: number) => boolean) | Uint8Array

/** Result of a search: ids and distances, best (smallest distance) first. */
export interface SearchResult {
  ids: Int32Array
  distances: Float32Array
}

export const EMPTY_RESULT: SearchResult = Object.freeze({ ids: new Int32Array(0), distances: new Float32Array(0) }) as SearchResult

/** Throws `INVALID_ARGUMENT` unless `filter` is undefined, a function or a Uint8Array. */
export function checkFilter(filter: unknown): SearchFilter | undefined {
  if (filter === undefined || filter === null) return undefined
  if (typeof filter === 'function' || filter instanceof Uint8Array) return filter as SearchFilter
  throw invalid('search: filter must be a function (id) => boolean or a Uint8Array bitset', { type: typeof filter })
}

/** True when bit `id` is set. */
export function bitAllowed(bits: Uint8Array, id: number): boolean {
  return (((bits[id >> 3] ?? 0) >> (id & 7)) & 1) === 1
}

const POP8 = new Uint8Array(256)
for (let i = 1; i < 256; i++) POP8[i] = (i & 1) + (POP8[i >> 1] as number)

/** Number of allowed ids among `0 .. count-1`. */
export function countAllowed(bits: Uint8Array, count: number): number {
  const full = Math.min(bits.length, count >> 3)
  let n = 0
  for (let i = 0; i < full; i++) n += POP8[bits[i] as number] as number
  for (let id = full * 8; id < count && id >> 3 < bits.length; id++) if (bitAllowed(bits, id)) n++
  return n
}

/** Builds a bitset over `count` ids from a list of allowed ids (handy for callers and tests). */
export function bitsetFromIds(ids: Iterable<number>, count: number): Uint8Array {
  const bits = new Uint8Array((count + 7) >> 3)
  for (const id of ids) {
    if (Number.isInteger(id) && id >= 0 && id < count) bits[id >> 3] = (bits[id >> 3] as number) | (1 << (id & 7))
  }
  return bits
}
