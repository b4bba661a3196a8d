/**
 * `ailake insert`: read and check the whole file, embed text if asked, then stream the rows
 * through the table's MemTableWriter (write-ahead logged, committed on close).
 */
import { AilakeError, assertSameEmbedder, type Table } from '../index.js'
import { intOption, type Command, type Io, type Values } from './command.js'
import { count, duration } from './format.js'
import { detectFormat, prepareRows, readRecords, type Row } from './input.js'
import { recordedEmbedder, schemaPending } from './table-api.js'
import { embedderNamed, openTable } from './words.js'

export const insertCommand: Command = {
  positionals: ['table', 'file'],
  options: { format: { type: 'string' }, embed: { type: 'string' }, 'batch-size': { type: 'string' }, 'flush-rows': { type: 'string' } },
  async run(lake, [name, file], values, io) {
    const table = await openTable(lake, name as string)
    try {
      await insertInto(table, file as string, values, io)
    } finally {
      await table.close()
    }
  },
}

async function insertInto(table: Table, path: string, values: Values, io: Io): Promise<void> {
  const format = detectFormat(path, values.format as string | undefined)
  const batchSize = intOption(values, 'batch-size', 1000)
  const flushRows = intOption(values, 'flush-rows', 100_000)
  const embedColumn = values.embed as string | undefined
  const started = performance.now()

  // Resolve the embedder before reading anything large, so a mismatch fails fast.
  const recorded = recordedEmbedder(table)
  if (embedColumn !== undefined && recorded === undefined) {
    throw new AilakeError('INVALID_ARGUMENT', `table ${table.name} records no embedder, so --embed cannot know which model to use; create the table with --embedder use-lite (or openai:<model>)`)
  }
  const records = await readRecords(path, format)
  const policy = table.vector
  const rows = prepareRows(records, {
    schema: table.schema, schemaPending: schemaPending(table), vectorColumn: policy.column, dim: policy.dim,
    csv: format === 'csv', source: path, ...(embedColumn !== undefined && { embedColumn }),
  })
  if (embedColumn !== undefined && recorded !== undefined) await embedRows(rows, embedColumn, policy.column, recorded, table, io)

  const progress = new Progress(io, 'inserted', rows.length)
  // A writer id of its own per run: two concurrent inserts never share (and replay) one WAL.
  const writer = table.memTableWriter({ flushMaxRows: flushRows, writerId: `cli-${process.pid}-${Math.random().toString(36).slice(2, 8)}` })
  try {
    for (let i = 0; i < rows.length; i += batchSize) {
      await writer.insert(rows.slice(i, i + batchSize))
      progress.update(Math.min(i + batchSize, rows.length))
    }
    progress.done()
    await writer.flush()
    // Files are committed before their HNSW index is built (in worker threads); wait, so the
    // command leaves indexed files rather than builds abandoned at exit.
    if (io.tty) io.err('building the vector index…')
    const t = performance.now()
    await writer.waitForIndexes()
    if (io.tty) io.err(` ${duration(performance.now() - t)}\n`)
  } finally {
    await writer.close()
  }
  progress.done()
  await table.refresh()
  const total = await table.countRows()
  io.out(`inserted ${count(rows.length)} rows into ${table.name} in ${duration(performance.now() - started)}; snapshot ${String(table.currentSnapshotId)}; ${count(total)} rows in total`)
}

async function embedRows(rows: Row[], textColumn: string, vectorColumn: string, recorded: { name: string; dim: number }, table: Table, io: Io): Promise<void> {
  const embedder = await embedderNamed(recorded.name)
  try {
    assertSameEmbedder(recorded, embedder, `table ${table.name}`)
    const progress = new Progress(io, 'embedded', rows.length)
    const step = 64
    for (let i = 0; i < rows.length; i += step) {
      const chunk = rows.slice(i, i + step)
      const vectors = await embedder.embed(chunk.map((r) => r[textColumn] as string))
      chunk.forEach((r, j) => { r[vectorColumn] = vectors[j] })
      progress.update(i + chunk.length)
    }
    progress.done()
  } finally {
    await embedder.close?.()
  }
}

/** A `\r`-updated progress line on a terminal's stderr; silent when stderr is not a TTY. */
export class Progress {
  private readonly started = performance.now()
  private last = 0
  private shown = false

  constructor(private readonly io: Io, private readonly verb: string, private readonly total: number) {}

  update(done: number): void {
    if (!this.io.tty) return
    const now = performance.now()
    if (done < this.total && now - this.last < 100) return
    this.last = now
    const secs = (now - this.started) / 1000
    const rate = secs > 0 ? Math.round(done / secs) : 0
    const pct = this.total === 0 ? 100 : Math.floor((done / this.total) * 100)
    const width = 24
    const filled = Math.round((pct / 100) * width)
    this.io.err(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${this.verb} ${count(done)}/${count(this.total)} rows, ${count(rate)} rows/s   `)
    this.shown = true
  }

  done(): void {
    if (this.shown) this.io.err('\n')
    this.shown = false
  }
}
