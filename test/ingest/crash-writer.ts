/**
 * Child process for the crash test: streams small inserts through a MemTableWriter with tiny
 * flush thresholds and prints `ack <ids>` after each insert resolves, until it is killed.
 * argv: <warehouse dir> <first id>
 */
import { connect } from '../../src/index.js'
import { MemTableWriter } from '../../src/ingest/index.js'
import { LocalStore } from '../../src/store/local-store.js'

const [dir, first] = process.argv.slice(2)
if (dir === undefined || first === undefined) throw new Error('usage: crash-writer <dir> <first id>')
// Slow WAL deletes widen the window between a flush's commit and the removal of its segments,
// so kills often land exactly there (the case that would replay committed rows twice).
const local = new LocalStore({ root: dir })
const store = new Proxy(local, {
  get(target, prop, receiver) {
    if (prop === 'delete') {
      return async (key: string) => {
        if (key.endsWith('.wal')) await new Promise((r) => setTimeout(r, 60))
        return target.delete(key)
      }
    }
    const v = Reflect.get(target, prop, receiver) as unknown
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
  },
})
const lake = await connect(dir, { store })
const table = await lake.openTable('default.crash')
const writer = await MemTableWriter.open(table.core, { writerId: 'crash', flushMaxRows: 9, flushIntervalMs: 60_000 })
process.stdout.write(`ready ${writer.bufferedRows}\n`)
let id = Number(first)
for (let batch = 0; ; batch++) {
  const n = 1 + (batch % 4)
  const ids = Array.from({ length: n }, () => id++)
  await writer.insert(ids.map((i) => ({ id: i, text: `row ${i}`, embedding: [i % 7, (i * 3) % 11, 1, -1] })))
  process.stdout.write(`ack ${ids.join(',')}\n`)
}
