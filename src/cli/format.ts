/**
 * Output for people (aligned text tables) and for scripts (JSON with 64-bit integers as
 * strings, so no id loses precision in a JSON parser).
 */

const MAX_CELL = 48

/** JSON text of `value`: bigints as strings, typed arrays as arrays, bytes as base64. */
export { toJsonText as toJson } from '../index.js'

/** One cell: short, on one line, numbers readable. */
export function cell(v: unknown, max = MAX_CELL): string {
  let s: string
  if (v === null || v === undefined) s = ''
  else if (typeof v === 'number') s = Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)))
  else if (v instanceof Date) s = v.toISOString()
  else if (v instanceof Uint8Array) s = `<${v.length} bytes>`
  else if (ArrayBuffer.isView(v) || Array.isArray(v)) {
    const arr = Array.from(v as unknown as ArrayLike<unknown>)
    s = `[${arr.slice(0, 3).map((x) => cell(x, 12)).join(', ')}${arr.length > 3 ? `, … ${arr.length} values` : ''}]`
  } else s = String(v)
  s = s.replace(/\s+/g, ' ')
  return s.length > max ? s.slice(0, max - 1) + '…' : s
}

/** An aligned text table with a header line; numbers right-aligned. */
export function renderTable(rows: Record<string, unknown>[], columns: string[]): string {
  const cells = rows.map((r) => columns.map((c) => (c === '_distance' && typeof r[c] === 'number' ? (r[c] as number).toFixed(4) : cell(r[c]))))
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number' || typeof r[c] === 'bigint'))
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((row) => (row[j] as string).length)))
  const line = (vals: string[]): string => vals.map((v, j) => (numeric[j] === true ? v.padStart(widths[j] as number) : v.padEnd(widths[j] as number))).join('  ').trimEnd()
  const out = [line(columns), widths.map((w) => '-'.repeat(w)).join('  ')]
  for (const row of cells) out.push(line(row))
  return out.join('\n')
}

/** `12,345` */
export function count(n: number): string {
  return n.toLocaleString('en-US')
}

/** Seconds with one decimal, or milliseconds below one second. */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** Bytes as B, KB, MB, GB (powers of 1024). */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`
}
