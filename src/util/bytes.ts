/**
 * Bounds-checked little-endian byte reading and growable writing. Decoders of untrusted bytes
 * go through `ByteReader`, so a bad length or offset becomes a `CORRUPT_DATA` error instead of
 * an out-of-bounds read or a giant allocation.
 */
import { corrupt } from '../errors.js'

export class ByteReader {
  readonly bytes: Uint8Array
  readonly view: DataView
  /** Current read position, relative to `bytes`. */
  offset: number
  /** Names the structure being decoded, for error messages. */
  readonly what: string

  constructor(bytes: Uint8Array, what: string, offset = 0) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.offset = offset
    this.what = what
  }

  get remaining(): number {
    return this.bytes.length - this.offset
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number, field: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.remaining) {
      throw corrupt(`${this.what}: ${field} needs ${n} bytes at offset ${this.offset} but only ${this.remaining} remain; the data is truncated or corrupt`, {
        what: this.what, field, offset: this.offset, needed: n, remaining: this.remaining,
      })
    }
  }

  u8(field: string): number {
    this.need(1, field)
    return this.view.getUint8(this.offset++)
  }

  u16(field: string): number {
    this.need(2, field)
    const v = this.view.getUint16(this.offset, true)
    this.offset += 2
    return v
  }

  u32(field: string): number {
    this.need(4, field)
    const v = this.view.getUint32(this.offset, true)
    this.offset += 4
    return v
  }

  i32(field: string): number {
    this.need(4, field)
    const v = this.view.getInt32(this.offset, true)
    this.offset += 4
    return v
  }

  f32(field: string): number {
    this.need(4, field)
    const v = this.view.getFloat32(this.offset, true)
    this.offset += 4
    return v
  }

  f64(field: string): number {
    this.need(8, field)
    const v = this.view.getFloat64(this.offset, true)
    this.offset += 8
    return v
  }

  /** A u64 that must fit in a JS safe integer (offsets, lengths, counts). */
  u64(field: string): number {
    this.need(8, field)
    const v = this.view.getBigUint64(this.offset, true)
    this.offset += 8
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw corrupt(`${this.what}: ${field} = ${v} exceeds 2^53; the data is corrupt`, { what: this.what, field })
    }
    return Number(v)
  }

  /** An unsigned LEB128 varint below 2^32 (at most 5 bytes); longer or larger is `CORRUPT_DATA`. */
  varint(field: string): number {
    let v = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.offset >= this.bytes.length) this.need(1, field)
      const b = this.bytes[this.offset++] as number
      if (shift === 28 && b > 0x0f) throw corrupt(`${this.what}: ${field} is a varint above 2^32 at offset ${this.offset - 1}; the data is corrupt`, { what: this.what, field })
      v += (b & 0x7f) * 2 ** shift
      if (b < 0x80) return v
    }
    throw corrupt(`${this.what}: ${field} is a varint longer than 5 bytes; the data is corrupt`, { what: this.what, field })
  }

  /** A view (no copy) of the next `n` bytes. */
  bytesView(n: number, field: string): Uint8Array {
    this.need(n, field)
    const out = this.bytes.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }

  /** A copy of the next `count` little-endian f32 values, aligned or not. */
  f32Array(count: number, field: string): Float32Array {
    this.need(count * 4, field)
    const out = new Float32Array(count)
    new Uint8Array(out.buffer).set(this.bytes.subarray(this.offset, this.offset + count * 4))
    this.offset += count * 4
    return out
  }

  /** A copy of the next `count` little-endian i32 values. */
  i32Array(count: number, field: string): Int32Array {
    this.need(count * 4, field)
    const out = new Int32Array(count)
    new Uint8Array(out.buffer).set(this.bytes.subarray(this.offset, this.offset + count * 4))
    this.offset += count * 4
    return out
  }
}

const TEXT_ENCODER = new TextEncoder()

/** A growable little-endian byte buffer. */
export class ByteWriter {
  private buf: Uint8Array
  private view: DataView
  length = 0

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity))
    this.view = new DataView(this.buf.buffer)
  }

  /** Empties the writer, keeping its buffer (views from `view8()` then see the new bytes). */
  reset(): this {
    this.length = 0
    return this
  }

  private ensure(n: number): void {
    const need = this.length + n
    if (need <= this.buf.length) return
    let cap = this.buf.length * 2
    while (cap < need) cap *= 2
    const next = new Uint8Array(cap)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  u8(v: number): this {
    this.ensure(1)
    this.view.setUint8(this.length, v)
    this.length += 1
    return this
  }

  u16(v: number): this {
    this.ensure(2)
    this.view.setUint16(this.length, v, true)
    this.length += 2
    return this
  }

  u32(v: number): this {
    this.ensure(4)
    this.view.setUint32(this.length, v, true)
    this.length += 4
    return this
  }

  i32(v: number): this {
    this.ensure(4)
    this.view.setInt32(this.length, v, true)
    this.length += 4
    return this
  }

  f32(v: number): this {
    this.ensure(4)
    this.view.setFloat32(this.length, v, true)
    this.length += 4
    return this
  }

  f64(v: number): this {
    this.ensure(8)
    this.view.setFloat64(this.length, v, true)
    this.length += 8
    return this
  }

  u64(v: number): this {
    this.ensure(8)
    this.view.setBigUint64(this.length, BigInt(v), true)
    this.length += 8
    return this
  }

  i64(v: bigint): this {
    this.ensure(8)
    this.view.setBigInt64(this.length, v, true)
    this.length += 8
    return this
  }

  /** A u32 byte length, then `s` as UTF-8 (Parquet's PLAIN BYTE_ARRAY). ASCII is copied directly. */
  utf8Prefixed(s: string): this {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.ensure(4 + 3 * s.length)
    const at = this.length + 4
    const buf = this.buf
    let i = 0
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) break
      buf[at + i] = c
    }
    const written = i === s.length ? i : TEXT_ENCODER.encodeInto(s, buf.subarray(at)).written
    this.view.setUint32(this.length, written, true)
    this.length = at + written
    return this
  }

  /** An unsigned LEB128 varint; `v` must be an integer in [0, 2^32). */
  varint(v: number): this {
    this.ensure(5)
    while (v >= 0x80) {
      this.buf[this.length++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    this.buf[this.length++] = v
    return this
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length)
    this.buf.set(b, this.length)
    this.length += b.length
    return this
  }

  /** Appends the raw little-endian bytes of a typed array (the platform is little-endian). */
  typed(a: Float32Array | Int32Array | Uint32Array | Uint16Array): this {
    return this.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
  }

  /** Overwrites a u32 at an earlier position (for back-patched lengths and checksums). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true)
  }

  /** The written bytes (a view of the internal buffer; copy it before writing more). */
  view8(): Uint8Array {
    return this.buf.subarray(0, this.length)
  }

  /** A right-sized copy of the written bytes. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length)
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
if (!LITTLE_ENDIAN) {
  // Typed-array views over file bytes assume little-endian hosts; every JS engine shipping today is.
  throw new Error('ailake requires a little-endian platform')
}

/** Concatenates byte arrays into one. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function utf8Encode(s: string): Uint8Array {
  return encoder.encode(s)
}

/** Decodes UTF-8, failing with `CORRUPT_DATA` on invalid sequences. */
export function utf8Decode(b: Uint8Array, what = 'text'): string {
  try {
    return decoder.decode(b)
  } catch {
    throw corrupt(`${what}: invalid UTF-8`, { what })
  }
}
