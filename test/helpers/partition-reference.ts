/**
 * A hand-written reference implementation of Iceberg's partition transforms (spec "Partition
 * Transforms" and Appendix B) for tests: BigInt arithmetic, ISO strings and code-point arrays,
 * sharing nothing with src/format/iceberg/partition-transform.ts.
 */
import type { PrimitiveType } from '../../src/format/schema.js'

const M32 = (1n << 32n) - 1n
const mul32 = (a: bigint, b: bigint): bigint => (a * b) & M32
const rotl32 = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (32n - r))) & M32

/** Murmur3 x86 32-bit, seed 0, transliterated from Austin Appleby's reference in BigInt. */
export function refMurmur3(data: number[]): number {
  const c1 = 0xcc9e2d51n
  const c2 = 0x1b873593n
  let h = 0n
  const nblocks = Math.floor(data.length / 4)
  for (let b = 0; b < nblocks; b++) {
    let k = 0n
    for (let j = 3; j >= 0; j--) k = (k << 8n) | BigInt(data[b * 4 + j] as number)
    k = mul32(k, c1); k = rotl32(k, 15n); k = mul32(k, c2)
    h ^= k; h = rotl32(h, 13n); h = (mul32(h, 5n) + 0xe6546b64n) & M32
  }
  const tail = data.slice(nblocks * 4)
  if (tail.length > 0) {
    let k = 0n
    for (let j = tail.length - 1; j >= 0; j--) k = (k << 8n) | BigInt(tail[j] as number)
    k = mul32(k, c1); k = rotl32(k, 15n); k = mul32(k, c2); h ^= k
  }
  h ^= BigInt(data.length)
  h ^= h >> 16n; h = mul32(h, 0x85ebca6bn); h ^= h >> 13n; h = mul32(h, 0xc2b2ae35n); h ^= h >> 16n
  return Number(BigInt.asIntN(32, h))
}

/** The 8 little-endian bytes of a long (two's complement). */
export function leLong(v: bigint): number[] {
  let u = BigInt.asUintN(64, v)
  const out: number[] = []
  for (let i = 0; i < 8; i++) { out.push(Number(u & 0xffn)); u >>= 8n }
  return out
}

export function utf8(s: string): number[] {
  const out: number[] = []
  for (const ch of s) {
    const c = ch.codePointAt(0) as number
    if (c < 0x80) out.push(c)
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63))
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63))
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63))
  }
  return out
}

/** Floor division on BigInt. */
const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b))

function refHashInput(type: PrimitiveType, v: unknown): number[] {
  switch (type) {
    case 'int': case 'long': return leLong(BigInt(v as number | bigint))
    case 'date': return leLong(floorDiv(BigInt((v as Date).getTime()), 86_400_000n))
    case 'timestamp': case 'timestamptz': return leLong(BigInt((v as Date).getTime()) * 1000n)
    case 'string': return utf8(v as string)
    default: return Array.from(v as Uint8Array)
  }
}

/** Civil year and month of a UTC instant, from its ISO text (no Date getters). */
function civil(d: Date): { year: number; month: number } {
  const iso = d.toISOString() // ±YYYYYY-MM-... for years outside 0000-9999
  const m = /^([+-]?\d{4,6})-(\d{2})/.exec(iso) as RegExpExecArray
  return { year: Number(m[1]), month: Number(m[2]) }
}

export function reference(transform: string, type: PrimitiveType, v: unknown): unknown {
  if (v === null) return null
  const t = /^(\w+)(?:\[(\d+)\])?$/.exec(transform) as RegExpExecArray
  const kind = t[1] as string
  const n = Number(t[2])
  switch (kind) {
    case 'identity': return type === 'long' ? BigInt(v as bigint) : v
    case 'void': return null
    case 'bucket': return Number((BigInt(refMurmur3(refHashInput(type, v))) & 0x7fffffffn) % BigInt(n))
    case 'truncate':
      if (type === 'int') return Number(BigInt(v as number) - (((BigInt(v as number) % BigInt(n)) + BigInt(n)) % BigInt(n)))
      if (type === 'long') return (v as bigint) - ((((v as bigint) % BigInt(n)) + BigInt(n)) % BigInt(n))
      if (type === 'string') return [...(v as string)].slice(0, n).join('')
      return (v as Uint8Array).slice(0, n)
    case 'year': return civil(v as Date).year - 1970
    case 'month': { const c = civil(v as Date); return (c.year - 1970) * 12 + (c.month - 1) }
    case 'day': return new Date(Number(floorDiv(BigInt((v as Date).getTime()), 86_400_000n)) * 86_400_000)
    case 'hour': return Number(floorDiv(BigInt((v as Date).getTime()), 3_600_000n))
  }
  throw new Error(`no reference for ${transform}`)
}

