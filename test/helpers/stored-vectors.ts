/**
 * Vector values as a Parquet reader other than ailake's returns them (hyparquet, icebird: a
 * list of floats for f32, the fixed-length bytes for f16 and i8), decoded by hand as
 * docs/format.md section 3 specifies: an oracle independent of ailake's codecs.
 */

/** Decodes an IEEE binary16 value from its little-endian bytes `lo`, `hi`. */
export function half(lo: number, hi: number): number {
  const h = lo | (hi << 8)
  const sign = h & 0x8000 ? -1 : 1
  const e = (h >> 10) & 31
  const m = h & 1023
  if (e === 0) return sign * (m / 1024) * 2 ** -14
  if (e === 31) return m === 0 ? sign * Infinity : NaN
  return sign * (1 + m / 1024) * 2 ** (e - 15)
}

/** One stored vector of `c.dim` values at precision `c.precision`, decoded. */
export function decodeStored(v: unknown, c: { dim: number; precision: 'f32' | 'f16' | 'i8' }): number[] {
  if (c.precision === 'f32') return Array.from(v as ArrayLike<number>)
  const b = v as Uint8Array
  if (c.precision === 'f16') return Array.from({ length: c.dim }, (_, j) => half(b[2 * j] as number, b[2 * j + 1] as number))
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const offset = view.getFloat32(0, true)
  const scale = view.getFloat32(4, true)
  return Array.from({ length: c.dim }, (_, j) => offset + scale * view.getInt8(8 + j))
}
