/**
 * Parser of the SQL-like filter strings accepted by `where()`:
 *
 * `category = 'news' AND (year >= 2020 OR score < 0.5) AND tag IN ('a','b') AND note IS NULL AND NOT done = true`
 *
 * Comparisons `= != <> < <= > >=`, `[NOT] IN (...)`, `[NOT] BETWEEN a AND b` (inclusive; the
 * typed form has no BETWEEN, it parses to `>=` AND `<=`), `IS [NOT] NULL`, `IS [NOT] NAN`,
 * `AND`, `OR`, `NOT` and parentheses; string literals in single quotes (`''` escapes a quote),
 * numbers (an integer outside the safe range, or one suffixed with `n`, is a bigint; a
 * fraction a double cannot hold exactly is refused, so quote it to compare a decimal column),
 * `true` / `false`. Keywords are case-insensitive; column names are case-sensitive, and double
 * quotes allow any name (`"my col"`, `""` escapes a quote). A column always stands on the left
 * of its comparison. `BETWEEN` and `NAN` are keywords only where they are expected, so columns
 * may bear those names. Semantics (null, NaN, string order): see filter-types.ts.
 */
import { invalid } from '../errors.js'
import { literalIsExact } from '../util/decimal.js'
import type { CompareOp, Filter, FilterValue } from './filter-types.js'

type Tok =
  | { t: 'ident'; v: string; at: number }
  | { t: 'kw'; v: string; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'num'; v: number | bigint; at: number }
  | { t: 'op'; v: string; at: number }
  | { t: 'end'; at: number }

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE'])

function fail(src: string, at: number, what: string): never {
  throw invalid(`where(): ${what} at position ${at} in ${JSON.stringify(src)}`, { filter: src, position: at })
}

// Sticky patterns match at a position without slicing the rest of the string (a list of ten
// thousand ids is one string, and a slice per token made tokenizing it quadratic in places).
const NUMBER = /-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?n?/y
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y
const OPERATOR = /(<=|>=|<>|!=|=|<|>|\(|\)|,)/y

function at1(re: RegExp, src: string, i: number): RegExpExecArray | null {
  re.lastIndex = i
  return re.exec(src)
}

function tokenize(src: string): Tok[] {
  const out: Tok[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i] as string
    if (/\s/.test(c)) { i++; continue }
    const at = i
    if (c === "'" || c === '"') {
      let v = ''
      i++
      for (;;) {
        if (i >= src.length) fail(src, at, `unterminated ${c === "'" ? 'string literal' : 'quoted identifier'}`)
        const d = src[i] as string
        if (d === c) {
          if (src[i + 1] === c) { v += c; i += 2; continue }
          i++
          break
        }
        v += d
        i++
      }
      out.push(c === "'" ? { t: 'str', v, at } : { t: 'ident', v, at })
      continue
    }
    const num = at1(NUMBER, src, i)
    // There is no arithmetic, so a '-' before digits always starts a negative literal.
    if (num !== null) {
      const text = num[0]
      i += text.length
      if (text.endsWith('n')) {
        if (!/^-?\d+n$/.test(text)) fail(src, at, `bad bigint literal ${text}`)
        out.push({ t: 'num', v: BigInt(text.slice(0, -1)), at })
      } else if (/^-?\d+$/.test(text) && !Number.isSafeInteger(Number(text))) {
        out.push({ t: 'num', v: BigInt(text), at })
      } else {
        const v = Number(text)
        // A decimal column compares exactly; a literal its double would round must be quoted.
        if (!literalIsExact(text, v)) fail(src, at, `number ${text} is not exactly a double; quote it ('${text}') to compare a decimal column exactly, or shorten it`)
        out.push({ t: 'num', v, at })
      }
      continue
    }
    const word = at1(WORD, src, i)
    if (word !== null) {
      i += word[0].length
      const up = word[0].toUpperCase()
      out.push(KEYWORDS.has(up) ? { t: 'kw', v: up, at } : { t: 'ident', v: word[0], at })
      continue
    }
    const op = at1(OPERATOR, src, i)
    if (op !== null) {
      i += op[0].length
      out.push({ t: 'op', v: op[0], at })
      continue
    }
    fail(src, at, `unexpected character ${JSON.stringify(c)}`)
  }
  out.push({ t: 'end', at: src.length })
  return out
}

