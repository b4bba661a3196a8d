/**
 * Lossless JSON for metadata files. Iceberg snapshot ids are 64-bit and routinely exceed 2^53,
 * which `JSON.parse` silently rounds; here such integers come back as `bigint` and `bigint`
 * values are written back as bare JSON numbers.
 */
import { isInteger, parse, stringify } from 'lossless-json'
import { AilakeError } from '../errors.js'
import { literalIsExact } from './decimal.js'

function parseNumber(text: string): number | bigint {
  if (isInteger(text)) {
    const n = Number(text)
    return Number.isSafeInteger(n) ? n : BigInt(text)
  }
  return Number(text)
}

/**
 * `parseNumber`, refusing a number with more significant digits than any double's text has
 * (17) that a double would round (`0.1` and `0.29999999999999999`, a double printed with 17
 * digits, are kept; `12345678901234567890.12` is not).
 */
function parseExactNumber(text: string): number | bigint {
  const n = parseNumber(text)
  if (typeof n === 'number' && significantDigits(text) > 17 && !literalIsExact(text, n)) {
    throw new AilakeError('INVALID_ARGUMENT', `the number ${text} has more digits than a double holds, so it would be rounded; send it as a string ("${text}": decimal columns take strings) or with at most 17 significant digits`, { context: { number: text } })
  }
  return n
}

function significantDigits(text: string): number {
  const mantissa = text.replace(/[eE].*$/, '').replace(/[-+.]/g, '').replace(/^0+/, '')
  return mantissa.replace(/0+$/, '').length
}

/**
 * Parses JSON text. Integers inside the safe range become `number`, integers outside it
 * become `bigint`, all other numbers become `number`.
 *
 * @param text JSON text.
 * @param what Names the document in error messages (default `"JSON document"`).
 * @throws AilakeError `CORRUPT_DATA` when the text is not valid JSON.
 */
export function parseJson(text: string, what = 'JSON document'): unknown {
  return parseWith(text, what, parseNumber)
}

/**
 * {@link parseJson}, but a non-integer with more significant digits than a double holds that a
 * double would round is `INVALID_ARGUMENT` (request bodies: a decimal sent as a bare number
 * must not lose digits silently).
 */
export function parseExactJson(text: string, what: string): unknown {
  return parseWith(text, what, parseExactNumber)
}

function parseWith(text: string, what: string, numbers: (text: string) => number | bigint): unknown {
  try {
    return parse(text, null, numbers)
  } catch (err) {
    if (err instanceof AilakeError) throw err
    const reason = err instanceof Error ? err.message : String(err)
    throw new AilakeError('CORRUPT_DATA', `${what} is not valid JSON (${reason}); the file is truncated or corrupt`, {
      context: { what }, cause: err,
    })
  }
}

/**
 * Serialises a value to JSON text; `bigint` values are written as bare JSON numbers, so a
 * 64-bit id round-trips through {@link parseJson} unchanged.
 *
 * @param value Plain data: objects, arrays, strings, finite numbers, bigints, booleans, null.
 * @param indent Spaces of indentation (default 0: compact).
 * @throws AilakeError `INVALID_ARGUMENT` for values JSON cannot represent (NaN, Infinity, undefined at top level).
 */
export function stringifyJson(value: unknown, indent?: number): string {
  let bad: unknown
  const out = stringify(value, (_key: string, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) bad = v
    return v
  }, indent)
  if (bad !== undefined || out === undefined) {
    throw new AilakeError('INVALID_ARGUMENT', `cannot write ${bad === undefined ? 'undefined' : String(bad)} as JSON; pass finite numbers and plain data`, {
      context: { value: String(bad) },
    })
  }
  return out
}
