/** `ailake delete`, `update` and `upsert`, run in-process with `run()` against a fresh warehouse each. */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../src/cli/run.js'

interface Result { code: number; out: string; err: string }

function warehouse(t: TestContext): { dir: string; cli(args: string[]): Promise<Result> } {
  const dir = mkdtempSync(join(tmpdir(), 'ailake-cli-changes-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return {
    dir,
    async cli(args) {
      let out = ''
      let err = ''
      const code = await run(['--warehouse', join(dir, 'wh'), ...args], { out: (s) => { out += `${s}\n` }, err: (s) => { err += s }, tty: false, env: {} })
      return { code, out, err }
    },
  }
}

async function seeded(t: TestContext): Promise<ReturnType<typeof warehouse>> {
  const w = warehouse(t)
  assert.equal((await w.cli(['create', 'docs', '--dim', '3', '--metric', 'euclidean', '--columns', 'id:long,status:string'])).code, 0)
  const file = join(w.dir, 'rows.jsonl')
  writeFileSync(file, [1, 2, 3, 4].map((i) => JSON.stringify({ id: i, status: i % 2 ? 'odd' : 'even', embedding: [i, 0, 0] })).join('\n'))
  assert.equal((await w.cli(['insert', 'docs', file])).code, 0)
  return w
}

async function live(w: ReturnType<typeof warehouse>): Promise<Array<[number, string]>> {
  const r = await w.cli(['search', 'docs', '--vector', '[0,0,0]', '-k', '100', '--json'])
  assert.equal(r.code, 0, r.err)
  return (JSON.parse(r.out) as Array<{ id: string | number; status: string }>).map((x) => [Number(x.id), x.status] as [number, string]).sort((a, b) => a[0] - b[0])
}

test('delete prints the rows deleted and the snapshot; nothing matched commits nothing', async (t) => {
  const w = await seeded(t)
  const r = await w.cli(['delete', 'docs', '--where', "status = 'odd'"])
  assert.equal(r.code, 0, r.err)
  assert.match(r.out, /^deleted 2 row\(s\) of default\.docs; snapshot \d+/)
  assert.deepEqual(await live(w), [[2, 'even'], [4, 'even']])
  const none = await w.cli(['delete', 'docs', '--where', 'id = 99'])
  assert.match(none.out, /no row matched; nothing deleted and nothing committed/)
  const info = await w.cli(['info', 'docs'])
  assert.match(info.out, /rows\s+2 live, 2 deleted/)
})

test('update sets typed values (the vector too); upsert replaces by key and inserts the rest', async (t) => {
  const w = await seeded(t)
  const u = await w.cli(['update', 'docs', '--where', 'id = 2', '--set', 'status=two', '--set', 'embedding=[0, 0, 0]'])
  assert.equal(u.code, 0, u.err)
  assert.match(u.out, /^updated 1 row\(s\)/)
  const file = join(w.dir, 'up.jsonl')
  writeFileSync(file, [JSON.stringify({ id: 3, status: 'three', embedding: [3, 0, 0] }), JSON.stringify({ id: 7, status: 'new', embedding: [7, 0, 0] })].join('\n'))
  const up = await w.cli(['upsert', 'docs', file, '--on', 'id', '--json'])
  assert.equal(up.code, 0, up.err)
  const parsed = JSON.parse(up.out) as { updated: number; inserted: number }
  assert.deepEqual([parsed.updated, parsed.inserted], [1, 1])
  assert.deepEqual(await live(w), [[1, 'odd'], [2, 'two'], [3, 'three'], [4, 'even'], [7, 'new']])
  const nearest = JSON.parse((await w.cli(['search', 'docs', '--vector', '[0,0,0]', '-k', '1', '--json'])).out) as Array<{ id: string | number }>
  assert.equal(Number(nearest[0]?.id), 2, 'the updated vector is searched')
})

test('usage errors name the missing flag or the bad value (exit 2)', async (t) => {
  const w = await seeded(t)
  const noWhere = await w.cli(['delete', 'docs'])
  assert.equal(noWhere.code, 2)
  assert.match(noWhere.err, /--where is required/)
  const noSet = await w.cli(['update', 'docs', '--where', 'id = 1'])
  assert.equal(noSet.code, 2)
  assert.match(noSet.err, /--set column=value is required/)
  const badColumn = await w.cli(['update', 'docs', '--where', 'id = 1', '--set', 'colour=red'])
  assert.equal(badColumn.code, 2)
  assert.match(badColumn.err, /unknown column "colour"/)
  const noOn = await w.cli(['upsert', 'docs', join(w.dir, 'rows.jsonl')])
  assert.equal(noOn.code, 2)
  assert.match(noOn.err, /--on <column> is required/)
})

test('optimize reports what it did, then that there is nothing to do', async (t) => {
  const w = await seeded(t)
  await w.cli(['delete', 'docs', '--where', 'id = 1'])
  const r = await w.cli(['optimize', 'docs', '--target-rows', '2'])
  assert.equal(r.code, 0, r.err)
  assert.match(r.out, /^optimized default\.docs \(full: /)
  assert.match(r.out, /dropped 1 deleted rows/)
  const again = await w.cli(['optimize', 'docs', '--target-rows', '2', '--json'])
  assert.equal(again.code, 0, again.err)
  assert.equal((JSON.parse(again.out) as { mode: string }).mode, 'none')
  assert.deepEqual(await live(w), [[2, 'even'], [3, 'odd'], [4, 'even']])
})

test('scan prints live rows with --where/--select/--as-of, limits them, and names bad columns', async (t) => {
  const w = await seeded(t)
  const before = await w.cli(['history', 'docs', '--json'])
  const first = (JSON.parse(before.out) as Array<{ snapshotId: string }>).at(-1)?.snapshotId as string
  assert.equal((await w.cli(['delete', 'docs', '--where', 'id = 3'])).code, 0)
  const all = await w.cli(['scan', 'docs', '--json'])
  assert.equal(all.code, 0, all.err)
  assert.deepEqual((JSON.parse(all.out) as Array<{ id: string }>).map((r) => Number(r.id)).sort(), [1, 2, 4])
  const odd = await w.cli(['scan', 'docs', '--where', "status = 'odd'", '--select', 'id'])
  assert.equal(odd.code, 0, odd.err)
  assert.match(odd.out, /^id\s*\n/)
  assert.deepEqual(odd.out.trim().split('\n').slice(2).map((l) => Number(l.trim())), [1])
  const old = await w.cli(['scan', 'docs', '--as-of', first, '--json'])
  assert.equal((JSON.parse(old.out) as unknown[]).length, 4, 'the snapshot before the delete')
  const one = await w.cli(['scan', 'docs', '-n', '1'])
  assert.match(one.out, /first 1 rows; --limit N or --all for more/)
  const bad = await w.cli(['scan', 'docs', '--select', 'ID'])
  assert.notEqual(bad.code, 0)
  assert.match(bad.err, /unknown column "ID".*id/)
})
