/**
 * Automatic optimize (opt-in, `connect(uri, { optimize: { auto: true } })`): after a commit
 * through a table handle, if the table holds enough rows outside its layout (streamed or
 * appended since the last optimize), an optimize starts in the background. One runs per handle
 * at a time; its index builds pause while this process ingests, like background index builds;
 * `table.maintenance()` reports it, and closing the handle stops it before its commit.
 *
 * A run waits for the handle's writers to go quiet (no insert for `quietMs`): optimize reads,
 * clusters and rewrites the loose rows, and on a small machine doing that mid-stream takes the
 * cores the stream is using (measured: streaming ingest at 0.3-0.4x LanceDB's `add` with runs
 * starting mid-stream). A stream that never pauses still gets its runs once the loose rows
 * reach `maxLooseRows`, so the layout's debt stays bounded.
 */
import { invalid } from '../errors.js'
import { optimizeTable, type OptimizeProgress, type OptimizeReport } from '../maintenance/optimize.js'
import type { IcebergTable } from '../table/iceberg-table.js'

export interface AutoOptimizeOptions {
  /** Run optimize in the background when enough rows are outside the layout. Default false. */
  auto?: boolean
  /** Rows per file the layout aims at (see `table.optimize()`). Default 50,000. */
  targetRowsPerFile?: number
  /** Rows outside the layout that trigger a run. Default: `targetRowsPerFile`. */
  minLooseRows?: number
  /** A due run waits until the handle's writers have inserted nothing for this long. Default 2,000 ms. */
  quietMs?: number
  /** Loose rows at which a run starts even while writers are busy. Default: 8 x `minLooseRows`. */
  maxLooseRows?: number
}

/** Checks `connect({ optimize })`: counts are positive integers, `quietMs` a non-negative one. */
export function checkAutoOptimizeOptions(o: AutoOptimizeOptions): void {
  if (o.auto !== undefined && typeof o.auto !== 'boolean') throw invalid(`connect(): optimize.auto must be true or false, got ${JSON.stringify(o.auto)}`)
  for (const key of ['targetRowsPerFile', 'minLooseRows', 'maxLooseRows', 'quietMs'] as const) {
    const v = o[key]
    const min = key === 'quietMs' ? 0 : 1
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= min)) throw invalid(`connect(): optimize.${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`, { [key]: v })
  }
}

/** Whether the handle's writers are ingesting: an insert within `quietMs`, or a flush in flight. */
export type IngestProbe = (quietMs: number) => boolean

/** What the background optimizer of a table handle is doing and has done. */
export interface MaintenanceStatus {
  optimizing: boolean
  /** A run is due and waits for this handle's writers to go quiet (see `quietMs`). */
  waitingForQuiet?: boolean
  progress?: OptimizeProgress
  lastReport?: OptimizeReport
  lastError?: Error
}

export class AutoOptimizer {
  readonly status: MaintenanceStatus = { optimizing: false }
  private running: Promise<void> | undefined
  private readonly controller = new AbortController()
  private checking = false
  private retry: ReturnType<typeof setTimeout> | undefined

  /**
   * `hold`: keeps the handle's index builds of the table back while a run rewrites its files (see
   * IndexBuilder.hold). `busy`: whether the handle's writers are ingesting.
   */
  constructor(
    private readonly table: IcebergTable,
    private readonly options: AutoOptimizeOptions,
    private readonly hold: () => (() => void) | undefined = () => undefined,
    private readonly busy: IngestProbe = () => false,
  ) {}

  /** Called after every commit through the handle: starts a run when one is due. */
  nudge(): void {
    if (this.running !== undefined || this.checking || this.controller.signal.aborted) return
    this.checking = true
    this.due().then((due) => {
      this.checking = false
      if (this.running !== undefined || this.controller.signal.aborted) return
      if (due === 'now') this.start()
      else if (due === 'when-quiet') this.recheckLater()
      else delete this.status.waitingForQuiet
    }, (err: unknown) => {
      this.checking = false
      this.status.lastError = err as Error
    })
  }

  private async due(): Promise<'now' | 'when-quiet' | 'no'> {
    const target = this.options.targetRowsPerFile ?? 50_000
    const min = this.options.minLooseRows ?? target
    const max = this.options.maxLooseRows ?? 8 * min
    let loose = 0
    for (const f of await this.table.planFiles()) if (f.dataFile.ailake?.cluster === undefined) loose += f.dataFile.recordCount
    if (loose < min) return 'no'
    return loose >= max || !this.busy(this.quietMs) ? 'now' : 'when-quiet'
  }

  private get quietMs(): number {
    return this.options.quietMs ?? 2_000
  }

  /** Looks again once the writers may have gone quiet (an unref'd timer: it keeps no process alive). */
  private recheckLater(): void {
    this.status.waitingForQuiet = true
    if (this.retry !== undefined) return
    this.retry = setTimeout(() => {
      this.retry = undefined
      this.nudge()
    }, this.quietMs)
    const t = this.retry as { unref?: () => void }
    t.unref?.()
  }

  private start(): void {
    delete this.status.waitingForQuiet
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
    clearTimeout(this.retry)
    this.retry = undefined
    await this.running
  }
}
