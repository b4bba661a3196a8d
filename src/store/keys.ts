/**
 * Object key rules shared by every store, so a table written to one backend can be copied to
 * another unchanged. Keys are '/'-separated relative paths.
 */
import { AilakeError } from '../errors.js'

/**
 * Marker in the names of LocalStore's temporary files. Reserved in keys everywhere so a temp
 * file can never be mistaken for an object (list skips names carrying it).
 */
export const TEMP_MARKER = '.ailake-tmp-'

function badKey(what: string, key: string, why: string): AilakeError {
  return new AilakeError('INVALID_ARGUMENT', `Invalid object ${what} ${JSON.stringify(key)}: ${why}. Use a relative '/'-separated path such as "ns/table/metadata/v1.metadata.json".`, { context: { [what]: key } })
}

function checkChars(what: string, key: string): void {
  if (typeof key !== 'string') throw badKey(what, String(key), 'it is not a string')
  if (key.includes('\0')) throw badKey(what, key, 'it contains a NUL character')
  if (key.includes('\\')) throw badKey(what, key, 'it contains a backslash')
  if (key.startsWith('/')) throw badKey(what, key, 'absolute paths are not allowed')
  if (/^[A-Za-z]:/.test(key)) throw badKey(what, key, 'drive-letter paths are not allowed')
  if (key.includes(TEMP_MARKER)) throw badKey(what, key, `"${TEMP_MARKER}" is reserved for temporary files`)
}

function checkSegment(what: string, key: string, seg: string): void {
  if (seg === '') throw badKey(what, key, 'it has an empty path segment (leading, trailing or double "/")')
  if (seg === '.' || seg === '..') throw badKey(what, key, `"${seg}" path segments are not allowed`)
}

/** Throws `INVALID_ARGUMENT` unless `key` is a valid object key; returns it unchanged. */
export function validateKey(key: string): string {
  checkChars('key', key)
  if (key === '') throw badKey('key', key, 'it is empty')
  for (const seg of key.split('/')) checkSegment('key', key, seg)
  return key
}

/**
 * Throws `INVALID_ARGUMENT` unless `prefix` is a valid list prefix. A prefix is a key's start:
 * empty, ending in '/', or ending in a partial segment ("data/part-").
 */
export function validatePrefix(prefix: string): string {
  checkChars('prefix', prefix)
  if (prefix === '') return prefix
  const segs = prefix.split('/')
  const last = segs.pop() as string
  for (const seg of segs) checkSegment('prefix', prefix, seg)
  if (last === '.' || last === '..') throw badKey('prefix', prefix, `"${last}" path segments are not allowed`)
  return prefix
}

/** Orders keys by Unicode code point, which is the UTF-8 byte order S3 lists in. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, so they sort after 0xE000-0xFFFF.
    const sx = x >= 0xd800 && x <= 0xdfff
    const sy = y >= 0xd800 && y <= 0xdfff
    if (sx !== sy) return sx ? 1 : -1
    return x - y
  }
  return a.length - b.length
}

/** Validates a ranged read against an object of `size` bytes; returns [start, end) offsets. */
export function resolveRange(key: string, size: number, offset: number, length?: number): [number, number] {
  if (!Number.isSafeInteger(offset)) throw new AilakeError('INVALID_ARGUMENT', `Range offset ${offset} for ${JSON.stringify(key)} must be an integer.`, { context: { key, offset } })
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
    throw new AilakeError('INVALID_ARGUMENT', `Range length ${length} for ${JSON.stringify(key)} must be a non-negative integer.`, { context: { key, length } })
  }
  if (offset < 0) {
    if (length !== undefined) throw new AilakeError('INVALID_ARGUMENT', `A suffix range (negative offset ${offset}) takes no length; got length ${length} for ${JSON.stringify(key)}.`, { context: { key, offset, length } })
    if (-offset > size) throw outside(key, size, offset, length)
    return [size + offset, size]
  }
  const end = length === undefined ? size : offset + length
  if (offset > size || end > size) throw outside(key, size, offset, length)
  return [offset, end]
}

function outside(key: string, size: number, offset: number, length: number | undefined): AilakeError {
  const range = offset < 0 ? `the last ${-offset} bytes` : `bytes ${offset}..${length === undefined ? 'end' : offset + length}`
  return new AilakeError('INVALID_ARGUMENT', `Range ${range} lies outside ${JSON.stringify(key)}, which has ${size} bytes.`, { context: { key, size, offset, length } })
}
