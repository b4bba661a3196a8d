// Child process for the schema-evolution race: appends `commits` batches to a table whose schema
// another process changes meanwhile. Each batch names the note column as this handle's schema
// does (`note`, or `memo` once the handle has seen the rename), so some files are laid out for a
// schema that is no longer current when they land.
// argv: <warehouse> <table> <worker id> <commits>
import { connect } from '../../src/index.js'

const [dir, name, workerArg, commitsArg] = process.argv.slice(2)
const worker = Number(workerArg)
const commits = Number(commitsArg)
const lake = await connect(dir as string)
const table = await lake.openTable(name as string)
for (let i = 0; i < commits; i++) {
  const id = worker * 1_000 + i
  const noteColumn = table.schema.fields.some((f) => f.name === 'memo') ? 'memo' : 'note'
  const rows = [0, 1].map((j) => ({ id: BigInt(id * 2 + j), v: id * 2 + j, [noteColumn]: `n${id * 2 + j}`, embedding: [worker, i, j] }))
  const snap = await table.add(rows)
  process.stdout.write(`${id} ${snap} ${table.schema.schemaId}\n`)
}
await lake.close()
