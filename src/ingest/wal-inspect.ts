/**
 * Looking at write-ahead logs from outside a writer: what each writer id has left under the
 * table (segments, rows not yet committed, who holds its lease, damage that stops its replay),
 * and discarding a damaged log deliberately. Discarding takes the writer's lease first, exactly
 * as a writer or an adopter would, so it never races a live writer of that id.
 */
import { AilakeError, isAilakeError } from '../errors.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import { requirePolicy } from './table-writer.js'
import { readableRecords, readWal, seqOfKey, walPrefix } from './wal.js'
import { WalLease, type LeaseOptions } from './wal-lease.js'
import { walWatermark } from './wal-watermark.js'

/** One writer id's log, as `table.wals()` reports it. */
export interface WalInfo {
  writerId: string
  /** The newest lease; `live` while its holder may still write (the log is then not abandoned). */
  lease: { host: string; pid: number; expiresAt: Date; live: boolean } | null
  segments: number
  bytes: number
  /** Highest sequence number the table holds from this writer. */
  committedSeq: number
  /** Readable records above it (acknowledged, not yet committed) and their rows. */
  pendingRecords: number
  pendingRows: number
  /** Why the log cannot be replayed (its writer, and anyone adopting it, fails with this), if it cannot. */
  damage?: { file: string; message: string }
}

/** What `discardWal` removed. */
export interface DiscardResult {
  writerId: string
  segments: number
  /** Records above the table's watermark that were readable, and their rows: lost. */
  records: number
  rows: number
}

/** Writer ids with anything (segments or a lease) under the table's `wal/` folder. */
async function writerIds(table: IcebergTable): Promise<string[]> {
  const prefix = `${table.keyOf(table.location)}/wal/`
  const ids = new Set<string>()
  for (const o of await table.store.list(prefix)) {
    const slash = o.key.indexOf('/', prefix.length)
    if (slash > prefix.length) ids.add(o.key.slice(prefix.length, slash))
  }
  return [...ids].sort()
}

/** Every writer id's log under the table. */
export async function inspectWals(table: IcebergTable, lease: LeaseOptions = {}): Promise<WalInfo[]> {
  await table.refresh()
  const tableKey = table.keyOf(table.location)
  const column = requirePolicy(table).column
  const out: WalInfo[] = []
  for (const writerId of await writerIds(table)) {
    const objects = (await table.store.list(walPrefix(tableKey, writerId))).filter((o) => seqOfKey(o.key) !== undefined)
    const committedSeq = walWatermark(table.metadata, writerId)
    const holder = await WalLease.peek(table.store, tableKey, writerId, lease).catch(() => undefined)
    const info: WalInfo = {
      writerId, lease: holder ?? null, segments: objects.length, bytes: objects.reduce((n, o) => n + o.size, 0),
      committedSeq, pendingRecords: 0, pendingRows: 0,
    }
    try {
      const wal = await readWal(table.store, tableKey, writerId, column, committedSeq)
      info.pendingRecords = wal.records.length
      info.pendingRows = wal.records.reduce((n, r) => n + r.batch.rowCount, 0)
    } catch (err) {
      if (!isAilakeError(err, 'CORRUPT_DATA')) throw err
      const readable = await salvageable(table, objects.map((o) => o.key), column, committedSeq)
      info.pendingRecords = readable.records
      info.pendingRows = readable.rows
      info.damage = { file: typeof err.context.key === 'string' ? err.context.key : walPrefix(tableKey, writerId), message: err.message }
    }
    out.push(info)
  }
  return out
}

/** Records above `after` that decode, segment by segment, skipping what does not. */
async function salvageable(table: IcebergTable, keys: string[], column: string, after: number): Promise<{ records: number; rows: number }> {
  let records = 0
  let rows = 0
  for (const key of keys) {
    for (const r of readableRecords(await table.store.get(key), column)) {
      if (r.seq <= after) continue
      records++
      rows += r.batch.rowCount
    }
  }
  return { records, rows }
}

/**
 * Deletes the log of `writerId`: every segment, then its lease. Its rows not yet committed are
 * lost (counted in the result). Fails with `ALREADY_EXISTS` while a live writer holds the id.
 */
export async function discardWal(table: IcebergTable, writerId: string, lease: LeaseOptions = {}): Promise<DiscardResult> {
  await table.refresh()
  const tableKey = table.keyOf(table.location)
  if (!(await writerIds(table)).includes(writerId)) {
    throw new AilakeError('NOT_FOUND', `table ${table.name} has no write-ahead log of writer ${JSON.stringify(writerId)}`, { context: { writerId } })
  }
  const held = await WalLease.acquire(table.store, tableKey, writerId, lease)
  if (!(held instanceof WalLease)) {
    throw new AilakeError('ALREADY_EXISTS', `writer ${JSON.stringify(writerId)} of ${table.name} is live (process ${held.pid} on ${held.host || 'an unknown host'}, lease until ${held.expiresAt.toISOString()}); stop it before discarding its log`, { context: { writerId, holderPid: held.pid, holderHost: held.host } })
  }
  try {
    const keys = (await table.store.list(walPrefix(tableKey, writerId))).map((o) => o.key).filter((k) => seqOfKey(k) !== undefined)
    const lost = await salvageable(table, keys, requirePolicy(table).column, walWatermark(table.metadata, writerId))
    for (const key of keys) await table.store.delete(key)
    return { writerId, segments: keys.length, ...lost }
  } finally {
    await held.release().catch(() => undefined)
  }
}
