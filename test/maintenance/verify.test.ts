// Recovery from damaged files: each test damages a real warehouse on disk (truncates, flips or
// deletes a file), checks that reads fail with an error naming the file, that verify() reports
// it with the rows at stake, and that quarantine() leaves a table whose remaining rows search
// correctly. The oracle for "remaining rows" is the rows written, minus those of the damaged file.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect, isAilakeError, type Lakehouse, type Table } from '../../src/index.js'
import type { IcebergTable } from '../../src/table/iceberg-table.js'
import { rng, tempDir } from '../helpers/tmpdir.js'

const DIM = 4
const vec = (i: number): number[] => [Math.cos(i), Math.sin(i), Math.cos(2 * i), 1]

/** Table default.docs with three appends (ids 0..9, 10..19, 20..29), each one data file. */
async function setup(dir: string): Promise<{ lake: Lakehouse; t: Table }> {
  const lake = await connect(dir)
  const t = await lake.createTable('docs', { vector: { dim: DIM, metric: 'euclidean' }, schema: { id: 'long', title: 'string' } })
  for (let f = 0; f < 3; f++) {
    await t.add(Array.from({ length: 10 }, (_, j) => ({ id: BigInt(f * 10 + j), title: `t${f * 10 + j}`, embedding: vec(f * 10 + j) })))
  }
  return { lake, t }
}

/** Data files by the lowest id they hold (from the manifest's bounds). */
async function filesByFirstId(t: Table): Promise<Map<number, string>> {
  const core = t.core as IcebergTable
  const out = new Map<number, string>()
  for (const lf of await core.planFiles()) {
    const lower = lf.dataFile.lowerBounds?.get(t.columns().find((c) => c.name === 'id')?.id ?? -1)
    assert.ok(lower !== undefined)
    out.set(Number(new DataView(lower.buffer, lower.byteOffset, 8).getBigInt64(0, true)), fileURLToPath(lf.dataFile.filePath))
  }
  return out
}

async function searchIds(t: Table): Promise<number[]> {
  const hits = await t.search(vec(0)).limit(100).toArray()
  return hits.map((h) => Number(h.id)).sort((a, b) => a - b)
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)

test('a truncated data file: CORRUPT_DATA naming it, verify lists it, quarantine keeps the rest searchable', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { lake, t } = await setup(dir)
    const damaged = (await filesByFirstId(t)).get(10) as string
    truncateSync(damaged, 200)
    const fresh = await connect(dir)
    const t2 = await fresh.openTable('docs')
    await assert.rejects(searchIds(t2), (e) => isAilakeError(e, 'CORRUPT_DATA') && e.message.includes(damaged.slice(dir.length + 1)) && /truncated/.test(e.message))
    const report = await t2.verify()
    assert.equal(report.problems.length, 1)
    const p = report.problems[0]
    assert.equal(p?.kind, 'data-file')
    assert.equal(p?.code, 'CORRUPT_DATA')
    assert.ok(p?.file.endsWith(damaged.slice(dir.length)))
    assert.equal(p?.rows, 10)
    assert.deepEqual(p?.bounds?.id, { min: 10n, max: 19n }, 'the rows lost are told by their id range')
    const q = await t2.quarantine()
    assert.equal(q.rowsLost, 10)
    assert.equal(q.removed.length, 1)
    assert.deepEqual(await searchIds(t2), [...range(0, 10), ...range(20, 30)])
    assert.equal((await t2.verify()).problems.length, 0)
    // The table takes writes again, and time travel before the quarantine still names the file.
    await t2.add([{ id: 30n, title: 't30', embedding: vec(30) }])
    assert.equal(await t2.countRows(), 21)
    await fresh.close()
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('a bit flip in a data file\'s index section and a deleted data file are found and quarantined', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { lake, t } = await setup(dir)
    const files = await filesByFirstId(t)
    const flipped = files.get(0) as string
    const bytes = readFileSync(flipped)
    const facts = (await (t.core as IcebergTable).planFiles()).find((f) => fileURLToPath(f.dataFile.filePath) === flipped)?.dataFile.ailake
    assert.ok(facts !== undefined)
    const at = facts.sectionOffset + Math.floor(facts.sectionLength / 2)
    bytes[at] = (bytes[at] as number) ^ 0x40
    writeFileSync(flipped, bytes)
    rmSync(files.get(20) as string)
    const fresh = await connect(dir)
    const t2 = await fresh.openTable('docs')
    await assert.rejects(searchIds(t2), (e) => isAilakeError(e) && (e.code === 'CORRUPT_DATA' || e.code === 'NOT_FOUND') && /data file/.test(e.message))
    const report = await t2.verify()
    assert.deepEqual(report.problems.map((p) => [p.code, p.rows]).sort(), [['CORRUPT_DATA', 10], ['NOT_FOUND', 10]])
    assert.equal((await t2.verify({ readData: false })).problems.length, 1, 'the quick check sees only the missing file')
    const q = await t2.quarantine()
    assert.equal(q.rowsLost, 20)
    assert.deepEqual(await searchIds(t2), range(10, 20))
    await fresh.close()
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('a damaged manifest is dropped with the files it lists; a damaged manifest list rolls back to the last readable snapshot', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { lake, t } = await setup(dir)
    const core = t.core as IcebergTable
    const snaps = core.snapshots()
    const lists = await Promise.all(snaps.map((s) => core.cache.snapshotManifests(s)))
    // The manifest the second append added (its 10 rows: ids 10..19).
    const second = lists[1]?.find((m) => m.addedSnapshotId === snaps[1]?.snapshotId)
    assert.ok(second !== undefined)
    truncateSync(fileURLToPath(second.manifestPath), 40)
    const fresh = await connect(dir)
    const t2 = await fresh.openTable('docs')
    await assert.rejects(searchIds(t2), (e) => isAilakeError(e, 'CORRUPT_DATA') && e.message.includes(`manifest ${second.manifestPath}`))
    const q = await t2.quarantine()
    assert.deepEqual(q.removed.map((p) => [p.kind, p.rows]), [['manifest', 10]])
    assert.deepEqual(await searchIds(t2), [...range(0, 10), ...range(20, 30)])

    // Now the current manifest list (the quarantine snapshot's): its parent's list reads.
    const current = (t2.core as IcebergTable).snapshots().at(-1)
    assert.ok(current !== undefined)
    writeFileSync(fileURLToPath(current.manifestList as string), 'not avro')
    const again = await connect(dir)
    const t3 = await again.openTable('docs')
    await assert.rejects(searchIds(t3), (e) => isAilakeError(e, 'CORRUPT_DATA') && e.message.includes(`manifest list ${current.manifestList}`))
    const r = await t3.quarantine()
    assert.equal(r.removed[0]?.kind, 'manifest-list')
    // The rollback lands on the third append, whose manifest list still lists the damaged manifest: dropped too.
    assert.deepEqual(r.removed.map((p) => p.kind), ['manifest-list', 'manifest'])
    assert.deepEqual(await searchIds(t3), [...range(0, 10), ...range(20, 30)])
    assert.equal((await t3.verify()).problems.length, 0)
    await again.close()
    await fresh.close()
    await lake.close()
  } finally {
    await cleanup()
  }
})

