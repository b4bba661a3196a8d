/**
 * A stored codes block of either kind, told apart by its magic: SQ8 (sq8-block.ts) or PQ
 * (pq-block.ts). Both decoders check everything they read.
 */
import { decodePqBlock, isPqBlock, type PqBlock } from './pq-block.js'
import { decodeSq8Block, type Sq8Block } from './sq8-block.js'

export type CodesBlock = { kind: 'sq8'; block: Sq8Block } | { kind: 'pq'; block: PqBlock }

/** Decodes and checks the codes of a file of `rows` rows of dimension `dim`; `euclidean`: whether its index is. */
export function decodeCodesBlock(bytes: Uint8Array, dim: number, rows: number, euclidean: boolean): CodesBlock {
  return isPqBlock(bytes) ? { kind: 'pq', block: decodePqBlock(bytes, dim, rows) } : { kind: 'sq8', block: decodeSq8Block(bytes, dim, rows, euclidean) }
}
