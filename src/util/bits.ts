/**
 * Bit streams, least significant bit first (bit i of the stream is bit i % 8 of byte i / 8), and
 * Rice codes over them. `BitReader` reads untrusted bytes: every read is bounds-checked, and a
 * Rice code's unary part stops at a caller-given bound, so a damaged stream becomes
 * `CORRUPT_DATA`, never an out-of-bounds read or a long loop.
 */
import { corrupt } from '../errors.js'

/** Bits needed to write every value in [0, max]. */
export function bitWidth(max: number): number {
  return max <= 0 ? 0 : Math.floor(Math.log2(max)) + 1
}

export class BitWriter {
  private buf: Uint8Array
  /** Bits written. */
  pos = 0

  constructor(capacityBytes = 1024) {
    this.buf = new Uint8Array(Math.max(16, capacityBytes))
  }

  private room(bits: number): void {
    const need = (this.pos + bits + 7) >>> 3
    if (need <= this.buf.length) return
    const next = new Uint8Array(Math.max(need, this.buf.length * 2))
    next.set(this.buf)
    this.buf = next
  }

  bit(b: number): void {
    this.room(1)
    if (b !== 0) this.buf[this.pos >>> 3] = (this.buf[this.pos >>> 3] as number) | (1 << (this.pos & 7))
    this.pos++
  }

  /** The low `width` (0..31) bits of `v`, lowest first. */
  bits(v: number, width: number): void {
    this.room(width)
    for (let i = 0; i < width; i++) {
      if (Math.floor(v / 2 ** i) % 2 === 1) this.buf[this.pos >>> 3] = (this.buf[this.pos >>> 3] as number) | (1 << (this.pos & 7))
      this.pos++
    }
  }

  /** `v` >= 0 as a Rice code with parameter `k`: floor(v / 2^k) zero bits, a one bit, then the low k bits of v. */
  rice(v: number, k: number): void {
    const q = Math.floor(v / 2 ** k)
    this.room(q + 1)
    this.pos += q
    this.bit(1)
    this.bits(v % 2 ** k, k)
  }

  /** The stream's bytes; unused bits of the last byte are zero. */
  finish(): Uint8Array {
    return this.buf.slice(0, (this.pos + 7) >>> 3)
  }
}

/** Bits a Rice code with parameter `k` takes for `v`. */
export function riceBits(v: number, k: number): number {
  return Math.floor(v / 2 ** k) + 1 + k
}

/** 2^k for a Rice parameter k in [0, 31]. */
const POW2: readonly number[] = Array.from({ length: 32 }, (_, k) => 2 ** k)

export class BitReader {
  private readonly bytes: Uint8Array
  private readonly end: number
  /** Bits read. */
  pos = 0
  readonly what: string

  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes
    this.end = bytes.length * 8
    this.what = what
  }

  private truncated(field: string, bits: number): never {
    throw corrupt(`${this.what}: ${field} needs ${bits} bits at bit ${this.pos} but the stream has ${this.end}; the data is truncated or corrupt`, {
      what: this.what, field, pos: this.pos, end: this.end,
    })
  }

  bit(field: string): number {
    if (this.pos >= this.end) this.truncated(field, 1)
    const b = ((this.bytes[this.pos >>> 3] as number) >>> (this.pos & 7)) & 1
    this.pos++
    return b
  }

  /** The next 25 to 32 bits as an unsigned window, lowest first; only when 4 bytes remain from `pos`'s byte. */
  private window(): number {
    const b = this.bytes
    const p = this.pos >>> 3
    return ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)) >>> (this.pos & 7)
  }

  /** `width` (0..31) bits, lowest first. */
  bits(width: number, field: string): number {
    if (width <= 24 && this.pos + 32 <= this.end) {
      const v = this.window() & ((1 << width) - 1)
      this.pos += width
      return v
    }
    if (this.pos + width > this.end) this.truncated(field, width)
    let v = 0
    let got = 0
    while (got < width) {
      const off = this.pos & 7
      const take = Math.min(8 - off, width - got)
      v += (((this.bytes[this.pos >>> 3] as number) >>> off) & ((1 << take) - 1)) * 2 ** got
      got += take
      this.pos += take
    }
    return v
  }

  /** A Rice code with parameter `k` (see `BitWriter.rice`) whose value is at most `max`; a larger one is `CORRUPT_DATA`. */
  rice(k: number, max: number, field: string): number {
    const w = this.pos + 32 <= this.end ? this.window() : 0
    const low = w & -w
    if (low > 0 && k <= 24 && low < 1 << (25 - k)) {
      // The whole code lies in the window's 25 valid bits.
      const q = 31 - Math.clz32(low)
      const v = q * (POW2[k] as number) + ((w >>> (q + 1)) & ((1 << k) - 1))
      if (v > max) throw corrupt(`${this.what}: ${field} ${v} exceeds ${max}; the data is corrupt`, { what: this.what, field, value: v, max })
      this.pos += q + 1 + k
      return v
    }
    const qMax = Math.floor(max / (POW2[k] as number))
    let q = 0
    for (;;) {
      if (this.pos >= this.end) this.truncated(field, 1)
      const rest = (this.bytes[this.pos >>> 3] as number) >>> (this.pos & 7)
      if (rest === 0) {
        const skip = 8 - (this.pos & 7)
        q += skip
        this.pos += skip
      } else {
        const zeros = 31 - Math.clz32(rest & -rest)
        q += zeros
        this.pos += zeros + 1
        break
      }
      if (q > qMax) break
    }
    if (q > qMax) throw corrupt(`${this.what}: ${field} exceeds ${max}; the data is corrupt`, { what: this.what, field, max })
    const v = q * (POW2[k] as number) + this.bits(k, field)
    if (v > max) throw corrupt(`${this.what}: ${field} ${v} exceeds ${max}; the data is corrupt`, { what: this.what, field, value: v, max })
    return v
  }

  /** Throws unless the stream ends here: at most 7 bits remain, all zero. */
  expectEnd(field: string): void {
    const left = this.end - this.pos
    if (left >= 8 || (left > 0 && ((this.bytes[this.pos >>> 3] as number) >>> (this.pos & 7)) !== 0)) {
      throw corrupt(`${this.what}: ${left} bits are left after the ${field}; the data is corrupt`, { what: this.what, left })
    }
  }
}
