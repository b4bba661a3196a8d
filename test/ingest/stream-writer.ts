/**
 * Child process: opens `default.<table>` and streams `count` rows from `first` through a
 * MemTableWriter (the README's pattern), in batches of 5, then closes it.
 * argv: <warehouse dir> <table> <first id> <count> <writerId | auto> [hold ms]
 * Prints `open <writerId>` once recovered, `ack <ids>` per insert, `closed` at the end, or
 * `error <code> <message>` (exit 3) when opening fails. With `hold`, waits that long before
 * closing (so another process can try the same writer id meanwhile).
 */
import { connect, isAilakeError } from '../../src/index.js'

const [dir, name, first, count, id, hold] = process.argv.slice(2)
if (dir === undefined || name === undefined || first === undefined || count === undefined || id === undefined) throw new Error('usage: stream-writer <dir> <table> <first> <count> <writerId|auto> [hold ms]')
const table = await (await connect(dir)).openTable(`default.${name}`)
const writer = table.memTableWriter(id === 'auto' ? { deferIndex: false } : { writerId: id, deferIndex: false })
try {
  await writer.flushIfDue()
} catch (err) {
  process.stdout.write(`error ${isAilakeError(err) ? err.code : 'unknown'} ${(err as Error).message}\n`)
  process.exit(3)
}
process.stdout.write(`open ${writer.writerId}\n`)
const start = Number(first)
for (let i = 0; i < Number(count); i += 5) {
  const ids = Array.from({ length: Math.min(5, Number(count) - i) }, (_, j) => start + i + j)
  await writer.insert(ids.map((n) => ({ id: n, embedding: [n % 7, 1, -1] })))
  process.stdout.write(`ack ${ids.join(',')}\n`)
}
if (hold !== undefined) await new Promise((r) => setTimeout(r, Number(hold)))
await writer.close()
process.stdout.write('closed\n')
