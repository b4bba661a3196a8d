// Child process for the concurrent-upsert test: `rounds` times, upserts keys 0..keys-1 with
// value `<worker>:<round>` through table.upsert (or a streaming writer with upsertOn, "stream").
// argv: <warehouse> <table> <worker id> <rounds> <keys> <api|stream>
import { connect } from '../../src/index.js'

const [dir, name, workerArg, roundsArg, keysArg, mode] = process.argv.slice(2)
const worker = Number(workerArg)
const lake = await connect(dir as string)
const table = await lake.openTable(name as string)
const writer = mode === 'stream' ? table.memTableWriter({ upsertOn: 'k', deferIndex: false, flushMaxRows: 1_000_000 }) : undefined
for (let round = 0; round < Number(roundsArg); round++) {
  const rows = Array.from({ length: Number(keysArg) }, (_, k) => ({ k: BigInt(k), who: `${worker}:${round}`, embedding: [k, worker, round] }))
  if (writer === undefined) await table.upsert(rows, { on: 'k' })
  else {
    await writer.insert(rows)
    await writer.flush()
  }
  process.stdout.write(`round ${round}\n`)
}
await writer?.close()
await lake.close()
