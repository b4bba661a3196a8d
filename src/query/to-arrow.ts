/**
 * Search results as an Apache Arrow table, built with whichever apache-arrow the user has.
 * Types are chosen explicitly so nothing is widened: vectors stay FixedSizeList<Float32>,
 * bigint columns are Int64, and `_distance` (a JS number) is Float64, as returned by toArray().
 */
import { AilakeError } from '../errors.js'

/**
 * An apache-arrow module as `toArrow(arrow)` accepts it: any version from 13 on. Parameters are
 * typed `never` so every version's (generic, overloaded) signatures fit; `ArrowApi` is how it is used.
 */
export interface ArrowModule {
  Table: new (...args: never[]) => unknown
  vectorFromArray: (...args: never[]) => unknown
  Float32: new (...args: never[]) => unknown
  Float64: new (...args: never[]) => unknown
  Int64: new (...args: never[]) => unknown
  Utf8: new (...args: never[]) => unknown
  Bool: new (...args: never[]) => unknown
  Binary: new (...args: never[]) => unknown
  TimestampMillisecond: new (...args: never[]) => unknown
  Field: new (...args: never[]) => unknown
  FixedSizeList: new (...args: never[]) => unknown
}

/** The slice of the apache-arrow module used here (stable across versions 13+). */
export interface ArrowApi {
  Table: new (columns: Record<string, unknown>) => unknown
  vectorFromArray(values: unknown[], type?: unknown): unknown
  Float32: new () => unknown
  Float64: new () => unknown
  Int64: new () => unknown
  Utf8: new () => unknown
  Bool: new () => unknown
  Binary: new () => unknown
  TimestampMillisecond: new () => unknown
  Field: new (name: string, type: unknown, nullable?: boolean) => unknown
  FixedSizeList: new (size: number, child: unknown) => unknown
}

function typeFor(arrow: ArrowApi, values: unknown[]): unknown {
  const sample = values.find((v) => v !== null && v !== undefined)
  if (sample instanceof Float32Array) return new arrow.FixedSizeList(sample.length, new arrow.Field('item', new arrow.Float32(), false))
  if (sample instanceof Uint8Array) return new arrow.Binary()
  if (sample instanceof Date) return new arrow.TimestampMillisecond()
  switch (typeof sample) {
    case 'bigint': return new arrow.Int64()
    case 'number': return new arrow.Float64()
    case 'boolean': return new arrow.Bool()
    default: return new arrow.Utf8()
  }
}

export function rowsToArrow(module: ArrowModule, rows: Record<string, unknown>[]): unknown {
  const arrow = module as unknown as ArrowApi
  const names: string[] = []
  for (const r of rows) for (const k of Object.keys(r)) if (!names.includes(k)) names.push(k)
  const columns: Record<string, unknown> = {}
  for (const name of names) {
    const values = rows.map((r) => r[name] ?? null)
    try {
      columns[name] = arrow.vectorFromArray(values.map((v) => (v instanceof Date ? v.getTime() : v)), typeFor(arrow, values))
    } catch (cause) {
      throw new AilakeError('INTERNAL', `toArrow(): could not build column ${JSON.stringify(name)}`, { cause })
    }
  }
  return new arrow.Table(columns)
}
