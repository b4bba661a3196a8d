/**
 * End-to-end tests of the compiled `ailake` executable: each case spawns it in a temporary
 * warehouse, like a user at a shell would.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parquetWriteBuffer } from 'hyparquet-writer'

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'ailake-cli-'))
const warehouse = join(dir, 'wh')

process.on('exit', () => rmSync(dir, { recursive: true, force: true }))

interface Result { code: number; stdout: string; stderr: string }

function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, AILAKE_WAREHOUSE: warehouse, AILAKE_DEBUG: '', ...env }, cwd: dir }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
      resolve({ code, stdout, stderr })
    })
  })
}

async function ok(args: string[]): Promise<string> {
  const r = await cli(args)
  assert.equal(r.code, 0, `ailake ${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

/** Unit vectors along axis i (dim 4), slightly tilted so distances differ. */
function vec(i: number): number[] {
  const v = [0.01, 0.01, 0.01, 0.01]
  v[i % 4] = 1
  v[(i + 1) % 4] = 0.1 * Math.floor(i / 4)
  return v
}

const csvPath = join(dir, 'rows.csv')
const jsonlPath = join(dir, 'rows.jsonl')
const parquetPath = join(dir, 'rows.parquet')
writeFileSync(csvPath, [
  'id,title,year,embedding',
  `1,"thermometer, clinical",2001,"${JSON.stringify(vec(0))}"`,
  `2,"a ""quoted"" title",2005,"${JSON.stringify(vec(1))}"`,
  `3,"two\nlines",2010,"${JSON.stringify(vec(2))}"`,
  `4,plain,2020,"${JSON.stringify(vec(3))}"`,
].join('\r\n') + '\r\n')
writeFileSync(jsonlPath, [5, 6].map((i) => JSON.stringify({ id: i, title: `json ${i}`, year: 2021, embedding: vec(i) })).join('\n') + '\n')
writeFileSync(parquetPath, new Uint8Array(parquetWriteBuffer({
  columnData: [
    { name: 'id', data: [7n, 8n], type: 'INT64' },
    { name: 'title', data: ['parquet 7', 'parquet 8'], type: 'STRING' },
    { name: 'year', data: [2022n, 2023n], type: 'INT64' },
    { name: 'embedding', data: [vec(7), vec(8)] },
  ],
})))

let firstSnapshot = ''

test('create, insert CSV + JSON Lines + Parquet, info, history, tables', async () => {
  assert.match(await ok(['create', 'docs', '--dim', '4', '--metric', 'cosine', '--precision', 'f32']), /created default\.docs: embedding 4-d cosine f32/)
  const csv = await ok(['insert', 'docs', csvPath])
  assert.match(csv, /inserted 4 rows into default\.docs .*; snapshot \d+; 4 rows in total/)
  assert.doesNotMatch(csv + (await cli(['info', 'docs'])).stderr, /\r/, 'no progress line in a pipe')
  firstSnapshot = /snapshot (\d+)/.exec(csv)?.[1] ?? ''
  assert.match(await ok(['insert', 'docs', jsonlPath]), /inserted 2 rows .* 6 rows in total/)
  assert.match(await ok(['insert', 'docs', parquetPath]), /inserted 2 rows .* 8 rows in total/)

  const info = await ok(['info', 'docs'])
  assert.match(info, /snapshots\s+\d+, current \d+/)
  assert.match(info, /rows\s+8\n/)
  assert.match(info, /files\s+3 \(index ready 3, pending 0, none 0\)/, 'insert waits for the background index builds')
  assert.match(info, /4-d cosine, f32 \(16 bytes per vector\)/)
  assert.match(info, /id\s+long/)
  assert.match(info, /title\s+string/)
  const infoJson = JSON.parse(await ok(['info', 'docs', '--json'])) as { rows: number; files: number; currentSnapshotId: string; embedder: unknown }
  assert.equal(infoJson.rows, 8)
  assert.equal(infoJson.files, 3)
  assert.equal(typeof infoJson.currentSnapshotId, 'string')
  assert.equal(infoJson.embedder, null)

  // One append per insert; a MemTableWriter insert adds a `replace` once its index is built.
  const history = (await ok(['history', 'docs'])).trim().split('\n')
  assert.match(history[0] as string, /^snapshot\s+time\s+operation\s+added\s+total rows$/)
  const appends = history.filter((l) => /\sappend\s/.test(l))
  assert.equal(appends.length, 3)
  assert.match(appends[0] as string, /^\d+\s+\d{4}-\d\d-\d\dT\S+\s+append\s+\+4\s+4$/)
  assert.match(appends[2] as string, /append\s+\+2\s+8$/)
  assert.match(history[history.length - 1] as string, /\s8$/)
  assert.ok(history.slice(1).some((l) => l.startsWith(`${firstSnapshot} `)), 'the printed snapshot id is in the history')
  assert.equal((await ok(['create', 'other.t2', '--dim', '2'])).includes('other.t2'), true)
  assert.deepEqual((await ok(['tables'])).trim().split('\n'), ['default.docs', 'other.t2'])
  assert.deepEqual(JSON.parse(await ok(['tables', '--json'])), ['default.docs', 'other.t2'])
})

