/**
 * The one string order of ailake: the order of the strings' UTF-8 bytes, which is Unicode code
 * point order. Iceberg bounds, Parquet statistics (unsigned byte order) and DuckDB's VARCHAR
 * comparisons all use it, so the writer's bounds, file pruning and row filters must too. JS `<`
 * compares UTF-16 code units instead, which sorts U+E000..U+FFFF after every astral character
 * (those are stored as surrogates, U+D800..U+DFFF).
 *
 * A lone surrogate has no UTF-8 form: encoding stores U+FFFD in its place, so it compares as
 * U+FFFD here, and a string holding one orders exactly as it does once written.
 */

function isSurrogate(u: number): boolean {
  return u >= 0xd800 && u <= 0xdfff
}

/** The code point at `i` (a lone surrogate reads as U+FFFD); its UTF-16 length is 2 when > 0xffff. */
function codePointAt(s: string, i: number): number {
  const u = s.charCodeAt(i)
  if (!isSurrogate(u)) return u
  if (u <= 0xdbff && i + 1 < s.length) {
    const v = s.charCodeAt(i + 1)
    if (v >= 0xdc00 && v <= 0xdfff) return 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00)
  }
  return 0xfffd
}

/** Negative, zero or positive as `a` sorts before, with or after `b` in UTF-8 byte order. */
export function compareUtf8(a: string, b: string): number {
  // Equal strings are common (bounds over a column of one repeated value, e.g. the data file
  // path of every row of a position delete file): one native comparison settles them.
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++
  // A proper UTF-16 prefix is a UTF-8 prefix too, or ends in a lone surrogate (U+FFFD) where the
  // longer string has a pair (>= U+10000): either way the shorter sorts first.
  if (i === n) return a.length - b.length
  const x = a.charCodeAt(i)
  const y = b.charCodeAt(i)
  // Outside surrogates units are code points; a high surrogate just before them is lone in both.
  if (!isSurrogate(x) && !isSurrogate(y)) return x - y
  // Restart at the code point the difference falls in.
  if (i > 0 && a.charCodeAt(i - 1) >= 0xd800 && a.charCodeAt(i - 1) <= 0xdbff) i--
  let j = i
  while (i < a.length && j < b.length) {
    const p = codePointAt(a, i)
    const q = codePointAt(b, j)
    if (p !== q) return p - q
    i += p > 0xffff ? 2 : 1
    j += q > 0xffff ? 2 : 1
  }
  return i < a.length ? 1 : j < b.length ? -1 : 0
}
