/**
 * The stored form of a file's SQ8 codes (docs/format.md, "SQ8 codes block"): per-dimension code
 * ranges, one byte per dimension per row and, for euclidean indexes, each row's squared norm.
 * Exactly what the quantised traversal scores (sq8.ts), so a search can load them instead of the
 * vectors. The section's CRC covers the bytes; the decoder still checks every length and value
 * before it allocates or trusts one, so a block that passes the CRC but was written wrong (or
 * crafted) is `CORRUPT_DATA`, never an out-of-bounds read.
 */
import { AilakeError, corrupt } from '../errors.js'
import { ByteReader, ByteWriter } from '../util/bytes.js'

const MAGIC = 0x51534941 // "AISQ" little-endian
const VERSION = 1
const HEADER = 16
const FLAG_NORMS = 1
const WHAT = 'SQ8 codes block'
const F32_MAX = 3.4028234663852886e38

export interface Sq8Block {
  dim: number
  rows: number
  /** Per dimension: value of code 0, and value step per code. */
  lo: Float32Array
  step: Float32Array
  /** rows x dim codes, row-major. */
  codes: Uint8Array
  /** Squared norm of each row (euclidean indexes), else undefined. */
  norms: Float32Array | undefined
}

const pad4 = (n: number): number => (n + 3) & ~3

/** Bytes of a block of `rows` rows of dimension `dim`. */
export function sq8BlockLength(dim: number, rows: number, norms: boolean): number {
  return HEADER + 8 * dim + pad4(rows * dim) + (norms ? 4 * rows : 0)
}

export function encodeSq8Block(b: Sq8Block): Uint8Array {
  const w = new ByteWriter(sq8BlockLength(b.dim, b.rows, b.norms !== undefined))
  w.u32(MAGIC).u16(VERSION).u8(b.norms === undefined ? 0 : FLAG_NORMS).u8(0).u32(b.dim).u32(b.rows)
  w.typed(b.lo).typed(b.step).bytes(b.codes.subarray(0, b.rows * b.dim))
  for (let i = b.rows * b.dim; i < pad4(b.rows * b.dim); i++) w.u8(0)
  if (b.norms !== undefined) w.typed(b.norms.subarray(0, b.rows))
  return w.finish()
}

/**
 * Decodes and checks a block for a file of `rows` rows of dimension `dim`; `euclidean` says
 * whether it must carry norms. `codes` is a view of `bytes`; `lo`, `step` and `norms` are copies.
 */
export function decodeSq8Block(bytes: Uint8Array, dim: number, rows: number, euclidean: boolean): Sq8Block {
  const r = new ByteReader(bytes, WHAT)
  r.need(HEADER, 'header')
  if (r.u32('magic') !== MAGIC) throw corrupt(`${WHAT}: bad magic (expected "AISQ"); the file is corrupt`)
  const version = r.u16('version')
  if (version !== VERSION) throw new AilakeError('UNSUPPORTED', `${WHAT}: version ${version} is not supported (this build reads ${VERSION}); upgrade ailake`, { context: { version } })
  const flags = r.u8('flags')
  if (r.u8('reserved') !== 0 || (flags & ~FLAG_NORMS) !== 0) throw corrupt(`${WHAT}: unknown flags ${flags} or a non-zero reserved byte; the file is corrupt`)
  const norms = (flags & FLAG_NORMS) !== 0
  if (norms !== euclidean) throw corrupt(`${WHAT}: ${norms ? 'carries' : 'lacks'} row norms, which a ${euclidean ? 'euclidean' : 'cosine or dot'} index ${euclidean ? 'needs' : 'does not use'}`)
  const d = r.u32('dim')
  const n = r.u32('rows')
  if (d !== dim || n !== rows) throw corrupt(`${WHAT}: it holds ${n} rows of dimension ${d}, the file ${rows} of dimension ${dim}`, { dim: d, rows: n })
  const expected = sq8BlockLength(dim, rows, norms)
  if (bytes.length !== expected) throw corrupt(`${WHAT}: ${bytes.length} bytes, ${expected} expected for ${rows} rows of dimension ${dim}; the file is corrupt`, { length: bytes.length, expected })
  const lo = r.f32Array(dim, 'code ranges')
  const step = r.f32Array(dim, 'code steps')
  for (let j = 0; j < dim; j++) {
    const l = lo[j] as number
    const s = step[j] as number
    // The largest code's value must be a finite f32, as every value the codes stand for is.
    if (!Number.isFinite(l) || !(s >= 0) || !(Math.abs(l + 255 * s) <= F32_MAX)) throw corrupt(`${WHAT}: dimension ${j} has range ${l} + ${s} x code; the file is corrupt`, { dim: j })
  }
  const codes = r.bytesView(rows * dim, 'codes')
  for (const b of r.bytesView(pad4(rows * dim) - rows * dim, 'padding')) if (b !== 0) throw corrupt(`${WHAT}: non-zero padding; the file is corrupt`)
  let rowNorms: Float32Array | undefined
  if (norms) {
    rowNorms = r.f32Array(rows, 'row norms')
    for (let i = 0; i < rows; i++) {
      const v = rowNorms[i] as number
      if (!(v >= 0 && v < Infinity)) throw corrupt(`${WHAT}: row ${i} has squared norm ${v}; the file is corrupt`, { row: i })
    }
  }
  return { dim, rows, lo, step, codes, norms: rowNorms }
}
