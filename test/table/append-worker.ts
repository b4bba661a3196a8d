// Child process for the concurrency tests: appends `commits` small batches to one table.
// argv: <warehouse> <table> <worker id> <commits> [loop]  ("loop" keeps appending until killed)
import { connect } from '../../src/index.js'

const [dir, name, workerArg, commitsArg, mode] = process.argv.slice(2)
const worker = Number(workerArg)
const commits = Number(commitsArg)
const lake = await connect(dir as string)
const table = await lake.openTable(name as string)
for (let i = 0; mode === 'loop' || i < commits; i++) {
  const id = worker * 100_000 + i
  const rows = [0, 1].map((j) => ({ id: id * 2 + j, embedding: [worker, i, j] }))
  const snap = await table.add(rows)
  // One line per acknowledged commit, so the parent knows what must have landed.
  process.stdout.write(`${id} ${snap}\n`)
}
