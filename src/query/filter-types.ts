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
 * ] }
 * ```
 *
 * Semantics follow SQL: a comparison with a null column value is unknown, and a row is kept
 * only when the whole filter is true (so `x != 1` does not keep rows where `x` is null).
 */

/** A literal: string, number, bigint (for long columns), boolean, or Date (date/timestamp columns). */
export type FilterValue = string | number | bigint | boolean | Date

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>='

export type Filter =
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter }
  | { column: string; op: CompareOp; value: FilterValue }
  | { column: string; op: 'in' | 'not in'; values: FilterValue[] }
  | { column: string; op: 'is null' | 'is not null' }
