/**
 * `info`, `history` and `tables`: what a table holds and how it got there. `tableInfo` and
 * `formatInfo` are also used by the demo.
 */
import { AilakeError, type PartitionInput, type Table } from '../index.js'
import { JSON_FLAG, type Command } from './command.js'
import { bytes, count, toJson } from './format.js'
import { recordedEmbedder } from './table-api.js'
import { openTable } from './words.js'

export const infoCommand: Command = {
  positionals: ['table'],
  options: JSON_FLAG,
  async run(lake, [name], values, io) {
    const table = await openTable(lake, name as string)
    const info = await tableInfo(table)
    // Info reads only metadata; a quick check (manifests read, each data file present at its
    // recorded size) keeps it from reporting success on a table that searches cannot read.
    const { problems } = await table.verify({ readData: false, wals: false })
    io.out(values.json === true ? toJson({ ...info, problems }, 2) : formatInfo(info))
    if (problems.length > 0) {
      const first = problems[0] as { kind: string; file: string; message: string }
      throw new AilakeError('CORRUPT_DATA', `table ${table.name} cannot be read in full: ${problems.length} damaged or missing file(s), e.g. ${first.message}; ailake verify ${table.name} lists them, --quarantine removes them`)
    }
  },
}

export const historyCommand: Command = {
  positionals: ['table'],
  options: JSON_FLAG,
  async run(lake, [name], values, io) {
    const table = await openTable(lake, name as string)
    io.out(values.json === true ? toJson(table.history(), 2) : formatHistory(table))
  },
}

export const tablesCommand: Command = {
  positionals: [],
  options: JSON_FLAG,
  async run(lake, _args, values, io) {
    const names = await lake.listTables()
    if (values.json === true) io.out(toJson(names))
    else if (names.length > 0) io.out(names.join('\n'))
  },
}

const ELEMENT_BYTES = { f32: 4, f16: 2, i8: 1 } as const

export interface TableInfo {
  name: string
  snapshots: number
  currentSnapshotId: bigint | null
  /** Live rows (stored rows minus deleted ones). */
  rows: number
  /** Stored rows that delete files delete (removed for good by optimize / expire). */
  deletedRows: number
  files: number
  indexStatus: Record<'ready' | 'pending' | 'none', number>
  totalBytes: number
  /** Bytes of one stored vector at the table's precision (i8 excludes per-file scale factors). */
  vectorBytes: number
  /** Data-file bytes per row, all columns and the index included. */
  bytesPerRow: number
  /** `codes`: what each file's index keeps for searching without the vectors (`subvectors` with PQ). */
  vector: { column: string; dim: number; metric: string; precision: string; M: number; efConstruction: number; codes: string; subvectors?: number }
  embedder: { name: string; dim: number } | null
  /** New files' partitioning in createTable's `partitionBy` form; empty when unpartitioned. */
  partitionBy: PartitionInput[]
  schema: { id: number; name: string; type: string; required: boolean }[]
}

/** Gathers a table's info (reads the current snapshot's manifests). */
export async function tableInfo(table: Table): Promise<TableInfo> {
  const files = await table.files()
  const status = { ready: 0, pending: 0, none: 0 }
  let totalBytes = 0
  let rows = 0
  let deletedRows = 0
  for (const f of files) {
    status[f.indexStatus]++
    totalBytes += f.bytes
    rows += f.rows - f.deletedRows
    deletedRows += f.deletedRows
  }
  const v = table.vector
  return {
    name: table.name,
    snapshots: table.history().length,
    currentSnapshotId: table.currentSnapshotId,
    rows,
    deletedRows,
    files: files.length,
    indexStatus: status,
    totalBytes,
    vectorBytes: v.dim * ELEMENT_BYTES[v.precision],
    bytesPerRow: rows === 0 ? 0 : Math.round(totalBytes / rows),
    vector: {
      column: v.column, dim: v.dim, metric: v.metric, precision: v.precision, M: v.M, efConstruction: v.efConstruction,
      codes: v.codes ?? 'sq8', ...(v.subvectors === undefined ? {} : { subvectors: v.subvectors }),
    },
    embedder: recordedEmbedder(table) ?? null,
    partitionBy: table.partitionBy,
    schema: table.columns().map((f) => ({ id: f.id, name: f.name, type: typeName(f.type), required: f.required })),
  }
}

function typeName(t: unknown): string {
  if (typeof t === 'string') return t
  const o = t as { type?: string; element?: string; length?: number }
  if (o.type === 'list') return `list<${o.element ?? '?'}>`
  if (o.type === 'fixed') return `fixed[${o.length ?? '?'}]`
  return String(o.type)
}

/** Human-readable lines for `info`. */
export function formatInfo(i: TableInfo): string {
  const v = i.vector
  const lines = [
    `table        ${i.name}`,
    `snapshots    ${i.snapshots}${i.currentSnapshotId === null ? ' (empty table)' : `, current ${i.currentSnapshotId}`}`,
    `rows         ${count(i.rows)} live${i.deletedRows > 0 ? `, ${count(i.deletedRows)} deleted (still stored)` : ''}`,
    `files        ${i.files} (index ready ${i.indexStatus.ready}, pending ${i.indexStatus.pending}, none ${i.indexStatus.none})`,
    `size         ${bytes(i.totalBytes)} on disk, ${count(i.bytesPerRow)} bytes per row`,
    `vector       ${v.column}: ${v.dim}-d ${v.metric}, ${v.precision} (${count(i.vectorBytes)} bytes per vector), HNSW M=${v.M} efConstruction=${v.efConstruction}, ${v.codes === 'pq' ? `PQ codes (${v.subvectors} sub-vectors)` : 'SQ8 codes'}`,
    `partitioned  ${i.partitionBy.length === 0 ? 'no' : `by ${i.partitionBy.map((p) => typeof p === 'string' ? p : `${p.transform ?? 'identity'}(${p.column}) as ${p.name ?? p.column}`).join(', ')}`}`,
    `embedder     ${i.embedder === null ? 'none recorded (vectors supplied by the user)' : `${i.embedder.name} (${i.embedder.dim}-d)`}`,
    'schema',
  ]
  const w = Math.max(...i.schema.map((f) => f.name.length))
  for (const f of i.schema) lines.push(`  ${String(f.id).padStart(3)}  ${f.name.padEnd(w)}  ${f.type}${f.required ? ' not null' : ''}`)
  return lines.join('\n')
}

/** One line per snapshot, oldest first. */
export function formatHistory(table: Table): string {
  const h = table.history()
  if (h.length === 0) return `${table.name} has no snapshots yet`
  const rows = h.map((s) => [String(s.snapshotId), s.timestamp.toISOString(), s.operation, `+${count(s.addedRows)}`, `-${count(s.deletedRows)}`, count(s.totalRows - s.totalDeletes)])
  const head = ['snapshot', 'time', 'operation', 'added', 'deleted', 'live rows']
  const widths = head.map((c, j) => Math.max(c.length, ...rows.map((r) => (r[j] as string).length)))
  const fmt = (r: string[]): string => r.map((c, j) => (j >= 3 ? c.padStart(widths[j] as number) : c.padEnd(widths[j] as number))).join('  ')
  return [fmt(head), ...rows.map(fmt)].join('\n')
}
