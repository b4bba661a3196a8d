/**
 * Apache Arrow input, recognised by shape rather than by `instanceof`, so whichever
 * apache-arrow version the user has installed works (no version lock-step with ours).
 */
import type { PrimitiveType } from '../format/schema.js'

/** An Arrow data type; a dictionary-encoded one (`typeId` -1) carries its value type as `dictionary`. */
export interface ArrowTypeLike {
  typeId: number; bitWidth?: number; isSigned?: boolean; precision?: number; timezone?: string | null; unit?: number
  dictionary?: ArrowTypeLike
}

export interface ArrowFieldLike {
  name: string
  nullable: boolean
  type: ArrowTypeLike
}

export interface ArrowVectorLike {
  length: number
  get(index: number): unknown
}

export interface ArrowTableLike {
  numRows: number
  schema: { fields: ArrowFieldLike[] }
  getChild(name: string): ArrowVectorLike | null
}

export function isArrowTableLike(x: unknown): x is ArrowTableLike {
  if (x === null || typeof x !== 'object') return false
  const t = x as Partial<ArrowTableLike>
  return typeof t.numRows === 'number' && typeof t.getChild === 'function' &&
    typeof t.schema === 'object' && t.schema !== null && Array.isArray(t.schema.fields)
}

// Arrow's Type ids come from its flatbuffer schema, so they are the same in every version.
const ARROW = { Dictionary: -1, Int: 2, Float: 3, Binary: 4, Utf8: 5, Bool: 6, Date: 8, Timestamp: 10, List: 12, FixedSizeBinary: 15, FixedSizeList: 16, LargeBinary: 19, LargeUtf8: 20 } as const

/** The Iceberg type for an Arrow field, or undefined for types ailake does not store. */
export function arrowToPrimitive(field: ArrowFieldLike): PrimitiveType | undefined {
  // A dictionary-encoded column (what tableFromArrays makes of strings) reads as its values.
  const t = field.type.typeId === ARROW.Dictionary && field.type.dictionary !== undefined ? field.type.dictionary : field.type
  switch (t.typeId) {
    case ARROW.Int: return (t.bitWidth ?? 32) > 32 || (t.bitWidth === 32 && t.isSigned === false) ? 'long' : 'int'
    case ARROW.Float: return t.precision === 2 ? 'double' : 'float'
    case ARROW.Utf8: case ARROW.LargeUtf8: return 'string'
    case ARROW.Bool: return 'boolean'
    case ARROW.Binary: case ARROW.LargeBinary: case ARROW.FixedSizeBinary: return 'binary'
    case ARROW.Date: return 'date'
    case ARROW.Timestamp: return t.timezone ? 'timestamptz' : 'timestamp'
    default: return undefined
  }
}

export function isArrowListField(field: ArrowFieldLike): boolean {
  return field.type.typeId === ARROW.List || field.type.typeId === ARROW.FixedSizeList
}

/** Normalises an Arrow cell to ailake's JS representation for `type`. */
export function fromArrowValue(type: PrimitiveType, v: unknown): unknown {
  if (v === null || v === undefined) return null
  if ((type === 'date' || type === 'timestamp' || type === 'timestamptz') && typeof v === 'number') return new Date(v)
  if ((type === 'date' || type === 'timestamp' || type === 'timestamptz') && typeof v === 'bigint') return new Date(Number(v))
  return v
}
