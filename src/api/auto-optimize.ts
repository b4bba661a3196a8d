/**
 * Automatic optimize (opt-in, `connect(uri, { optimize: { auto: true } })`): after a commit
 * through a table handle, if the table holds enough rows outside its layout (streamed or
 * appended since the last optimize), an optimize starts in the background. One runs per handle
 * at a time; its index builds pause while this process ingests, like background index builds;
 * `table.maintenance()` reports it, and closing the handle stops it before its commit.
 */
import { optimizeTable, type OptimizeProgress, type OptimizeReport } from '../maintenance/optimize.js'
import type { IcebergTable } from '../table/iceberg-table.js'

export interface AutoOptimizeOptions {
  /** Run optimize in the background when enough rows are outside the layout. Default false. */
  auto?: boolean
  /** Rows per file the layout aims at (see `table.optimize()`). Default 50,000. */
  targetRowsPerFile?: number
  /** Rows outside the layout that trigger a run. Default: `targetRowsPerFile`. */
  minLooseRows?: number
}

/** What the background optimizer of a table handle is doing and has done. */
export interface MaintenanceStatus {
  optimizing: boolean
  progress?: OptimizeProgress
  lastReport?: OptimizeReport
  lastError?: Error
}

export class AutoOptimizer {
  readonly status: MaintenanceStatus = { optimizing: false }
  private running: Promise<void> | undefined
  private readonly controller = new AbortController()
  private checking = false

  /** `hold`: keeps the handle's index builds of the table back while a run rewrites its files (see IndexBuilder.hold). */
  constructor(private readonly table: IcebergTable, private readonly options: AutoOptimizeOptions, private readonly hold: () => (() => void) | undefined = () => undefined) {}

  /** Called after every commit through the handle: starts a run when one is due. */
  nudge(): void {
    if (this.running !== undefined || this.checking || this.controller.signal.aborted) return
    this.checking = true
    this.due().then((due) => {
      this.checking = false
      if (due && this.running === undefined && !this.controller.signal.aborted) this.start()
    }, (err: unknown) => {
      this.checking = false
      this.status.lastError = err as Error
    })
  }

  private async due(): Promise<boolean> {
    const target = this.options.targetRowsPerFile ?? 50_000
    const min = this.options.minLooseRows ?? target
    let loose = 0
    for (const f of await this.table.planFiles()) if (f.dataFile.ailake?.cluster === undefined) loose += f.dataFile.recordCount
    return loose >= min
  }

  private start(): void {
    this.status.optimizing = true
    const release = this.hold()
    this.running = optimizeTable(this.table, {
      targetRowsPerFile: this.options.targetRowsPerFile ?? 50_000,
      workers: 1,
      signal: this.controller.signal,
      onProgress: (p) => { this.status.progress = p },
    }).then((report) => {
      this.status.lastReport = report
      this.status.lastError = undefined
    }, (err: unknown) => {
      if (!this.controller.signal.aborted) this.status.lastError = err as Error
    }).finally(() => {
      release?.()
      this.status.optimizing = false
      delete this.status.progress
      this.running = undefined
    })
  }

  /** Stops a run in progress (before its commit) and waits for it to end. */
  async close(): Promise<void> {
    this.controller.abort()
    await this.running
  }
}
