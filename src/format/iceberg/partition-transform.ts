/**
 * Iceberg partition transforms (spec "Partition Transforms" and Appendix B): what a partition
 * value is for a source value, so every engine puts a row in the same partition. Values follow
 * format/schema.ts (long → bigint, date and timestamps → Date, binary → Uint8Array); results are
 * what a manifest's partition tuple holds: ints as numbers, `day` as a Date (Iceberg writers
 * type it `date`), identity and truncate in the source type.
 */
import { AilakeError, invalid } from '../../errors.js'
import { utf8Encode } from '../../util/bytes.js'
import { decimalOf, isDecimalType, type FieldType, type PrimitiveType } from '../schema.js'
import { decimalText, toUnscaled, unscaledToMinBytes } from '../../util/decimal.js'
import { timeMicros, uuidBytes, uuidText } from '../../util/uuid-time.js'

export type TransformKind = 'identity' | 'bucket' | 'truncate' | 'year' | 'month' | 'day' | 'hour' | 'void'

export interface Transform {
  kind: TransformKind
  /** N of bucket[N], W of truncate[W]. */
  param?: number
}

const MS_PER_DAY = 86_400_000
const MS_PER_HOUR = 3_600_000

/** Source types each transform takes (Iceberg's table, less the types ailake has no column for). */
const SOURCES: Record<TransformKind, readonly PrimitiveType[] | 'any'> = {
  identity: 'any',
  void: 'any',
  bucket: ['int', 'long', 'date', 'time', 'timestamp', 'timestamptz', 'string', 'uuid', 'binary'],
  truncate: ['int', 'long', 'string', 'binary'],
  year: ['date', 'timestamp', 'timestamptz'],
  month: ['date', 'timestamp', 'timestamptz'],
  day: ['date', 'timestamp', 'timestamptz'],
  hour: ['timestamp', 'timestamptz'],
}

/** Parses Iceberg's transform text (`identity`, `bucket[16]`, `truncate[4]`, `day`, ...). */
export function parseTransform(text: string): Transform {
  const m = /^(bucket|truncate)\[(\d+)\]$/.exec(text)
  if (m !== null) {
    const param = Number(m[2])
    if (!Number.isSafeInteger(param) || param < 1 || param > 2 ** 31 - 1) throw invalid(`partition transform ${text}: the width must be an integer from 1 to 2^31 - 1`, { transform: text })
    return { kind: m[1] as 'bucket' | 'truncate', param }
  }
  if (text in SOURCES && text !== 'bucket' && text !== 'truncate') return { kind: text as TransformKind }
  throw new AilakeError('UNSUPPORTED', `partition transform ${JSON.stringify(text)} is not supported; use identity, bucket[N], truncate[W], year, month, day, hour or void`, { context: { transform: text } })
}

/** Iceberg's text of a transform. */
export function transformText(t: Transform): string {
  return t.param === undefined ? t.kind : `${t.kind}[${t.param}]`
}

/** Whether `t` applies to a column of type `source`; the reason when it does not. */
export function transformRefusal(t: Transform, source: FieldType): string | undefined {
  if (typeof source !== 'string') return `a ${source.type} column cannot be partitioned (only scalar columns)`
  const ok = SOURCES[t.kind]
  if (ok === 'any' || ok.includes(source)) return undefined
  if (isDecimalType(source) && (t.kind === 'bucket' || t.kind === 'truncate')) return undefined
  return `${transformText(t)} does not apply to a ${source} column (it takes ${ok.join(', ')}${t.kind === 'bucket' || t.kind === 'truncate' ? ', decimal' : ''})`
}

/**
 * True when the transform keeps order (a <= b implies t(a) <= t(b)), so a range predicate on the
 * source projects to one on the partition value. Bucket scatters, so only equality projects.
 */
export function preservesOrder(t: Transform): boolean {
  return t.kind !== 'bucket' && t.kind !== 'void'
}

// ---------------------------------------------------------------------------------------------
// Murmur3 (x86, 32-bit, seed 0), as the spec's bucket transform requires.

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

function mixK(k: number): number {
  return Math.imul(rotl(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593)
}

/** MurmurHash3 x86 32-bit with seed 0 of `bytes`, as a signed 32-bit integer (Java's int). */
export function murmur3(bytes: Uint8Array): number {
  let h = 0
  const n = bytes.length
  const blocks = n & ~3
  for (let i = 0; i < blocks; i += 4) {
    const k = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24)
    h ^= mixK(k)
    h = (Math.imul(rotl(h, 13), 5) + 0xe6546b64) | 0
  }
  const tail = n & 3
  if (tail > 0) {
    let k = 0
    for (let i = tail - 1; i >= 0; i--) k = (k << 8) | (bytes[blocks + i] as number)
    h ^= mixK(k)
  }
  h ^= n
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h | 0
}

