// Child process for the first-writers race: opens a table created without columns, prints
// "ready", waits for a line on stdin (sent once every writer is ready), then adds two rows
// whose columns it lists in its own order.
// argv: <warehouse> <table> <worker id>
// Prints one JSON line: whether the table's schema was still pending when opened, and the snapshot.
import { connect } from '../../src/index.js'

const [dir, name, workerArg] = process.argv.slice(2)
const worker = Number(workerArg)
const lake = await connect(dir as string)
const table = await lake.openTable(name as string)
const pending = table.properties['ailake.schema.inferred'] === 'pending'
const go = new Promise((resolve) => process.stdin.once('data', resolve))
process.stdout.write('ready\n')
await go
process.stdin.destroy()
const rows = [0, 1].map((j) => {
  const id = BigInt(worker * 10 + j)
  const embedding = [worker, j]
  // Odd workers list the columns in another order: the schema inferred must not depend on it.
  return worker % 2 === 0 ? { id, text: `w${worker}r${j}`, embedding } : { embedding, text: `w${worker}r${j}`, id }
})
const snapshot = await table.add(rows)
process.stdout.write(JSON.stringify({ worker, pending, snapshot: String(snapshot) }) + '\n')
await lake.close()
