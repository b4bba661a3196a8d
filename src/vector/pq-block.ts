/**
 * The stored form of a file's PQ codes (docs/format.md, "PQ codes block"): the codebook, one
 * byte per sub-vector per row, and each row's residual bound. The section's CRC covers the
 * bytes; the decoder still checks every length, code and value before it allocates or trusts
 * one, so a block that passes the CRC but was written wrong (or crafted) is `CORRUPT_DATA`,
 * never an out-of-bounds read or a silently wrong distance bound.
 */
import { AilakeError, corrupt } from '../errors.js'
import { ByteReader, ByteWriter } from '../util/bytes.js'
import { decodeF16, encodeF16 } from './f16.js'
import { pqStarts, type PqCodebook, type PqCodes } from './pq.js'

export const PQ_MAGIC = 0x51504941 // "AIPQ" little-endian
const VERSION = 1
const HEADER = 24
/** The codebook is stored as f32 (else f16). */
const FLAG_F32 = 1
const WHAT = 'PQ codes block'

export interface PqBlock extends PqCodes {
  rows: number
  book: PqCodebook
}

const pad4 = (n: number): number => (n + 3) & ~3

/** Bytes of a block. */
export function pqBlockLength(dim: number, rows: number, m: number, k: number, half: boolean): number {
  return HEADER + pad4(k * dim * (half ? 2 : 4)) + pad4(rows * m) + pad4(rows)
}

export function encodePqBlock(b: PqBlock): Uint8Array {
  const { dim, m, k, half, centroids } = b.book
  const w = new ByteWriter(pqBlockLength(dim, b.rows, m, k, half))
  w.u32(PQ_MAGIC).u16(VERSION).u8(half ? 0 : FLAG_F32).u8(0).u32(dim).u32(b.rows).u16(m).u16(k).f32(b.residualMax)
  const book = half ? new Uint8Array(encodeF16(centroids).buffer) : new Uint8Array(centroids.buffer, centroids.byteOffset, centroids.byteLength)
  padded(w, book)
  padded(w, b.codes.subarray(0, b.rows * m))
  padded(w, b.residuals.subarray(0, b.rows))
  return w.finish()
}

function padded(w: ByteWriter, bytes: Uint8Array): void {
  w.bytes(bytes)
  for (let i = bytes.length; i < pad4(bytes.length); i++) w.u8(0)
}

/** Whether `bytes` starts as a PQ codes block does. */
export function isPqBlock(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === PQ_MAGIC
}

/**
 * Decodes and checks a block for a file of `rows` rows of dimension `dim`. `codes` and
 * `residuals` are views of `bytes`; the centroids are a copy.
 */
export function decodePqBlock(bytes: Uint8Array, dim: number, rows: number): PqBlock {
  const r = new ByteReader(bytes, WHAT)
  r.need(HEADER, 'header')
  if (r.u32('magic') !== PQ_MAGIC) throw corrupt(`${WHAT}: bad magic (expected "AIPQ"); the file is corrupt`)
  const version = r.u16('version')
  if (version !== VERSION) throw new AilakeError('UNSUPPORTED', `${WHAT}: version ${version} is not supported (this build reads ${VERSION}); upgrade ailake`, { context: { version } })
  const flags = r.u8('flags')
  if (r.u8('reserved') !== 0 || (flags & ~FLAG_F32) !== 0) throw corrupt(`${WHAT}: unknown flags ${flags} or a non-zero reserved byte; the file is corrupt`)
  const half = (flags & FLAG_F32) === 0
  const d = r.u32('dim')
  const n = r.u32('rows')
  if (d !== dim || n !== rows) throw corrupt(`${WHAT}: it holds ${n} rows of dimension ${d}, the file ${rows} of dimension ${dim}`, { dim: d, rows: n })
  const m = r.u16('sub-vectors')
  const k = r.u16('centroids')
  if (m < 1 || m > dim || k < 1 || k > 256) throw corrupt(`${WHAT}: ${m} sub-vectors of ${k} centroids for dimension ${dim} (1..dim sub-vectors, 1..256 centroids); the file is corrupt`, { m, k })
  const residualMax = r.f32('residual maximum')
  if (!(residualMax >= 0 && residualMax < Infinity)) throw corrupt(`${WHAT}: residual maximum ${residualMax}; the file is corrupt`)
  const expected = pqBlockLength(dim, rows, m, k, half)
  if (bytes.length !== expected) throw corrupt(`${WHAT}: ${bytes.length} bytes, ${expected} expected for ${rows} rows of dimension ${dim} in ${m} sub-vectors of ${k} centroids; the file is corrupt`, { length: bytes.length, expected })
  const values = k * dim
  const centroids = half ? decodeF16(new Uint16Array(r.bytesView(2 * values, 'codebook').slice().buffer)) : r.f32Array(values, 'codebook')
  for (let i = 0; i < values; i++) if (!Number.isFinite(centroids[i] as number)) throw corrupt(`${WHAT}: codebook value ${i} is ${centroids[i]}; the file is corrupt`, { at: i })
  zeros(r, pad4(values * (half ? 2 : 4)) - values * (half ? 2 : 4))
  const codes = r.bytesView(rows * m, 'codes')
  // A code past the codebook would read another sub-vector's terms: checked once here.
  if (k < 256) for (let i = 0; i < codes.length; i++) if ((codes[i] as number) >= k) throw corrupt(`${WHAT}: code ${codes[i]} of row ${Math.floor(i / m)} exceeds the ${k} centroids; the file is corrupt`, { row: Math.floor(i / m) })
  zeros(r, pad4(rows * m) - rows * m)
  const residuals = r.bytesView(rows, 'residual bounds')
  zeros(r, pad4(rows) - rows)
  return { rows, book: { dim, m, k, starts: pqStarts(dim, m), centroids, half }, codes, residuals, residualMax }
}

function zeros(r: ByteReader, n: number): void {
  for (const b of r.bytesView(n, 'padding')) if (b !== 0) throw corrupt(`${WHAT}: non-zero padding; the file is corrupt`)
}
