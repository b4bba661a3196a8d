/**
 * IEEE 754 binary16 ("half") conversion. Node 20 has no Float16Array, and per-element DataView
 * access is ~60x slower than bit manipulation over typed arrays, so both directions work on
 * whole arrays: encode by integer ops with round-to-nearest-even, decode by table lookup.
 */

/** The largest finite half value; anything that rounds above it becomes Infinity. */
export const F16_MAX = 65504

let table: Float32Array | undefined

/** The 65536-entry half → float32 table, built on first use (~256 KiB). */
function decodeTable(): Float32Array {
  if (table !== undefined) return table
  const t = new Float32Array(65536)
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1
    const exp = (h >>> 10) & 0x1f
    const mant = h & 0x3ff
    let v: number
    if (exp === 0) v = mant * 2 ** -24
    else if (exp === 31) v = mant === 0 ? Infinity : NaN
    else v = (1 + mant / 1024) * 2 ** (exp - 15)
    t[h] = sign * v
  }
  table = t
  return t
}

/**
 * Encodes float32 values as IEEE half bits, rounding to nearest, ties to even (bit-exact with
 * hardware conversion). Values beyond ±65504 round to ±Infinity and NaN stays NaN: callers that
 * must not store those check the output (see `hasNonFiniteF16`).
 *
 * @param src values to encode
 * @param out optional destination of at least `src.length` entries (default: a new array)
 */
export function encodeF16(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  if (out.length < src.length) throw new RangeError(`encodeF16: out has ${out.length} entries, need ${src.length}`)
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length)
  const n = src.length
  for (let i = 0; i < n; i++) {
    const x = bits[i] as number
    const sign = (x >>> 16) & 0x8000
    const exp = (x >>> 23) & 0xff
    const mant = x & 0x7fffff
    let h: number
    if (exp === 0xff) {
      h = sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0)
    } else {
      const e = exp - 112 // rebias 127 → 15
      if (e >= 31) {
        h = sign | 0x7c00
      } else if (e <= 0) {
        if (e < -10) {
          h = sign
        } else {
          const m = mant | 0x800000
          const shift = 14 - e
          let hm = m >>> shift
          const rest = m & ((1 << shift) - 1)
          const half = 1 << (shift - 1)
          if (rest > half || (rest === half && (hm & 1) === 1)) hm++
          h = sign | hm
        }
      } else {
        h = sign | (e << 10) | (mant >>> 13)
        const rest = mant & 0x1fff
        // A carry out of the mantissa correctly bumps the exponent (and may reach Infinity).
        if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++
      }
    }
    out[i] = h
  }
  return out
}

/**
 * Decodes IEEE half bits to float32 through a lookup table (exact: every half is a float32).
 *
 * @param src half bits
 * @param out optional destination of at least `src.length` entries (default: a new array)
 */
export function decodeF16(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  if (out.length < src.length) throw new RangeError(`decodeF16: out has ${out.length} entries, need ${src.length}`)
  const t = decodeTable()
  const n = src.length
  for (let i = 0; i < n; i++) out[i] = t[src[i] as number] as number
  return out
}

/** Index of the first half value that is ±Infinity or NaN, or -1 if all are finite. */
export function firstNonFiniteF16(halves: Uint16Array): number {
  for (let i = 0; i < halves.length; i++) {
    if (((halves[i] as number) & 0x7c00) === 0x7c00) return i
  }
  return -1
}