/** Parses a filter string into the typed form. Throws `INVALID_ARGUMENT` naming the position. */
export function parseFilter(src: string): Filter {
  if (src.trim().length === 0) throw invalid('where(): the filter string is empty')
  const toks = tokenize(src)
  let p = 0
  const peek = (): Tok => toks[p] as Tok
  const next = (): Tok => toks[p++] as Tok
  const isKw = (v: string): boolean => { const t = peek(); return t.t === 'kw' && t.v === v }
  const isOp = (v: string): boolean => { const t = peek(); return t.t === 'op' && t.v === v }
  const expectOp = (v: string): void => {
    const t = next()
    if (!(t.t === 'op' && t.v === v)) fail(src, t.at, `expected ${JSON.stringify(v)}`)
  }

  const isWord = (v: string): boolean => { const t = peek(); return t.t === 'ident' && t.v.toUpperCase() === v }

  const literal = (): FilterValue => {
    const t = next()
    if (t.t === 'str' || t.t === 'num') return t.v
    if (t.t === 'kw' && (t.v === 'TRUE' || t.v === 'FALSE')) return t.v === 'TRUE'
    if (t.t === 'kw' && t.v === 'NULL') fail(src, t.at, 'NULL is not a value here; use IS NULL / IS NOT NULL')
    return fail(src, t.at, 'expected a literal (a quoted string, a number, true or false)')
  }

  const predicate = (): Filter => {
    const t = next()
    if (t.t !== 'ident') fail(src, t.at, t.t === 'end' ? 'unexpected end of filter' : 'expected a column name')
    const column = t.v
    if (isKw('IS')) {
      next()
      const negate = isKw('NOT')
      if (negate) next()
      const n = next()
      if (n.t === 'kw' && n.v === 'NULL') return { column, op: negate ? 'is not null' : 'is null' }
      if (n.t === 'ident' && n.v.toUpperCase() === 'NAN') return { column, op: negate ? 'is not nan' : 'is nan' }
      return fail(src, n.at, 'expected NULL or NAN after IS')
    }
    let negate = false
    if (isKw('NOT')) { next(); negate = true }
    if (isWord('BETWEEN')) {
      next()
      const lo = literal()
      const and = next()
      if (!(and.t === 'kw' && and.v === 'AND')) fail(src, and.at, 'expected AND in BETWEEN ... AND ...')
      const range: Filter = { and: [{ column, op: '>=', value: lo }, { column, op: '<=', value: literal() }] }
      return negate ? { not: range } : range
    }
    if (isKw('IN')) {
      next()
      expectOp('(')
      const values: FilterValue[] = [literal()]
      while (isOp(',')) { next(); values.push(literal()) }
      expectOp(')')
      return { column, op: negate ? 'not in' : 'in', values }
    }
    if (negate) fail(src, peek().at, 'expected IN or BETWEEN after NOT')
    const o = next()
    if (o.t !== 'op' || !['=', '!=', '<>', '<', '<=', '>', '>='].includes(o.v)) fail(src, o.at, `expected a comparison (=, !=, <, <=, >, >=, IN, BETWEEN, IS) after column ${column}`)
    const op = (o.v === '<>' ? '!=' : o.v) as CompareOp
    return { column, op, value: literal() }
  }

  const unary = (): Filter => {
    if (isKw('NOT')) { next(); return { not: unary() } }
    if (isOp('(')) {
      next()
      const e = orExpr()
      expectOp(')')
      return e
    }
    return predicate()
  }
  const andExpr = (): Filter => {
    const parts = [unary()]
    while (isKw('AND')) { next(); parts.push(unary()) }
    return parts.length === 1 ? parts[0] as Filter : { and: parts }
  }
  const orExpr = (): Filter => {
    const parts = [andExpr()]
    while (isKw('OR')) { next(); parts.push(andExpr()) }
    return parts.length === 1 ? parts[0] as Filter : { or: parts }
  }
  const result = orExpr()
  const end = peek()
  if (end.t !== 'end') fail(src, end.at, 'unexpected text after the filter')
  return result
}
