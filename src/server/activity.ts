/**
 * What the server is doing now, for `GET /v1/activity` (the console's Activity page): rows its
 * buffered writers hold, index builds still pending, optimize runs started over HTTP (running,
 * with their progress, and the last few finished) and each open handle's auto-optimize. Kept in
 * memory: it describes this process, not the warehouse.
 */
import type { MaintenanceStatus, MemTableWriter, OptimizeProgress, OptimizeReport, Table } from '../index.js'
import { allows, type Principal } from './auth.js'

/** Finished optimize runs remembered (oldest dropped first). */
const FINISHED_KEPT = 20

export interface OptimizeRun {
  id: number
  table: string
  startedAt: string
  endedAt?: string
  progress?: OptimizeProgress
  report?: OptimizeReport
  error?: string
}

export interface OpenTable {
  name: string
  table: Promise<Table>
  writer: MemTableWriter | undefined
}

export class OptimizeRuns {
  private nextId = 1
  private readonly running = new Map<number, OptimizeRun>()
  private readonly finished: OptimizeRun[] = []

  /** Runs `work` (an optimize of `table`) recorded: it gets the progress callback to pass on. */
  async record(table: string, work: (onProgress: (p: OptimizeProgress) => void) => Promise<OptimizeReport>): Promise<OptimizeReport> {
    const run: OptimizeRun = { id: this.nextId++, table, startedAt: new Date().toISOString() }
    this.running.set(run.id, run)
    try {
      run.report = await work((p) => { run.progress = { ...p } })
      return run.report
    } catch (err) {
      run.error = err instanceof Error ? err.message : String(err)
      throw err
    } finally {
      run.endedAt = new Date().toISOString()
      this.running.delete(run.id)
      this.finished.unshift(run)
      this.finished.length = Math.min(this.finished.length, FINISHED_KEPT)
    }
  }

  /** Running runs first (oldest first), then finished ones (newest first). */
  list(): OptimizeRun[] {
    return [...this.running.values(), ...this.finished].map((r) => ({ ...r }))
  }
}

export interface TableActivity {
  table: string
  /** Rows acknowledged by buffered writes and not yet committed (0 without a writer). */
  bufferedRows: number
  bufferedBytes: number
  flushing: boolean
  /** When the writer last committed a flush (or started), ISO 8601; null without a writer. */
  lastFlush: string | null
  lastFlushError: string | null
  /** Live files whose index is still to be built. */
  pendingIndexBuilds: number
  autoOptimize: { optimizing: boolean; waitingForQuiet?: boolean; progress?: OptimizeProgress; lastReport?: OptimizeReport; lastError?: string }
}

function autoOptimize(s: MaintenanceStatus): TableActivity['autoOptimize'] {
  return {
    optimizing: s.optimizing,
    ...(s.waitingForQuiet === true && { waitingForQuiet: true }),
    ...(s.progress !== undefined && { progress: s.progress }),
    ...(s.lastReport !== undefined && { lastReport: s.lastReport }),
    ...(s.lastError !== undefined && { lastError: s.lastError.message }),
  }
}

/** The activity `who` may see: tables it may read among those open, and their optimize runs. */
export async function activityFor(who: Principal, open: readonly OpenTable[], runs: OptimizeRuns): Promise<{ tables: TableActivity[]; optimizes: OptimizeRun[] }> {
  const readable = (name: string): boolean => allows(who, 'read', name.split('.'))
  const tables: TableActivity[] = []
  for (const h of open.filter((o) => readable(o.name))) {
    let table: Table
    let pending: number
    try {
      table = await h.table
      pending = (await table.files()).filter((f) => f.indexStatus === 'pending').length
    } catch {
      continue // failed to open or dropped meanwhile: nothing runs on it
    }
    const w = h.writer !== undefined && !h.writer.isClosed ? h.writer : undefined
    tables.push({
      table: h.name,
      bufferedRows: w?.bufferedRows ?? 0,
      bufferedBytes: w?.bufferedBytes ?? 0,
      flushing: w?.isFlushing ?? false,
      lastFlush: w === undefined ? null : new Date(w.lastFlushAt).toISOString(),
      lastFlushError: w?.lastFlushError?.message ?? null,
      pendingIndexBuilds: pending,
      autoOptimize: autoOptimize(table.maintenance()),
    })
  }
  return { tables: tables.sort((a, b) => a.table.localeCompare(b.table)), optimizes: runs.list().filter((r) => readable(r.table)) }
}