function longBytes(v: bigint): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigInt64(0, BigInt.asIntN(64, v), true)
  return out
}

function msOf(v: unknown, what: string): number {
  const ms = v instanceof Date ? v.getTime() : NaN
  if (!Number.isFinite(ms)) throw invalid(`a ${what} partition source value must be a valid Date, got ${String(v)}`)
  return ms
}

function asLong(v: unknown): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v)
  throw invalid(`an integer partition source value must be an integer, got ${String(v)}`)
}

/** The bytes Appendix B hashes for a value of type `source`. */
export function hashBytes(source: PrimitiveType, v: unknown): Uint8Array {
  switch (source) {
    case 'int': case 'long': return longBytes(asLong(v))
    case 'date': return longBytes(BigInt(Math.floor(msOf(v, 'date') / MS_PER_DAY)))
    case 'timestamp': case 'timestamptz': return longBytes(BigInt(msOf(v, 'timestamp')) * 1000n)
    case 'string': return utf8Encode(String(v))
    case 'time': {
      const us = timeMicros(v)
      if (us === undefined) throw invalid(`a time partition source value must be a time of day, got ${String(v)}`)
      return longBytes(us)
    }
    case 'uuid': {
      const text = uuidText(v)
      if (text === undefined) throw invalid(`a uuid partition source value must be a uuid, got ${String(v)}`)
      return uuidBytes(text)
    }
    case 'binary':
      if (v instanceof Uint8Array) return v
      break
  }
  const d = decimalOf(source)
  if (d !== undefined) return unscaledToMinBytes(toUnscaled(v, d.precision, d.scale, 'a decimal partition source value'))
  throw invalid(`bucket does not apply to a ${source} value`)
}

/**
 * The partition value of source value `v` (of type `source`) under `t`; null stays null. The
 * result type is `partitionResultType` of manifest-schema.ts.
 */
export function applyTransform(t: Transform, source: PrimitiveType, v: unknown): unknown {
  if (v === null || v === undefined || t.kind === 'void') return null
  switch (t.kind) {
    case 'identity': {
      if (source === 'long') return asLong(v)
      const d = decimalOf(source)
      return d === undefined ? v : decimalText(toUnscaled(v, d.precision, d.scale, 'a decimal partition source value'), d.scale)
    }
    case 'bucket': return (murmur3(hashBytes(source, v)) & 0x7fffffff) % (t.param as number)
    case 'truncate': {
      const w = t.param as number
      if (source === 'int') {
        const n = v as number
        return n - (((n % w) + w) % w)
      }
      if (source === 'long') {
        const n = asLong(v)
        const W = BigInt(w)
        return n - (((n % W) + W) % W)
      }
      // A decimal truncates its unscaled value (10.65 by 50 at scale 2 is 10.50).
      const d = decimalOf(source)
      if (d !== undefined) {
        const n = toUnscaled(v, d.precision, d.scale, 'a decimal partition source value')
        const W = BigInt(w)
        return decimalText(n - (((n % W) + W) % W), d.scale)
      }
      // Strings keep their first W code points (not UTF-16 units); binary its first W bytes.
      if (source === 'string') {
        const s = String(v)
        if (s.length <= w) return s
        let out = ''
        let count = 0
        for (const ch of s) {
          if (count++ === w) break
          out += ch
        }
        return out
      }
      return (v as Uint8Array).slice(0, w)
    }
    case 'year': return new Date(msOf(v, source)).getUTCFullYear() - 1970
    case 'month': {
      const d = new Date(msOf(v, source))
      return (d.getUTCFullYear() - 1970) * 12 + d.getUTCMonth()
    }
    case 'day': return new Date(Math.floor(msOf(v, source) / MS_PER_DAY) * MS_PER_DAY)
    case 'hour': return Math.floor(msOf(v, source) / MS_PER_HOUR)
  }
}

/** Iceberg's default name of a partition field (`tenant`, `id_bucket`, `name_trunc`, `ts_day`). */
export function defaultPartitionName(t: Transform, column: string): string {
  switch (t.kind) {
    case 'identity': return column
    case 'truncate': return `${column}_trunc`
    case 'void': return `${column}_null`
    default: return `${column}_${t.kind}`
  }
}

/**
 * A string equal for equal partition values and different otherwise (group rows by it). Dates
 * compare by their time, bytes by content, bigints and numbers by value and type.
 */
export function partitionKey(values: readonly unknown[]): string {
  return values.map((v) => {
    if (v === null || v === undefined) return 'n'
    if (v instanceof Date) return `d${v.getTime()}`
    if (v instanceof Uint8Array) return `b${Array.from(v, (x) => x.toString(16).padStart(2, '0')).join('')}`
    if (typeof v === 'bigint') return `l${v}`
    if (typeof v === 'string') return `s${JSON.stringify(v)}`
    return `${typeof v}${String(v)}`
  }).join('|')
}
