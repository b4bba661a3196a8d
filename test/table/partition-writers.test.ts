// Partitioned tables written through every writer (add, MemTableWriter, update, upsert, delete,
// optimize), checked against independent readers: icebird reads the rows and decodes the
// manifests, DuckDB reads each live data file, and a hand-written reference of the spec's
// transforms says which partition every row belongs to (test/helpers/partition-check.ts).
import { test } from 'node:test'
import { checkPartitionedWriters } from '../helpers/partition-check.js'
import { SPECS } from '../helpers/partition-rows.js'

for (const si of [0, 1]) {
  const partitionBy = SPECS[si] as string[]
  test(`partitioned by ${partitionBy.join(', ')}: icebird and DuckDB read the rows ailake holds, every file in the partition of each of its rows`, async () => {
    await checkPartitionedWriters(partitionBy, 100 + si)
  })
}
