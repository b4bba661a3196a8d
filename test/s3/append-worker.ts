// Child process of the S3 concurrency test: appends `commits` two-row batches to one table.
// argv: <s3 uri> <table> <worker id> <commits>; S3 client settings come from AILAKE_S3_* env.
// Prints one line per acknowledged commit: "<batch id> <snapshot id>".
import { connect } from '../../src/index.js'
import { s3Client } from './helpers.js'

const [uri, name, workerArg, commitsArg] = process.argv.slice(2)
const worker = Number(workerArg)
const commits = Number(commitsArg)
// Eight writers on one table lose many races; a generous attempt budget keeps every append alive.
const lake = await connect(uri as string, { s3: s3Client(), retry: { maxAttempts: 400, baseDelayMs: 10, maxDelayMs: 500 } })
const table = await lake.openTable(name as string)
for (let i = 0; i < commits; i++) {
  const id = worker * 1000 + i
  const rows = [0, 1].map((j) => ({ id: id * 2 + j, embedding: [worker, i, j] }))
  const snap = await table.add(rows)
  process.stdout.write(`${id} ${snap}\n`)
}
await lake.close()