test('search: table output, --json, --where, --select, --as-of, --like', async () => {
  const text = await ok(['search', 'docs', '--vector', JSON.stringify(vec(0)), '-k', '3'])
  const lines = text.trim().split('\n')
  assert.match(lines[0] as string, /^id\s+title\s+year\s+_distance$/)
  assert.match(lines[1] as string, /^-+/)
  assert.match(lines[2] as string, /^\s*1\s+thermometer, clinical\s+2001\s+0\.0000$/)
  assert.equal(lines.length, 5)

  const hits = JSON.parse(await ok(['search', 'docs', '--vector', JSON.stringify(vec(0)), '-k', '8', '--json'])) as Record<string, unknown>[]
  assert.equal(hits.length, 8)
  assert.equal(hits[0]?.id, '1', 'longs come out as strings in JSON')
  assert.equal(hits[0]?.title, 'thermometer, clinical')
  assert.ok(hits.every((h, i) => i === 0 || (h._distance as number) >= (hits[i - 1]?._distance as number)))
  assert.equal(hits.find((h) => h.id === '3')?.title, 'two\nlines')
  assert.equal(hits.find((h) => h.id === '2')?.title, 'a "quoted" title')

  const filtered = JSON.parse(await ok(['search', 'docs', '--vector', JSON.stringify(vec(0)), '--where', 'year >= 2021', '--select', 'id,title', '--json'])) as Record<string, unknown>[]
  assert.deepEqual(filtered.map((h) => h.id).sort(), ['5', '6', '7', '8'])
  assert.deepEqual(Object.keys(filtered[0] ?? {}).sort(), ['_distance', 'id', 'title'])

  const old = JSON.parse(await ok(['search', 'docs', '--vector', JSON.stringify(vec(0)), '-k', '10', '--as-of', firstSnapshot, '--json'])) as Record<string, unknown>[]
  assert.deepEqual(old.map((h) => h.id).sort(), ['1', '2', '3', '4'])

  const snaps = JSON.parse(await ok(['history', 'docs', '--json'])) as { snapshotId: string; timestamp: string }[]
  const firstTime = snaps.find((x) => x.snapshotId === firstSnapshot)?.timestamp
  assert.ok(firstTime !== undefined)
  const byTime = JSON.parse(await ok(['search', 'docs', '--vector', JSON.stringify(vec(0)), '-k', '10', '--as-of', firstTime, '--json'])) as Record<string, unknown>[]
  assert.deepEqual(byTime.map((h) => h.id).sort(), ['1', '2', '3', '4'], '--as-of an ISO time reads the snapshot current then')

  const like = JSON.parse(await ok(['search', 'docs', '--like', '6', '-k', '2', '--json'])) as Record<string, unknown>[]
  assert.equal(like[0]?.id, '6')
  assert.ok(Math.abs(like[0]?._distance as number) < 1e-5)
})

