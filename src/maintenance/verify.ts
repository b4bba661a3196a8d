/**
 * Checking a table end to end, and taking damaged files out of it. `verifyTable` reads, from the
 * store and bypassing every cache, the current snapshot's manifest list, each of its manifests,
 * each live data file (size against the metadata, the ailake section's checksums, the index,
 * every vector and scalar value) and every write-ahead log, and reports what it could not read.
 * `quarantineTable` then commits a snapshot without the damaged files, so the rest of the table
 * stays searchable, and lists the rows that left with them.
 */
import { AilakeError, inFile, isAilakeError } from '../errors.js'
import { openDataFile, verifyDataFile } from '../format/data-file.js'
import { decodeBound } from '../format/iceberg/bounds.js'
import { decodeManifest } from '../format/iceberg/manifest.js'
import { decodeManifestList } from '../format/iceberg/manifest-list.js'
import { isPrimitiveType } from '../format/iceberg/schema-json.js'
import type { DataFile, ManifestFile, Snapshot, TableMetadata } from '../format/iceberg/types.js'
import { inspectWals, type WalInfo } from '../ingest/wal-inspect.js'
import { nextMetadataLog } from '../catalog/metadata-files.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import { nextTimestamp } from '../table/metadata-builder.js'
import { commitMetadataChange } from '../table/metadata-commit.js'
import { mapLimit } from '../util/limiter.js'
import { decodeGraph } from '../vector-index/hnsw-codec.js'
import { decodeCodesBlock } from '../vector/codes-block.js'

export interface VerifyOptions {
  /**
   * Read every data file whole (default). False only checks that each exists with the size the
   * metadata records (one HEAD per file), and reads the manifests.
   */
  readData?: boolean
  /** Read every write-ahead log too (default true). */
  wals?: boolean
}

/** One thing `verify` could not read. */
export interface VerifyProblem {
  kind: 'manifest-list' | 'manifest' | 'data-file' | 'wal'
  /** The file's location (a store key for WAL segments). */
  file: string
  /** `CORRUPT_DATA` (unreadable bytes) or `NOT_FOUND` (missing). */
  code: string
  message: string
  /** Rows that depend on the file, from the metadata (undefined for WAL segments). */
  rows?: number
  /** The writer whose log is damaged (`kind: 'wal'`). */
  writerId?: string
  /** Per column, the range of values in the damaged data file (from the manifest), to tell which rows they were. */
  bounds?: Record<string, { min: unknown; max: unknown }>
}

export interface VerifyReport {
  table: string
  snapshotId: bigint | null
  checked: { manifestLists: number; manifests: number; dataFiles: number; walWriters: number }
  problems: VerifyProblem[]
  /** Every writer id's write-ahead log (see `table.wals()`). */
  wals: WalInfo[]
}

export interface QuarantineResult {
  /** The snapshot committed without the damaged files, or null when nothing was removed. */
  snapshotId: bigint | null
  /** Files taken out of the table, with the rows they held. */
  removed: VerifyProblem[]
  rowsLost: number
  /** Problems quarantine cannot fix (damaged write-ahead logs: see `discardWal`). */
  unresolved: VerifyProblem[]
}

function problemOf(kind: VerifyProblem['kind'], file: string, err: unknown, rows?: number): VerifyProblem {
  const e = err instanceof AilakeError ? err : new AilakeError('CORRUPT_DATA', err instanceof Error ? err.message : String(err))
  const code = e.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'CORRUPT_DATA'
  const p: VerifyProblem = { kind, file, code, message: e.message }
  if (rows !== undefined) p.rows = rows
  return p
}

/** Reads `location` whole; missing is `NOT_FOUND` naming it. */
async function readWhole(table: IcebergTable, location: string, what: string): Promise<Uint8Array> {
  try {
    return await table.store.get(table.keyOf(location))
  } catch (err) {
    if (isAilakeError(err, 'NOT_FOUND')) throw new AilakeError('NOT_FOUND', `${what} ${location} is missing`, { cause: err })
    throw err
  }
}

