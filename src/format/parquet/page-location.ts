/** Shapes shared by the page writers (vector, scalar and CRC-copied pages). */

/** One page's entry in a Parquet offset index. */
export interface PageLocation {
  offset: bigint
  compressed_page_size: number
  first_row_index: bigint
}

/** Anything with hyparquet-writer's ByteWriter append interface. */
export interface AppendWriter {
  offset: number
  appendBytes(b: Uint8Array): void
}