test('bad input: one stderr line, non-zero exit, table unchanged', async () => {
  const before = await ok(['history', 'docs', '--json'])
  const badDim = join(dir, 'bad-dim.csv')
  writeFileSync(badDim, `id,title,year,embedding\n9,fine,2024,"${JSON.stringify(vec(9))}"\n10,short,2024,"[1, 2]"\n`)
  const badLiteral = join(dir, 'bad-literal.csv')
  writeFileSync(badLiteral, `id,title,year,embedding\n9,fine,2024,"${JSON.stringify(vec(9))}"\n10,oops,2024,"[1, 2,"\n`)
  const badNaN = join(dir, 'bad-nan.jsonl')
  writeFileSync(badNaN, `{"id":9,"title":"x","year":1,"embedding":[1,2,3,4]}\n{"id":10,"title":"y","year":1,"embedding":[1,null,3,4]}\n`)
  const badColumn = join(dir, 'bad-column.jsonl')
  writeFileSync(badColumn, `{"id":9,"color":"red","embedding":[1,2,3,4]}\n`)
  const badType = join(dir, 'bad-type.csv')
  writeFileSync(badType, `id,title,year,embedding\nnine,x,2024,"${JSON.stringify(vec(1))}"\n`)
  const badQuote = join(dir, 'bad-quote.csv')
  writeFileSync(badQuote, `id,title,year,embedding\n9,"unterminated,2024,[1,2,3,4]\n`)
  const notParquet = join(dir, 'not.parquet')
  writeFileSync(notParquet, 'this is not parquet at all')

  const cases: [string[], number, RegExp][] = [
    [['insert', 'docs', join(dir, 'missing.csv')], 3, /missing\.csv does not exist/],
    [['insert', 'docs', badDim], 4, /row 2.*2 dimensions but the table expects 4/],
    [['insert', 'docs', badLiteral], 2, /row 2.*not a vector literal/],
    [['insert', 'docs', badNaN], 2, /row 2.*element 1 is null/],
    [['insert', 'docs', badColumn], 4, /column "color"/],
    [['insert', 'docs', badType], 4, /column "id" must be an integer/],
    [['insert', 'docs', badQuote], 2, /not closed/],
    [['insert', 'docs', notParquet], 5, /not a readable Parquet file/],
    [['insert', 'docs', join(dir, 'rows.txt')], 2, /cannot tell the format/],
    [['insert', 'docs', jsonlPath, '--embed', 'title'], 2, /records no embedder/],
    [['insert', 'nope', csvPath], 3, /default\.nope does not exist/],
    [['search', 'docs', '--vector', '[1, 2'], 2, /--vector is not a vector literal/],
    [['search', 'docs', '--vector', '[1, 2]'], 4, /2 dimensions but table default\.docs holds 4-d/],
    [['search', 'docs', '--vector', '[1, "a", 3, 4]'], 2, /element 1/],
    [['search', 'docs', '--text', 'hello'], 2, /records no embedder/],
    [['search', 'docs', '--vector', '[1,0,0,0]', '--as-of', 'yesterday'], 2, /--as-of "yesterday"/],
    [['search', 'docs'], 2, /needs a query/],
    [['search', 'nope', '--vector', '[1]'], 3, /does not exist/],
    [['info', 'nope'], 3, /does not exist/],
    [['create', 'docs', '--dim', '4'], 3, /already exists/],
    [['create', 'x', '--dim', 'four'], 2, /--dim must be a positive integer/],
    [['create', 'x', '--dim', '4', '--metric', 'manhattan'], 2, /metric/],
    [['create', 'x'], 2, /needs --dim/],
    [['insert', 'docs'], 2, /insert needs <table> <file>/],
    [['search', 'docs', '--bogus'], 2, /--bogus/],
    [['frobnicate'], 2, /unknown command/],
  ]
  cases.push([['search', 'docs', '--vector', '[1,0,0,0]', '--where', 'color = 1'], 2, /color/])
  // None of these may write, so they run four at a time.
  const results: Result[] = []
  for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map(([args]) => cli(args)))))
  for (const [n, [args, code, message]] of cases.entries()) {
    const r = results[n] as Result
    const label = `ailake ${args.join(' ')}`
    assert.equal(r.code, code, `${label}: exit ${r.code}, stderr ${r.stderr}`)
    assert.equal(r.stdout, '', `${label}: nothing on stdout`)
    assert.match(r.stderr, /^ailake: [^\n]+\n$/, `${label}: exactly one stderr line, got ${JSON.stringify(r.stderr)}`)
    assert.match(r.stderr, message, label)
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, `${label}: no stack trace`)
  }
  assert.equal(await ok(['history', 'docs', '--json']), before, 'no bad input changed the table')
  assert.deepEqual((await ok(['tables'])).trim().split('\n'), ['default.docs', 'other.t2'], 'no table was created by a failed create')
  const debug = await cli(['info', 'nope'], { AILAKE_DEBUG: '1' })
  assert.equal(debug.code, 3)
  assert.match(debug.stderr, /at .*\.js:\d+/, 'AILAKE_DEBUG=1 prints the stack')
})

