/** `ailake alter`, run in-process with `run()`: every flag, the JSON form, usage errors, time travel by the old name. */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../src/cli/run.js'

interface Result { code: number; out: string; err: string }

async function warehouse(t: TestContext): Promise<(args: string[]) => Promise<Result>> {
  const dir = mkdtempSync(join(tmpdir(), 'ailake-cli-alter-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const cli = async (args: string[]): Promise<Result> => {
    let out = ''
    let err = ''
    const code = await run(['--warehouse', join(dir, 'wh'), ...args], { out: (s) => { out += `${s}\n` }, err: (s) => { err += s }, tty: false, env: {} })
    return { code, out, err }
  }
  assert.equal((await cli(['create', 'docs', '--dim', '3', '--metric', 'euclidean', '--columns', 'id:long,title:string,views:int,draft:boolean'])).code, 0)
  const file = join(dir, 'rows.jsonl')
  writeFileSync(file, [1, 2, 3].map((i) => JSON.stringify({ id: i, title: `t${i}`, views: i * 10, draft: i === 2, embedding: [i, 0, 0] })).join('\n'))
  assert.equal((await cli(['insert', 'docs', file])).code, 0)
  return cli
}

test('alter applies every kind of change in one commit; search reads old rows by the new names', async (t) => {
  const cli = await warehouse(t)
  const before = JSON.parse((await cli(['history', 'docs', '--json'])).out) as Array<{ snapshotId: string }>
  const r = await cli(['alter', 'docs', '--add', 'category:string', '--rename', 'title=headline', '--drop', 'draft', '--widen', 'views:long', '--optional', 'id', '--order', 'headline,id', '--json'])
  assert.equal(r.code, 0, r.err)
  const res = JSON.parse(r.out) as { schemaId: number; changed: boolean; columns: Array<{ id: number; name: string; type: unknown; required: boolean }> }
  assert.equal(res.changed, true)
  assert.deepEqual(res.columns.map((c) => [c.name, c.type]), [['headline', 'string'], ['id', 'long'], ['views', 'long'], ['embedding', { type: 'list', elementId: 6, element: 'float', elementRequired: true }], ['category', 'string']])
  const rows = JSON.parse((await cli(['search', 'docs', '--vector', '[0,0,0]', '-k', '10', '--json'])).out) as Array<Record<string, unknown>>
  assert.deepEqual(rows.map((x) => [Number(x.id), x.headline, Number(x.views), x.category]).sort(), [[1, 't1', 10, null], [2, 't2', 20, null], [3, 't3', 30, null]])
  // The snapshot from before the change reads with its own columns.
  const old = await cli(['search', 'docs', '--vector', '[0,0,0]', '--as-of', before[0]?.snapshotId as string, '--where', "title = 't2'", '--select', 'id,title,draft', '--json'])
  assert.equal(old.code, 0, old.err)
  assert.deepEqual((JSON.parse(old.out) as Array<Record<string, unknown>>).map((x) => [Number(x.id), x.title, x.draft]), [[2, 't2', true]])
  // Plain output; a change that changes nothing commits nothing.
  const again = await cli(['alter', 'docs', '--order', 'headline'])
  assert.equal(again.code, 0, again.err)
  assert.match(again.out, /nothing to change/)
  const next = await cli(['alter', 'docs', '--add', 'a:int,b:double'])
  assert.match(next.out, /schema \d+ is current \(was \d+\)\n.*headline/)
})

test('alter: usage errors and refused changes exit with the right code and a clear message', async (t) => {
  const cli = await warehouse(t)
  const cases: Array<[string[], number, RegExp]> = [
    [['alter', 'docs'], 2, /needs at least one of --add/],
    [['alter', 'docs', '--add', 'x'], 2, /--add "x" must look like name:type/],
    [['alter', 'docs', '--rename', 'title'], 2, /must look like old=new/],
    [['alter', 'docs', '--drop', 'embedding'], 2, /cannot drop the vector column "embedding"/],
    [['alter', 'docs', '--widen', 'title:long'], 2, /"title" is string and cannot be widened to long/],
    [['alter', 'docs', '--add', 'x:decimal'], 2, /add "x" has type "decimal"/],
    [['alter', 'nope', '--drop', 'x'], 3, /nope/],
  ]
  for (const [args, code, message] of cases) {
    const r = await cli(args)
    assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`)
    assert.match(r.err, message, args.join(' '))
  }
})

test('decimals through the CLI: create --columns and alter take decimal(P,S) with its comma; JSON output keeps every digit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ailake-cli-dec-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  let out = ''
  let err = ''
  const cli = async (args: string[]): Promise<number> => {
    out = ''
    err = ''
    return run(['--warehouse', join(dir, 'wh'), ...args], { out: (s) => { out += `${s}\n` }, err: (s) => { err += s }, tty: false, env: {} })
  }
  assert.equal(await cli(['create', 'm', '--dim', '2', '--metric', 'euclidean', '--columns', 'id:long,price:decimal(9,2),rate:decimal(38, 20)']), 0, err)
  const file = join(dir, 'rows.csv')
  writeFileSync(file, 'id,price,rate,embedding\n1,1234567.89,123456789012345678.12345678901234567890,"[0,0]"\n2,-0.5,0,"[1,1]"\n')
  assert.equal(await cli(['insert', 'm', file]), 0, err)
  assert.equal(await cli(['alter', 'm', '--widen', 'price:decimal(20,2)', '--add', 'fee:decimal(10,4),note:string']), 0, err)
  assert.equal(await cli(['search', 'm', '--vector', '[0,0]', '-k', '5', '--where', "rate > '123456789012345678.1234567890123456788'", '--json']), 0, err)
  const rows = JSON.parse(out) as Array<Record<string, unknown>>
  assert.deepEqual(rows.map((r) => [String(r.id), r.price, r.rate, r.fee]), [['1', '1234567.89', '123456789012345678.12345678901234567890', null]])
})