/** Every file a search of the table reads, by kind. */
function tableFiles(dir: string): { data: string[]; avro: string[] } {
  const data = readdirSync(join(dir, 'default/docs/data')).map((f) => join(dir, 'default/docs/data', f))
  const avro = readdirSync(join(dir, 'default/docs/metadata')).filter((f) => f.endsWith('.avro')).map((f) => join(dir, 'default/docs/metadata', f))
  return { data, avro }
}

test('random damage to any data file, manifest or manifest list: every CORRUPT_DATA names the file, and quarantine recovers (40 seeds)', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const base = join(dir, 'base')
    const { lake } = await setup(base)
    await lake.close()
    let detected = 0
    for (let seed = 1; seed <= 40; seed++) {
      const wh = join(dir, `s${seed}`)
      cpSync(base, wh, { recursive: true })
      const r = rng(seed)
      const { data, avro } = tableFiles(wh)
      const all = [...data, ...avro]
      const victim = all[Math.floor(r() * all.length)] as string
      const bytes = readFileSync(victim)
      const mode = Math.floor(r() * 3)
      if (mode === 0) truncateSync(victim, Math.floor(r() * bytes.length))
      else if (mode === 1) {
        const at = Math.floor(r() * bytes.length)
        bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(r() * 8))
        writeFileSync(victim, bytes)
      } else {
        const at = Math.floor(r() * bytes.length)
        bytes.fill(0, at, Math.min(bytes.length, at + 1 + Math.floor(r() * 64)))
        writeFileSync(victim, bytes)
      }
      const name = victim.slice(join(wh, 'default/docs').length + 1)
      const what = `seed ${seed}: ${['truncated', 'bit flip in', 'zeroed bytes of'][mode]} ${name}`
      const l = await connect(wh)
      try {
        const t = await l.openTable('docs')
        let failed: unknown
        try {
          await searchIds(t)
        } catch (err) {
          failed = err
        }
        if (failed !== undefined) {
          assert.ok(isAilakeError(failed), `${what}: search failed with a non-ailake error: ${String(failed)}`)
          if (failed.code === 'CORRUPT_DATA') assert.ok(failed.message.includes(name), `${what}: the error names the file: ${failed.message}`)
        }
        const report = await t.verify()
        for (const p of report.problems) if (p.code === 'CORRUPT_DATA') assert.ok(p.message.includes(name), `${what}: verify names the file: ${p.message}`)
        if (failed !== undefined) assert.ok(report.problems.length > 0, `${what}: search failed (${String(failed)}) but verify found nothing`)
        if (report.problems.length === 0) continue
        detected++
        await t.quarantine()
        const left = await searchIds(t)
        assert.ok(left.length < 30, what)
        assert.equal((await t.verify()).problems.length, 0, `${what}: clean after quarantine`)
      } finally {
        await l.close()
      }
    }
    assert.ok(detected >= 20, `most damage is detected (${detected} of 40)`)
  } finally {
    await cleanup()
  }
})
