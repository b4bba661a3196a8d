/**
 * What every front end of the server shares: open table handles (reloaded at most once per
 * `refreshMs`, so reads see other writers' commits within that time), buffered writers, the
 * text embedders, the search gate, the keys, and a shutdown that waits for in-flight work and
 * flushes what writers buffer.
 */
import { AilakeError, createEmbedderByName, isAilakeError, type Embedder, type Lakehouse, type MemTableWriter, type Table } from '../index.js'
import { OptimizeRuns, type OpenTable } from './activity.js'
import { KeyStore } from './auth.js'
import { Gate } from './limits.js'
import { resolveLimits, type AppOptions, type ServeLimits } from './options.js'

interface Handle {
  table: Promise<Table>
  loadedAt: number
  refreshing?: Promise<void>
  writer?: MemTableWriter
}

export class ServerContext {
  readonly limits: ServeLimits
  readonly keys: KeyStore
  readonly searches: Gate
  readonly requireAuth: boolean
  readonly icebergPrefix: string
  readonly log: (line: string) => void
  /** Optimize runs started over HTTP, for `GET /v1/activity`. */
  readonly optimizes = new OptimizeRuns()
  private readonly refreshMs: number
  private readonly handles = new Map<string, Handle>()
  private readonly embedders = new Map<string, Promise<Embedder>>()
  private readonly given: Record<string, Embedder>
  private inFlight = 0
  private drained: (() => void) | undefined
  private closing = false

  constructor(readonly lake: Lakehouse, options: AppOptions = {}) {
    this.limits = resolveLimits(options.limits)
    this.keys = new KeyStore(lake.store)
    this.searches = new Gate(this.limits.maxConcurrentSearches, this.limits.searchQueue, 'searches')
    this.requireAuth = options.requireAuth === true
    this.icebergPrefix = options.icebergPrefix ?? 'ailake'
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(this.icebergPrefix)) throw new AilakeError('INVALID_ARGUMENT', `icebergPrefix ${JSON.stringify(this.icebergPrefix)} must be letters, digits, '_' or '-'`)
    this.refreshMs = options.refreshMs ?? 1000
    this.given = { ...options.embedders }
    this.log = options.log ?? ((line) => console.error(line))
  }

  get isClosing(): boolean {
    return this.closing
  }

  /** Runs one request's work, counted so shutdown can wait for it. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing) throw new AilakeError('CLOSED', 'the server is shutting down; retry on another instance or after it restarts')
    this.inFlight++
    try {
      return await work()
    } finally {
      if (--this.inFlight === 0) this.drained?.()
    }
  }

  /** The table `name`, reloaded when its handle is older than `refreshMs`; `NOT_FOUND` if it is gone. */
  async table(name: string): Promise<Table> {
    let h = this.handles.get(name)
    if (h === undefined) {
      h = { table: this.lake.openTable(name), loadedAt: Date.now() }
      this.handles.set(name, h)
      h.table.catch(() => this.handles.delete(name))
      return h.table
    }
    const table = await h.table
    if (Date.now() - h.loadedAt >= this.refreshMs) {
      const handle = h
      handle.refreshing ??= table.refresh().then(() => { handle.loadedAt = Date.now() }).finally(() => { handle.refreshing = undefined })
      try {
        await handle.refreshing
      } catch (err) {
        // Dropped or replaced by another process: forget the handle, report as missing.
        if (isAilakeError(err, 'NOT_FOUND') || isAilakeError(err, 'COMMIT_CONFLICT')) {
          await this.forget(name)
          throw new AilakeError('NOT_FOUND', `table ${name} does not exist (any more)`, { cause: err, context: { table: name } })
        }
        throw err
      }
    }
    return table
  }

  /** The handle's buffered (write-ahead-logged) writer, made on first use. */
  async writer(name: string): Promise<MemTableWriter> {
    const table = await this.table(name)
    const h = this.handles.get(name)
    if (h === undefined) throw new AilakeError('NOT_FOUND', `table ${name} was dropped`, { context: { table: name } })
    if (h.writer === undefined || h.writer.isClosed) h.writer = table.memTableWriter()
    return h.writer
  }

  /** The handles open now, with their buffered writers (what `GET /v1/activity` looks at). */
  openTables(): OpenTable[] {
    return [...this.handles].map(([name, h]) => ({ name, table: h.table, writer: h.writer }))
  }

  /** Marks the handle stale, so the next request reloads the table (after a catalog-level commit). */
  stale(name: string): void {
    const h = this.handles.get(name)
    if (h !== undefined) h.loadedAt = 0
  }

  /** Closes and forgets the handle (the table was dropped or renamed). */
  async forget(name: string): Promise<void> {
    const h = this.handles.get(name)
    if (h === undefined) return
    this.handles.delete(name)
    try {
      await (await h.table).close()
    } catch {
      // A handle on a dropped table cannot flush; its buffered rows had nowhere to go.
    }
  }

  /** The embedder called `name`: one given to the server, else built once from its name. */
  embedder(name: string): Promise<Embedder> {
    const given = this.given[name]
    if (given !== undefined) return Promise.resolve(given)
    let e = this.embedders.get(name)
    if (e === undefined) {
      e = createEmbedderByName(name)
      this.embedders.set(name, e)
      e.catch(() => this.embedders.delete(name))
    }
    return e
  }

  /**
   * Stops taking work, waits for requests in flight (up to `timeoutMs`), then closes every
   * handle, which flushes buffered writers, and the embedders it built.
   */
  async close(timeoutMs = 30_000): Promise<void> {
    this.closing = true
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs)
        this.drained = () => { clearTimeout(timer); resolve() }
      })
    }
    for (const name of [...this.handles.keys()]) {
      const h = this.handles.get(name)
      this.handles.delete(name)
      try {
        await (await h?.table)?.close()
      } catch (err) {
        this.log(`ailake serve: closing table ${name} failed: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
    for (const e of this.embedders.values()) await (await e.catch(() => undefined))?.close?.()
  }
}