/** Checks the table (see the module comment); never throws for damage it finds, only reports it. */
export async function verifyTable(table: IcebergTable, options: VerifyOptions = {}): Promise<VerifyReport> {
  await table.refresh()
  const meta = table.metadata
  const report: VerifyReport = { table: table.name, snapshotId: meta.currentSnapshotId, checked: { manifestLists: 0, manifests: 0, dataFiles: 0, walWriters: 0 }, problems: [], wals: [] }
  const snap = meta.snapshots.find((s) => s.snapshotId === meta.currentSnapshotId)
  if (snap !== undefined) await verifySnapshot(table, snap, options.readData !== false, report)
  report.wals = options.wals === false ? [] : await inspectWals(table)
  report.checked.walWriters = report.wals.length
  for (const w of report.wals) {
    if (w.damage !== undefined) report.problems.push({ kind: 'wal', file: w.damage.file, code: 'CORRUPT_DATA', message: w.damage.message, writerId: w.writerId })
  }
  return report
}

async function readManifestList(table: IcebergTable, snap: Snapshot): Promise<ManifestFile[]> {
  if (snap.manifestList === undefined) return table.cache.snapshotManifests(snap)
  try {
    return decodeManifestList(await readWhole(table, snap.manifestList, 'manifest list'))
  } catch (err) {
    throw inFile(err, snap.manifestList, 'manifest list')
  }
}

async function verifySnapshot(table: IcebergTable, snap: Snapshot, readData: boolean, report: VerifyReport): Promise<void> {
  report.checked.manifestLists++
  let manifests: ManifestFile[]
  try {
    manifests = await readManifestList(table, snap)
  } catch (err) {
    report.problems.push(problemOf('manifest-list', snap.manifestList ?? `snapshot ${snap.snapshotId}`, err, Number(snap.summary['total-records'] ?? 0)))
    return
  }
  const files: DataFile[] = []
  for (const m of manifests) {
    if (m.addedFilesCount + m.existingFilesCount === 0) continue
    report.checked.manifests++
    try {
      const entries = decodeManifest(await readWhole(table, m.manifestPath, 'manifest'), { snapshotId: m.addedSnapshotId, sequenceNumber: m.sequenceNumber, specId: m.partitionSpecId })
      for (const e of entries) if (e.status !== 'DELETED') files.push(e.dataFile)
    } catch (err) {
      report.problems.push(problemOf('manifest', m.manifestPath, inFile(err, m.manifestPath, 'manifest'), m.addedRowsCount + m.existingRowsCount))
    }
  }
  report.checked.dataFiles += files.length
  const found = await mapLimit(files, 4, async (f) => {
    try {
      await checkDataFile(table, f, readData)
      return undefined
    } catch (err) {
      const p = problemOf('data-file', f.filePath, inFile(err, f.filePath, 'data file'), f.recordCount)
      p.bounds = boundsOf(table.metadata, f)
      return p
    }
  })
  for (const p of found) if (p !== undefined) report.problems.push(p)
}

async function checkDataFile(table: IcebergTable, f: DataFile, readData: boolean): Promise<void> {
  const key = table.keyOf(f.filePath)
  const info = await table.store.head(key)
  if (info === undefined) throw new AilakeError('NOT_FOUND', `data file ${f.filePath} is missing`)
  if (info.size !== f.fileSizeInBytes) {
    throw new AilakeError('CORRUPT_DATA', `data file ${f.filePath} has ${info.size} bytes but the table metadata records ${f.fileSizeInBytes}: it is truncated or damaged`)
  }
  if (!readData) return
  const source = { size: info.size, read: (offset: number, length: number) => table.store.getRange(key, offset, length) }
  const policy = table.policy
  if (f.ailake !== undefined) {
    await verifyDataFile(source, {
      indexNodeCount: (bytes) => decodeGraph(bytes).count,
      checkCodes: (bytes, facts) => { decodeCodesBlock(bytes, facts.dim, facts.rowCount, facts.metric === 'euclidean') },
    })
  }
  const reader = await openDataFile(source, policy === undefined ? {} : { vector: { column: policy.column, dim: policy.dim, metric: policy.metric } })
  if (reader.rowCount !== f.recordCount) {
    throw new AilakeError('CORRUPT_DATA', `data file ${f.filePath} holds ${reader.rowCount} rows but the table metadata records ${f.recordCount}`)
  }
  if (f.ailake === undefined && policy !== undefined) await reader.readVectors()
  await reader.readRows({ columns: reader.schema.fields.filter((x) => x.name !== policy?.column).map((x) => x.name) })
}

