/**
 * The typed filter form accepted by `where()`. The SQL-like string form parses into it.
 *
 * ```ts
 * { and: [
 *   { column: 'category', op: '=', value: 'news' },
 *   { or: [{ column: 'year', op: '>=', value: 2020 }, { column: 'score', op: '<', value: 0.5 }] },
 *   { column: 'tag', op: 'in', values: ['a', 'b'] },
 *   { column: 'note', op: 'is null' },
 *   { not: { column: 'done', op: '=', value: true } },
 *   { column: 'score', op: 'is not nan' },
 * ] }
 * ```
 *
 * Semantics follow SQL: a comparison with a null column value is unknown, and a row is kept
 * only when the whole filter is true (so `x != 1` does not keep rows where `x` is null).
 *
 * Strings compare in UTF-8 byte order (= Unicode code point order), as Iceberg bounds and
 * DuckDB do; JavaScript's `<` (UTF-16 order) differs for characters at or above U+E000.
 *
 * NaN in a float or double column follows IEEE 754: it is not equal to, less than or greater
 * than anything, so `=`, `<`, `<=`, `>`, `>=`, `in` and BETWEEN never keep it, while `!=` and
 * `not in` do (NaN differs from every value), and so does the NOT of any of the former
 * (`NOT score < 0.5` keeps NaN). Test for it with `is nan` / `is not nan` (false for null). A NaN
 * literal is rejected. (DuckDB instead sorts NaN above every number and equal to itself, so
 * `score > 0.5` keeps NaN there and not here.)
 */

/**
 * A literal: string, number, bigint (for long columns), boolean, or Date (date/timestamp
 * columns). Decimal columns compare exactly with a decimal string (`'12.50'`), a number (the
 * decimal its shortest text names) or a bigint; a literal with more fraction digits than the
 * column's scale is refused.
 */
export type FilterValue = string | number | bigint | boolean | Date

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>='

export type Filter =
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter }
  | { column: string; op: CompareOp; value: FilterValue }
  /** `values`: an array or any iterable, e.g. a `Set` of ten thousand ids. */
  | { column: string; op: 'in' | 'not in'; values: Iterable<FilterValue> }
  | { column: string; op: 'is null' | 'is not null' | 'is nan' | 'is not nan' }
