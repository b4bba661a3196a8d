/** Shared fixtures for the ingest tests: a local lakehouse with a small vector table, and row readers. */
import { connect } from '../../src/index.js'
import { openDataFile } from '../../src/format/data-file.js'
import type { IcebergTable } from '../../src/table/iceberg-table.js'
import type { ObjectStore } from '../../src/store/object-store.js'
import { storeSource } from '../../src/ingest/index.js'
import type { Precision } from '../../src/vector/types.js'

export interface Fixture {
  table: IcebergTable
  /** Opens a fresh handle on the same table (as another process would). */
  reopen(): Promise<IcebergTable>
}

/** A table `default.<name>` with columns id (int, required), text (string) and a 4-d f16 embedding, like the seed's. */
export async function makeTable(dir: string, name: string, options: { store?: ObjectStore; precision?: Precision; dim?: number } = {}): Promise<Fixture> {
  const lake = await connect(dir, options.store === undefined ? {} : { store: options.store })
  const t = await lake.createTable(`default.${name}`, {
    vector: { column: 'embedding', dim: options.dim ?? 4, metric: 'euclidean', precision: options.precision ?? 'f16' },
    schema: { id: { type: 'int', required: true }, text: 'string' },
  })
  return {
    table: t.core,
    reopen: async () => (await (await connect(dir, options.store === undefined ? {} : { store: options.store })).openTable(`default.${name}`)).core,
  }
}

/** The seed's rows: ids as given, text "chunk", embedding i + d*0.1. */
export function makeRows(ids: number[], dim = 4): Array<{ id: number; text: string; embedding: Float32Array }> {
  return ids.map((id, i) => ({ id, text: 'chunk', embedding: Float32Array.from({ length: dim }, (_, d) => i + d * 0.1) }))
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i)
}

/** Every row of the table's current snapshot, read back from the data files. */
export async function readTableRows(table: IcebergTable): Promise<Record<string, unknown>[]> {
  await table.refresh()
  const rows: Record<string, unknown>[] = []
  for (const f of await table.planFiles()) {
    const reader = await openDataFile(await storeSource(table.store, table.keyOf(f.dataFile.filePath)))
    rows.push(...await reader.readRows({}))
  }
  return rows
}

export async function readIds(table: IcebergTable): Promise<number[]> {
  return (await readTableRows(table)).map((r) => Number(r.id)).sort((a, b) => a - b)
}
