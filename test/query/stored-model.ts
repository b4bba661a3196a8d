// An independent model of how a data file stores vectors (docs/format.md, section 3), written
// from the documented encodings with plain arithmetic, not with the codecs under test:
// - f16: IEEE binary16, round to nearest, ties to even (including subnormals);
// - i8: offset = (min+max)/2 and scale = (max-min)/254 as f32, code = round((v-offset)/scale)
//   clamped to [-127, 127], decoded as offset + scale*code rounded to f32.
import type { Precision } from '../../src/vector/types.js'

const fr = Math.fround

function roundHalfEven(m: number): number {
  const f = Math.floor(m)
  const d = m - f
  if (d > 0.5) return f + 1
  if (d < 0.5) return f
  return f % 2 === 0 ? f : f + 1
}

/** The binary16 value nearest to `x` (ties to even); beyond the f16 range gives ±Infinity. */
export function f16Round(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x
  const a = Math.abs(x)
  let e = Math.floor(Math.log2(a))
  while (2 ** e > a) e--
  while (2 ** (e + 1) <= a) e++
  const quantum = 2 ** (Math.max(e, -14) - 10) // 10 fraction bits; subnormals share 2^-24
  const r = roundHalfEven(a / quantum) * quantum
  return Math.sign(x) * (r >= 65520 ? Infinity : r)
}

function i8Row(v: Float32Array, out: Float32Array): void {
  let lo = Infinity
  let hi = -Infinity
  for (const x of v) {
    lo = Math.min(lo, x)
    hi = Math.max(hi, x)
  }
  const offset = fr((lo + hi) / 2)
  const scale = fr((hi - lo) / 254)
  v.forEach((x, j) => {
    const code = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round((x - offset) / scale)))
    out[j] = fr(offset + scale * code)
  })
}

/** `flat` (rows of `dim`) as a reader decodes it from a file of `precision`. */
export function storedModel(precision: Precision, flat: Float32Array, dim: number): Float32Array {
  if (precision === 'f32') return flat.slice()
  const out = new Float32Array(flat.length)
  if (precision === 'f16') {
    flat.forEach((x, i) => { out[i] = f16Round(x) })
    return out
  }
  for (let off = 0; off < flat.length; off += dim) i8Row(flat.subarray(off, off + dim), out.subarray(off, off + dim))
  return out
}
