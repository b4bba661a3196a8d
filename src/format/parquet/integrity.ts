/**
 * Checksums for the Parquet structures that the page CRC (page-crc.ts) does not cover: page
 * headers, offset indexes and the footer. Parquet has no checksum for them, yet a flipped bit
 * in a page header's level lengths, null count or encoding decodes to other rows with a valid
 * body CRC (and one sent hyparquet into a loop that did not end). The ailake section (format
 * v2) therefore records the CRC-32C of the footer and an integrity table: the CRC-32C of every
 * page header and offset index, keyed by absolute file offset. The reader checks each structure
 * against it before using it, so a damaged file that ailake wrote is `CORRUPT_DATA`, never
 * other rows. Other engines ignore the table and still check the page CRCs.
 *
 * Table layout: entries of 12 bytes, sorted by strictly increasing offset: u64 offset, u32 CRC-32C.
 */
import { corrupt } from '../../errors.js'
import { ByteReader, ByteWriter } from '../../util/bytes.js'
import { crc32c } from '../../util/crc32c.js'

export const ENTRY_BYTES = 12

/** What the section's integrity part says: the footer's CRC-32C and the table by offset. */
export interface Integrity {
  footerCrc: number
  entries: Map<number, number>
}

/** Encodes the table; `entries` are [offset, CRC-32C] pairs in increasing offset order. */
export function encodeIntegrityTable(entries: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const w = new ByteWriter(entries.length * ENTRY_BYTES)
  for (const [offset, crc] of entries) w.u64(offset).u32(crc)
  return w.finish()
}

/** Decodes a table (already checked against its CRC); throws `CORRUPT_DATA` when out of order. */
export function decodeIntegrityTable(bytes: Uint8Array): Map<number, number> {
  const r = new ByteReader(bytes, 'ailake integrity table')
  const out = new Map<number, number>()
  let last = -1
  for (let i = 0; i < bytes.length / ENTRY_BYTES; i++) {
    const offset = r.u64('offset')
    if (offset <= last) throw corrupt('ailake integrity table: offsets are not increasing; the file is corrupt')
    out.set(offset, r.u32('crc'))
    last = offset
  }
  return out
}

/** Checks structures of one file against its integrity table; without a table (other writers, format v1) nothing. */
export class IntegrityChecks {
  constructor(readonly file: string, private readonly entries?: Map<number, number>) {}

  get active(): boolean {
    return this.entries !== undefined
  }

  /** Throws `CORRUPT_DATA` unless `bytes`, the structure at absolute `offset`, has the recorded CRC-32C. */
  check(offset: number, bytes: Uint8Array, what: string): void {
    if (this.entries === undefined) return
    const want = this.entries.get(offset)
    if (want === undefined) {
      throw corrupt(`${this.file}: ${what} at byte ${offset} is not in the ailake integrity table; the file is corrupt`, { offset })
    }
    if (crc32c(bytes) !== want) throw corrupt(`${this.file}: ${what} at byte ${offset}: checksum mismatch; the file is corrupt`, { offset })
  }
}
