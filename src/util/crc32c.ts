/**
 * CRC-32C (Castagnoli), the checksum of every ailake section. Slicing-by-8 tables keep it
 * near memory speed in plain JS, so checking an index section costs little next to reading it.
 */

const POLY = 0x82f63b78

function makeTables(): Uint32Array[] {
  const tables: Uint32Array[] = []
  const t0 = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    t0[n] = c >>> 0
  }
  tables.push(t0)
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1] as Uint32Array
    const cur = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      const p = prev[n] as number
      cur[n] = ((p >>> 8) ^ (t0[p & 0xff] as number)) >>> 0
    }
    tables.push(cur)
  }
  return tables
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = makeTables() as [
  Uint32Array, Uint32Array, Uint32Array, Uint32Array,
  Uint32Array, Uint32Array, Uint32Array, Uint32Array,
]

/**
 * CRC-32C of `bytes`. Pass the previous result as `seed` to checksum data that arrives in pieces.
 */
export function crc32c(bytes: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0
  let i = 0
  const n = bytes.length
  const end8 = n - (n % 8)
  // Indexed reads are in-bounds by construction; `as number` avoids undefined checks in the hot loop.
  for (; i < end8; i += 8) {
    const a = (crc ^ ((bytes[i] as number) | ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24))) >>> 0
    crc = ((T7[a & 0xff] as number) ^ (T6[(a >>> 8) & 0xff] as number) ^
      (T5[(a >>> 16) & 0xff] as number) ^ (T4[a >>> 24] as number) ^
      (T3[bytes[i + 4] as number] as number) ^ (T2[bytes[i + 5] as number] as number) ^
      (T1[bytes[i + 6] as number] as number) ^ (T0[bytes[i + 7] as number] as number)) >>> 0
  }
  for (; i < n; i++) crc = ((T0[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8)) >>> 0
  return ~crc >>> 0
}
