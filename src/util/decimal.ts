/**
 * Exact decimal values (Iceberg `decimal(P,S)`). In rows a decimal is its canonical string: an
 * optional `-`, at least one integer digit, and exactly S fraction digits (`"-0.50"` for
 * decimal(9,2)), so JSON, the CLI and equality keep every digit; a float would round values of
 * more than 15 digits. Comparisons, statistics, bounds and partition transforms work on the
 * unscaled value (value x 10^S) as a bigint, which orders exactly like the decimal.
 */
import { invalid } from '../errors.js'

/** Largest precision Iceberg allows (16-byte unscaled values). */
export const MAX_DECIMAL_PRECISION = 38

const PLAIN = /^([+-]?)(\d*)(?:\.(\d*))?$/

/** 10^n as a bigint. */
function pow10(n: number): bigint {
  return 10n ** BigInt(n)
}

/**
 * The unscaled value of `value` for decimal(P,S), or a message saying why it is not one. A
 * string is read as written; a number as the decimal its shortest round-trip text names (what
 * `String(n)` and JSON show: 0.1 is 0.1, 0.1 + 0.2 is 0.30000000000000004); a bigint as an
 * integer. More fraction digits than S are refused, never rounded.
 */
export function tryUnscaled(value: unknown, precision: number, scale: number): bigint | string {
  let text: string
  if (typeof value === 'string') text = value.trim()
  else if (typeof value === 'number' && Number.isFinite(value)) text = plainNumberText(value)
  else if (typeof value === 'bigint') text = value.toString()
  else return 'not a decimal string or number'
  const m = PLAIN.exec(text)
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) return `${JSON.stringify(text)} is not a decimal number (digits with an optional sign and point)`
  const frac = (m[3] ?? '').replace(/0+$/, '')
  if (frac.length > scale) return `${text} has ${frac.length} fraction digits, more than the scale ${scale} holds (values are never rounded)`
  const digits = (m[2] ?? '') + frac.padEnd(scale, '0')
  let unscaled = BigInt(digits === '' ? '0' : digits)
  if (unscaled >= pow10(precision)) return `${text} has more than the ${precision} digits of decimal(${precision}, ${scale})`
  if (m[1] === '-') unscaled = -unscaled
  return unscaled
}

/** `tryUnscaled`, throwing `INVALID_ARGUMENT` with the reason (prefixed by `what`). */
export function toUnscaled(value: unknown, precision: number, scale: number, what: string): bigint {
  const r = tryUnscaled(value, precision, scale)
  if (typeof r === 'string') throw invalid(`${what}: ${r}`, { precision, scale })
  return r
}

/** The canonical string of an unscaled value at `scale` (`-5n`, 2 → `"-0.05"`). */
export function decimalText(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0')
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`
  return neg ? `-${text}` : text
}

/** A finite number's shortest round-trip text without an exponent (`1e21` → `"1000000000000000000000"`). */
function plainNumberText(v: number): string {
  const s = String(v)
  const e = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s)
  if (e === null) return s
  const digits = (e[2] ?? '') + (e[3] ?? '')
  const point = (e[2] ?? '').length + Number(e[4])
  const body = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`
  return (e[1] ?? '') + body
}

/**
 * The unscaled value as big-endian two's complement in the fewest bytes that hold it (Iceberg's
 * single-value serialisation of a decimal, and what its bucket transform hashes).
 */
export function unscaledToMinBytes(v: bigint): Uint8Array {
  const out: number[] = []
  for (;;) {
    const byte = Number(BigInt.asUintN(8, v))
    out.push(byte)
    v >>= 8n
    if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) break
  }
  return Uint8Array.from(out.reverse())
}

/** The unscaled value as big-endian two's complement in exactly `length` bytes (Parquet FIXED_LEN_BYTE_ARRAY). */
export function unscaledToFixedBytes(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(BigInt.asUintN(8, v))
    v >>= 8n
  }
  return out
}

/** Reads big-endian two's complement bytes (any length; empty is 0). */
export function unscaledFromBytes(bytes: Uint8Array): bigint {
  let v = 0n
  for (const b of bytes) v = (v << 8n) | BigInt(b)
  return bytes.length > 0 && ((bytes[0] as number) & 0x80) !== 0 ? v - (1n << BigInt(bytes.length * 8)) : v
}

/** Bytes Parquet needs for a FIXED_LEN_BYTE_ARRAY decimal of this precision (the spec's minimum). */
export function decimalFixedLength(precision: number): number {
  let bytes = 1
  while ((1n << BigInt(8 * bytes - 1)) - 1n < pow10(precision) - 1n) bytes++
  return bytes
}

/** `text` (a decimal literal, exponent allowed) as sign, significant digits and the exponent of the last one; `-0` is `0`. */
function canonicalLiteral(text: string): string | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text)
  if (m === null) return undefined
  const frac = m[3] ?? ''
  let digits = (m[2] ?? '') + frac
  let exp = Number(m[4] ?? '0') - frac.length
  digits = digits.replace(/^0+/, '')
  if (digits === '') return '0'
  const trailing = /0*$/.exec(digits)?.[0].length ?? 0
  digits = digits.slice(0, digits.length - trailing)
  exp += trailing
  return `${m[1] === '-' ? '-' : ''}${digits}e${exp}`
}

/** True when the double `n` parsed from `text` is exactly the number `text` writes (`0.1` is; `0.10000000000000000001` is not). */
export function literalIsExact(text: string, n: number): boolean {
  return Number.isFinite(n) && canonicalLiteral(text) === canonicalLiteral(plainNumberText(n))
}