test('--help on every command, --version, --warehouse flag', async () => {
  for (const c of ['create', 'insert', 'search', 'info', 'history', 'tables']) {
    const r = await cli([c, '--help'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, new RegExp(`^Usage: ailake ${c}`))
    assert.match(r.stdout, /Examples:/)
  }
  assert.match(await ok(['--help']), /Commands:/)
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  assert.equal((await ok(['--version'])).trim(), pkg.version)
  const other = join(dir, 'elsewhere')
  assert.match(await ok(['--warehouse', other, 'create', 'solo', '--dim', '2']), /created default\.solo/)
  assert.equal((await ok(['tables', '--warehouse', other])).trim(), 'default.solo')
})

test('offline embedder: create --embedder use-lite, insert --embed, search --text', async (t) => {
  const probe = await cli(['create', 'wn', '--embedder', 'use-lite'])
  if (probe.code !== 0 && /optional packages/.test(probe.stderr)) {
    t.skip('the optional USE-lite packages are not installed')
    return
  }
  assert.equal(probe.code, 0, probe.stderr)
  assert.match(probe.stdout, /512-d cosine f32, embedder use-lite@/)
  const glosses = join(dir, 'glosses.jsonl')
  writeFileSync(glosses, [
    { id: 'a', gloss: 'a medical instrument for measuring body temperature' },
    { id: 'b', gloss: 'a large body of salt water that covers most of the earth' },
    { id: 'c', gloss: 'feeling deep sorrow and unhappiness' },
  ].map((o) => JSON.stringify(o)).join('\n'))
  assert.match(await ok(['insert', 'wn', glosses, '--embed', 'gloss']), /inserted 3 rows/)
  assert.match(await ok(['info', 'wn']), /embedder\s+use-lite@\S+ \(512-d\)/)
  const wrongDim = await cli(['create', 'wn2', '--embedder', 'use-lite', '--dim', '384'])
  assert.equal(wrongDim.code, 4)
  assert.match(wrongDim.stderr, /^ailake: --dim 384 does not match/)
  const hits = JSON.parse(await ok(['search', 'wn', '--text', 'the ocean', '-k', '1', '--json'])) as Record<string, unknown>[]
  assert.equal(hits[0]?.id, 'b')
  const like = JSON.parse(await ok(['search', 'wn', '--like', 'c', '-k', '1', '--json'])) as Record<string, unknown>[]
  assert.equal(like[0]?.id, 'c', '--like matches a string id')
  const missing = await cli(['search', 'wn', '--like', 'zzz'])
  assert.equal(missing.code, 3)
  assert.match(missing.stderr, /^ailake: no row of default\.wn has id = zzz\n$/)
})

test('progress line with rows/s on a terminal (in-process run with a TTY io)', async () => {
  const { run } = await import('../../src/cli/run.js')
  let out = ''
  let err = ''
  const io = { out: (t: string) => { out += `${t}\n` }, err: (t: string) => { err += t }, tty: true, env: { AILAKE_WAREHOUSE: join(dir, 'tty') } }
  assert.equal(await run(['create', 'p', '--dim', '4'], io), 0)
  assert.equal(await run(['insert', 'p', csvPath, '--batch-size', '2'], io), 0, err)
  assert.match(err, /\r\[#+\] 100% inserted 4\/4 rows, [\d,]+ rows\/s/)
  assert.match(out, /inserted 4 rows into default\.p/)
})

test('expire: drops old snapshots and their files, keeps the table whole', async () => {
  await ok(['create', 'exp', '--dim', '4', '--columns', 'id:long,title:string,year:long'])
  await ok(['insert', 'exp', jsonlPath])
  await ok(['insert', 'exp', jsonlPath])
  const before = JSON.parse(await ok(['history', 'exp', '--json'])) as unknown[]
  assert.ok(before.length >= 2)
  const bad = await cli(['expire', 'exp', '--older-than', 'yesterday'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /older-than/)
  const soon = new Date(Date.now() + 60_000).toISOString()
  const out = JSON.parse(await ok(['expire', 'exp', '--older-than', soon, '--json'])) as { expiredSnapshots: number }
  assert.equal(out.expiredSnapshots, before.length - 1)
  const after = JSON.parse(await ok(['history', 'exp', '--json'])) as unknown[]
  assert.equal(after.length, 1)
  const info = JSON.parse(await ok(['info', 'exp', '--json'])) as { rows: number }
  assert.equal(info.rows, 4)
})