/** The file's value range per primitive column, from the manifest's bounds. */
function boundsOf(meta: TableMetadata, f: DataFile): Record<string, { min: unknown; max: unknown }> | undefined {
  const schema = meta.schemas.find((s) => s.schemaId === meta.currentSchemaId)
  if (schema === undefined || f.lowerBounds === undefined || f.upperBounds === undefined) return undefined
  const out: Record<string, { min: unknown; max: unknown }> = {}
  for (const field of schema.fields) {
    const lo = f.lowerBounds.get(field.id)
    const hi = f.upperBounds.get(field.id)
    if (lo === undefined || hi === undefined || typeof field.type !== 'string' || !isPrimitiveType(field.type)) continue
    try {
      out[field.name] = { min: decodeBound(field.type, lo), max: decodeBound(field.type, hi) }
    } catch {
      // A bound that does not decode tells nothing about the rows.
    }
  }
  return Object.keys(out).length === 0 ? undefined : out
}

/**
 * Verifies the table and commits a snapshot without the damaged files and manifests; when the
 * current manifest list itself is unreadable, rolls the table back to its newest ancestor whose
 * list reads, first. Damaged write-ahead logs are left (discard them with `discardWal`).
 */
export async function quarantineTable(table: IcebergTable): Promise<QuarantineResult> {
  const result: QuarantineResult = { snapshotId: null, removed: [], rowsLost: 0, unresolved: [] }
  let report = await verifyTable(table)
  const list = report.problems.find((p) => p.kind === 'manifest-list')
  if (list !== undefined) {
    const lost = await rollBack(table)
    if (lost === undefined) {
      result.unresolved.push(list)
      return result
    }
    result.removed.push({ ...list, rows: lost.rows })
    result.rowsLost += lost.rows
    result.snapshotId = lost.snapshotId
    report = await verifyTable(table)
  }
  const files = report.problems.filter((p) => p.kind === 'data-file')
  const manifests = report.problems.filter((p) => p.kind === 'manifest')
  result.unresolved.push(...report.problems.filter((p) => p.kind === 'wal' || p.kind === 'manifest-list'))
  if (files.length + manifests.length === 0) return result
  const rows = [...files, ...manifests].reduce((n, p) => n + (p.rows ?? 0), 0)
  result.snapshotId = await table.commit({
    kind: 'rewrite', removed: files.map((p) => p.file), added: [], droppedManifests: manifests.map((p) => p.file),
    summary: { 'ailake.quarantined-files': String(files.length + manifests.length), 'ailake.quarantined-rows': String(rows) },
  })
  result.removed.push(...files, ...manifests)
  result.rowsLost += rows
  return result
}

/** Makes the newest ancestor whose manifest list reads current (Iceberg's rollback); what it lost. */
async function rollBack(table: IcebergTable): Promise<{ snapshotId: bigint; rows: number } | undefined> {
  const done = await commitMetadataChange(table, 'quarantine', async (base) => {
    const meta = base.metadata
    const byId = new Map(meta.snapshots.map((s) => [s.snapshotId, s]))
    const current = meta.currentSnapshotId === null ? undefined : byId.get(meta.currentSnapshotId)
    if (current === undefined) return undefined
    for (let s = byId.get(current.parentSnapshotId ?? -1n); s !== undefined; s = byId.get(s.parentSnapshotId ?? -1n)) {
      try {
        await readManifestList(table, s)
      } catch {
        continue
      }
      const t = nextTimestamp(meta)
      const next: TableMetadata = {
        ...meta,
        lastUpdatedMs: t,
        currentSnapshotId: s.snapshotId,
        refs: { ...meta.refs, main: { snapshotId: s.snapshotId, type: 'branch' } },
        snapshotLog: [...meta.snapshotLog, { timestampMs: t, snapshotId: s.snapshotId }],
        metadataLog: nextMetadataLog(meta, base.metadataLocation),
      }
      const rows = Number(current.summary['total-records'] ?? 0) - Number(s.summary['total-records'] ?? 0)
      return { next, value: { snapshotId: s.snapshotId, rows: Math.max(0, rows) } }
    }
    return undefined
  })
  return done?.value
}
