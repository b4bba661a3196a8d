/**
 * Iceberg v2 delete files as Parquet. Position delete files hold rows (`file_path`, `pos`)
 * sorted by path then position, with the reserved field ids 2147483546 and 2147483545; ailake
 * writes one per data file it deletes from. Equality delete files hold the values of their
 * `equality_ids` columns; any engine may have written either kind, so reading goes through the
 * general Parquet reader.
 */
import { corrupt, invalid } from '../errors.js'
import type { ByteSource } from '../util/byte-source.js'
import type { Field, Schema } from './schema.js'
import { openDataFileImpl } from './parquet/reader.js'
import { writePlainFile, type PlainFileWritten } from './parquet/plain-writer.js'

export const FILE_PATH_FIELD_ID = 2147483546
export const POS_FIELD_ID = 2147483545

/** The schema of a position delete file (without the optional `row` column). */
export const POSITION_DELETE_SCHEMA: Schema = {
  schemaId: 0,
  fields: [
    { id: FILE_PATH_FIELD_ID, name: 'file_path', type: 'string', required: true },
    { id: POS_FIELD_ID, name: 'pos', type: 'long', required: true },
  ],
}

/** A position delete file deleting `positions` (ascending, distinct, 0-based) of the data file at `dataFilePath`. */
export function writePositionDeleteFile(dataFilePath: string, positions: readonly number[]): PlainFileWritten {
  if (positions.length === 0) throw invalid('a position delete file needs at least one position')
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i] as number
    if (!Number.isSafeInteger(p) || p < 0 || (i > 0 && p <= (positions[i - 1] as number))) {
      throw invalid(`positions must be ascending distinct non-negative integers; got ${p} at index ${i}`)
    }
  }
  const paths = new Array<string>(positions.length).fill(dataFilePath)
  return writePlainFile(POSITION_DELETE_SCHEMA, new Map<number, readonly unknown[]>([[FILE_PATH_FIELD_ID, paths], [POS_FIELD_ID, positions.map((p) => BigInt(p))]]), positions.length)
}

/** The positions a position delete file deletes, by data file path (each list ascending, distinct). */
export async function readPositionDeletes(source: ByteSource): Promise<Map<string, number[]>> {
  const reader = await openDataFileImpl(source)
  const byId = new Map(reader.schema.fields.map((f) => [f.id, f]))
  const pathField = byId.get(FILE_PATH_FIELD_ID) ?? reader.schema.fields.find((f) => f.name === 'file_path')
  const posField = byId.get(POS_FIELD_ID) ?? reader.schema.fields.find((f) => f.name === 'pos')
  if (pathField === undefined || posField === undefined) throw corrupt('a position delete file must have columns file_path and pos')
  const rows = await reader.readRows({ columns: [pathField.name, posField.name] })
  const out = new Map<string, number[]>()
  for (const r of rows) {
    const path = r[pathField.name]
    const raw = r[posField.name]
    const pos = typeof raw === 'bigint' ? Number(raw) : raw
    if (typeof path !== 'string' || typeof pos !== 'number' || !Number.isSafeInteger(pos) || pos < 0) throw corrupt('a position delete file holds a row that is not (file_path, pos)')
    let list = out.get(path)
    if (list === undefined) out.set(path, list = [])
    list.push(pos)
  }
  for (const list of out.values()) {
    list.sort((a, b) => a - b)
    let k = 0
    for (let i = 0; i < list.length; i++) if (i === 0 || list[i] !== list[k - 1]) list[k++] = list[i] as number
    list.length = k
  }
  return out
}

/** The rows of an equality delete file: one object per row with the values of `fields` (matched by field id, else by name). */
export async function readEqualityDeletes(source: ByteSource, fields: readonly Field[]): Promise<Record<string, unknown>[]> {
  const reader = await openDataFileImpl(source)
  const byId = new Map(reader.schema.fields.map((f) => [f.id, f]))
  const names = fields.map((f) => {
    const found = byId.get(f.id) ?? reader.schema.fields.find((x) => x.name === f.name)
    if (found === undefined) throw corrupt(`equality delete file lacks column ${f.name} (field id ${f.id})`)
    return found.name
  })
  const rows = await reader.readRows({ columns: names })
  return rows.map((r) => Object.fromEntries(fields.map((f, i) => [f.name, r[names[i] as string]])))
}
