/**
 * Adoption of abandoned WALs: a writer that dies leaves acknowledged rows in its WAL, and with
 * per-process writer ids nobody may ever reopen that id. Any writer that opens therefore looks
 * for WALs whose lease has expired (or whose process on this host is gone), takes their lease,
 * commits their records in one append fenced on their watermark (so the rows land exactly once
 * even if the old owner wakes up), deletes their segments and releases the lease.
 */
import { AilakeError, isAilakeError } from '../errors.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import { storedVectors } from '../table/data-writer.js'
import { WriteBuffer } from './buffer.js'
import type { IndexBuilder } from './index-builder.js'
import { commitUpsert, keyField, lastPerKey, type UpsertPlanner } from './upsert-plan.js'
import { requirePolicy, schemaPending, TableWriter } from './table-writer.js'
import { readWal, seqOfKey } from './wal.js'
import { WalLease, type LeaseOptions } from './wal-lease.js'
import { walCommitOptions, walWatermark } from './wal-watermark.js'

export interface AdoptOutcome {
  writerId: string
  /** Rows committed from its WAL. */
  rows: number
  snapshotId?: bigint
  /** Why its WAL could not be adopted (it stays for a later attempt). */
  error?: Error
}

export interface AdoptOptions {
  /** Writer ids not to touch (this process's live writers). */
  skip: (writerId: string) => boolean
  lease: LeaseOptions
  /** Builds the indexes of the adopted rows' files in the background; without it they are indexed now. */
  indexBuilder?: IndexBuilder
  /** Plans the deletes of WALs that hold upserts (without it such WALs are left for a writer that has one). */
  upsertPlanner?: UpsertPlanner
}

/** Writer ids that have WAL segments under the table. */
export async function walWriterIds(table: IcebergTable): Promise<string[]> {
  const prefix = `${table.keyOf(table.location)}/wal/`
  const ids = new Set<string>()
  for (const o of await table.store.list(prefix)) {
    const rest = o.key.slice(prefix.length)
    const slash = rest.indexOf('/')
    if (slash > 0 && seqOfKey(o.key) !== undefined) ids.add(rest.slice(0, slash))
  }
  return [...ids]
}

/** Commits the WALs of writers whose lease has expired; returns what was done per writer. */
export async function adoptAbandonedWals(table: IcebergTable, options: AdoptOptions): Promise<AdoptOutcome[]> {
  const out: AdoptOutcome[] = []
  for (const writerId of await walWriterIds(table)) {
    if (options.skip(writerId)) continue
    try {
      const lease = await WalLease.acquire(table.store, table.keyOf(table.location), writerId, options.lease)
      if (!(lease instanceof WalLease)) continue // alive
      try {
        out.push(await adoptOne(table, writerId, options))
      } finally {
        await lease.release().catch(() => undefined)
      }
    } catch (err) {
      out.push({ writerId, rows: 0, error: err as Error })
    }
  }
  return out
}

async function adoptOne(table: IcebergTable, writerId: string, options: AdoptOptions): Promise<AdoptOutcome> {
  const policy = requirePolicy(table)
  const tableKey = table.keyOf(table.location)
  await table.refresh()
  const committed = walWatermark(table.metadata, writerId)
  const wal = await readWal(table.store, tableKey, writerId, policy.column, committed)
  const outcome: AdoptOutcome = { writerId, rows: 0 }
  const first = wal.records[0]
  if (first !== undefined) {
    const on = first.upsertOn
    const planner = options.upsertPlanner
    if (on !== undefined && planner === undefined) throw new AilakeError('UNSUPPORTED', `the WAL of writer ${JSON.stringify(writerId)} holds upserts; a writer from table.memTableWriter() adopts it`)
    const buffer = new WriteBuffer((v) => storedVectors(v, policy))
    for (const rec of wal.records) buffer.push(rec.seq, rec.batch)
    const schema = schemaPending(table) ? first.schema : table.schema
    const merged = buffer.merged(buffer.entries.length, policy.dim).batch
    const batch = on === undefined ? merged : lastPerKey(merged, keyField(schema, on).id, policy.dim)
    const maxSeq = (wal.records.at(-1) as { seq: number }).seq
    const writer = new TableWriter(table, options.indexBuilder === undefined ? {} : { indexBuilder: options.indexBuilder })
    try {
      await writer.writeRowBatch(batch, { deferIndex: options.indexBuilder !== undefined, schema })
      const fence = walCommitOptions(writerId, maxSeq, () => committed)
      outcome.snapshotId = on === undefined || planner === undefined
        ? await writer.commit(fence)
        : await commitUpsert(writer, fence, () => planner(table, on, batch.columns.get(keyField(schema, on).id) ?? []))
      outcome.rows = batch.rowCount
    } catch (err) {
      // After an unknown outcome the files may be referenced; the watermark settles it next time.
      if (!(isAilakeError(err) && err.context.outcomeUnknown === true)) await writer.abort()
      throw err
    }
  }
  for (const key of [...wal.obsolete, ...wal.segments.map((s) => s.key)]) await table.store.delete(key)
  return outcome
}
