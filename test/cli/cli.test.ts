/**
 * Tests of the `ailake` command line. Each test has its own temporary warehouse, so any one of
 * them runs alone (`--test-name-pattern`) and in any order. End-to-end cases spawn the compiled
 * executable like a user at a shell; the many small cases call `run()`, the function the
 * executable runs, in this process (same output and exit code, without a process start each).
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { run } from '../../src/cli/run.js'
import { COMMANDS } from '../../src/cli/commands.js'

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const SPAWN_DEADLINE_MS = 90_000

interface Result { code: number; stdout: string; stderr: string }

interface Lake {
  dir: string
  /** Spawns the executable. */
  spawn(args: string[], env?: Record<string, string>): Promise<Result>
  /** Runs the command line in this process. */
  cli(args: string[], env?: Record<string, string>, tty?: boolean): Promise<Result>
  /** `cli`, asserting success; stdout. */
  ok(args: string[]): Promise<string>
  csv: string
  jsonl: string
  parquet: string
}

/** A temporary directory with a warehouse and the three input files, removed after the test. */
function lake(t: TestContext): Lake {
  const dir = mkdtempSync(join(tmpdir(), 'ailake-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const warehouse = join(dir, 'wh')
  const envOf = (env: Record<string, string>): Record<string, string | undefined> => ({ AILAKE_WAREHOUSE: warehouse, AILAKE_DEBUG: '', ...env })
  const l: Lake = {
    dir,
    spawn: (args, env = {}) => new Promise((resolve) => {
      execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, ...envOf(env) }, cwd: dir, timeout: SPAWN_DEADLINE_MS, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
        const hung = err?.killed === true ? `\n[ailake ${args.join(' ')} was still running after ${SPAWN_DEADLINE_MS} ms; killed]` : ''
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr: stderr + hung })
      })
    }),
    async cli(args, env = {}, tty = false) {
      let stdout = ''
      let stderr = ''
      const io = { out: (s: string) => { stdout += `${s}\n` }, err: (s: string) => { stderr += s }, tty, env: envOf(env) }
      const code = await run(args, io)
      return { code, stdout, stderr }
    },
    async ok(args) {
      const r = await l.cli(args)
      assert.equal(r.code, 0, `ailake ${args.join(' ')} failed: ${r.stderr}`)
      return r.stdout
    },
    ...inputs(dir),
  }
  return l
}

/** Unit vectors along axis i (dim 4), slightly tilted so distances differ. */
function vec(i: number): number[] {
  const v = [0.01, 0.01, 0.01, 0.01]
  v[i % 4] = 1
  v[(i + 1) % 4] = 0.1 * Math.floor(i / 4)
  return v
}

function inputs(dir: string): { csv: string; jsonl: string; parquet: string } {
  const csv = join(dir, 'rows.csv')
  const jsonl = join(dir, 'rows.jsonl')
  const parquet = join(dir, 'rows.parquet')
  writeFileSync(csv, [
    'id,title,year,embedding',
    `1,"thermometer, clinical",2001,"${JSON.stringify(vec(0))}"`,
    `2,"a ""quoted"" title",2005,"${JSON.stringify(vec(1))}"`,
    `3,"two\nlines",2010,"${JSON.stringify(vec(2))}"`,
    `4,plain,2020,"${JSON.stringify(vec(3))}"`,
  ].join('\r\n') + '\r\n')
  writeFileSync(jsonl, [5, 6].map((i) => JSON.stringify({ id: i, title: `json ${i}`, year: 2021, embedding: vec(i) })).join('\n') + '\n')
  writeFileSync(parquet, new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'id', data: [7n, 8n], type: 'INT64' },
      { name: 'title', data: ['parquet 7', 'parquet 8'], type: 'STRING' },
      { name: 'year', data: [2022n, 2023n], type: 'INT64' },
      { name: 'embedding', data: [vec(7), vec(8)] },
    ],
  })))
  return { csv, jsonl, parquet }
}

/** Table `docs` with the CSV (4 rows), JSON Lines (2) and Parquet (2) rows; the snapshot id of the first insert. */
async function docs(l: Lake): Promise<string> {
  assert.match(await l.ok(['create', 'docs', '--dim', '4', '--metric', 'cosine', '--precision', 'f32']), /created default\.docs: embedding 4-d cosine f32/)
  const csv = await l.ok(['insert', 'docs', l.csv])
  assert.match(csv, /inserted 4 rows into default\.docs .*; snapshot \d+; 4 rows in total/)
  assert.match(await l.ok(['insert', 'docs', l.jsonl]), /inserted 2 rows .* 6 rows in total/)
  assert.match(await l.ok(['insert', 'docs', l.parquet]), /inserted 2 rows .* 8 rows in total/)
  return /snapshot (\d+)/.exec(csv)?.[1] ?? ''
}

/** Words of the API that a CLI user never typed: calls, option objects, API paths. */
const API_SPEAK = /\b[a-zA-Z]+\(\)|\{ ?[a-zA-Z]+ ?\}|\bvector\.[a-z]+|\bschema column\b|\btable\.[a-z]+/

test('end to end through the executable: create, insert CSV + JSON Lines + Parquet, info, history, tables', async (t) => {
  const l = lake(t)
  const sh = async (args: string[]): Promise<string> => {
    const r = await l.spawn(args)
    assert.equal(r.code, 0, `ailake ${args.join(' ')} failed: ${r.stderr}`)
    return r.stdout
  }
  assert.match(await sh(['create', 'docs', '--dim', '4']), /created default\.docs: embedding 4-d cosine f32/)
  const csv = await sh(['insert', 'docs', l.csv])
  assert.match(csv, /inserted 4 rows into default\.docs .*; snapshot \d+; 4 rows in total/)
  const firstSnapshot = /snapshot (\d+)/.exec(csv)?.[1] ?? ''
  const info = await l.spawn(['info', 'docs'])
  assert.doesNotMatch(csv + info.stderr, /\r/, 'no progress line in a pipe')
  assert.match(await sh(['insert', 'docs', l.jsonl]), /inserted 2 rows .* 6 rows in total/)
  assert.match(await sh(['insert', 'docs', l.parquet]), /inserted 2 rows .* 8 rows in total/)

  const text = await sh(['info', 'docs'])
  assert.match(text, /snapshots\s+\d+, current \d+/)
  assert.match(text, /rows\s+8 live\n/)
  assert.match(text, /files\s+3 \(index ready 3, pending 0, none 0\)/, 'insert waits for the background index builds')
  assert.match(text, /4-d cosine, f32 \(16 bytes per vector\)/)
  assert.match(text, /id\s+long/)
  assert.match(text, /title\s+string/)
  const infoJson = JSON.parse(await sh(['info', 'docs', '--json'])) as { rows: number; files: number; currentSnapshotId: string; embedder: unknown }
  assert.equal(infoJson.rows, 8)
  assert.equal(infoJson.files, 3)
  assert.equal(typeof infoJson.currentSnapshotId, 'string')
  assert.equal(infoJson.embedder, null)

  // One append per insert; a MemTableWriter insert adds a `replace` once its index is built.
  const history = (await sh(['history', 'docs'])).trim().split('\n')
  assert.match(history[0] as string, /^snapshot\s+time\s+operation\s+added\s+deleted\s+live rows$/)
  const appends = history.filter((line) => /\sappend\s/.test(line))
  assert.equal(appends.length, 3)
  assert.match(appends[0] as string, /^\d+\s+\d{4}-\d\d-\d\dT\S+\s+append\s+\+4\s+-0\s+4$/)
  assert.match(appends[2] as string, /append\s+\+2\s+-0\s+8$/)
  assert.match(history[history.length - 1] as string, /\s8$/)
  assert.ok(history.slice(1).some((line) => line.startsWith(`${firstSnapshot} `)), 'the printed snapshot id is in the history')
  assert.equal((await sh(['create', 'other.t2', '--dim', '2'])).includes('other.t2'), true)
  assert.deepEqual((await sh(['tables'])).trim().split('\n'), ['default.docs', 'other.t2'])
  assert.deepEqual(JSON.parse(await sh(['tables', '--json'])), ['default.docs', 'other.t2'])

  const failed = await l.spawn(['info', 'nope'])
  assert.equal(failed.code, 3, 'the process exits with the error code')
  assert.equal(failed.stdout, '')
  assert.match(failed.stderr, /^ailake: table default\.nope does not exist[^\n]*\n$/)
  const debug = await l.spawn(['info', 'nope'], { AILAKE_DEBUG: '1' })
  assert.equal(debug.code, 3)
  assert.match(debug.stderr, /at .*\.js:\d+/, 'AILAKE_DEBUG=1 prints the stack')
})

test('search: table output, --json, --where, --select, --as-of, --like', async (t) => {
  const l = lake(t)
  const firstSnapshot = await docs(l)
  const text = await l.ok(['search', 'docs', '--vector', JSON.stringify(vec(0)), '-k', '3'])
  const lines = text.trim().split('\n')
  assert.match(lines[0] as string, /^id\s+title\s+year\s+_distance$/)
  assert.match(lines[1] as string, /^-+/)
  assert.match(lines[2] as string, /^\s*1\s+thermometer, clinical\s+2001\s+0\.0000$/)
  assert.equal(lines.length, 5)

  const hits = JSON.parse(await l.ok(['search', 'docs', '--vector', JSON.stringify(vec(0)), '-k', '8', '--json'])) as Record<string, unknown>[]
  assert.equal(hits.length, 8)
  assert.equal(hits[0]?.id, '1', 'longs come out as strings in JSON')
  assert.equal(hits[0]?.title, 'thermometer, clinical')
  assert.ok(hits.every((h, i) => i === 0 || (h._distance as number) >= (hits[i - 1]?._distance as number)))
  assert.equal(hits.find((h) => h.id === '3')?.title, 'two\nlines')
  assert.equal(hits.find((h) => h.id === '2')?.title, 'a "quoted" title')

  const filtered = JSON.parse(await l.ok(['search', 'docs', '--vector', JSON.stringify(vec(0)), '--where', 'year >= 2021', '--select', 'id,title', '--json'])) as Record<string, unknown>[]
  assert.deepEqual(filtered.map((h) => h.id).sort(), ['5', '6', '7', '8'])
  assert.deepEqual(Object.keys(filtered[0] ?? {}).sort(), ['_distance', 'id', 'title'])

  const old = JSON.parse(await l.ok(['search', 'docs', '--vector', JSON.stringify(vec(0)), '-k', '10', '--as-of', firstSnapshot, '--json'])) as Record<string, unknown>[]
  assert.deepEqual(old.map((h) => h.id).sort(), ['1', '2', '3', '4'])

  const snaps = JSON.parse(await l.ok(['history', 'docs', '--json'])) as { snapshotId: string; timestamp: string }[]
  const firstTime = snaps.find((x) => x.snapshotId === firstSnapshot)?.timestamp
  assert.ok(firstTime !== undefined)
  const byTime = JSON.parse(await l.ok(['search', 'docs', '--vector', JSON.stringify(vec(0)), '-k', '10', '--as-of', firstTime, '--json'])) as Record<string, unknown>[]
  assert.deepEqual(byTime.map((h) => h.id).sort(), ['1', '2', '3', '4'], '--as-of an ISO time reads the snapshot current then')

  const like = JSON.parse(await l.ok(['search', 'docs', '--like', '6', '-k', '2', '--json'])) as Record<string, unknown>[]
  assert.equal(like[0]?.id, '6')
  assert.ok(Math.abs(like[0]?._distance as number) < 1e-5)
})

test('create --partition-by: files per partition, info shows the spec, --where answers from its partition', async (t) => {
  const l = lake(t)
  assert.match(
    await l.ok(['create', 'docs', '--dim', '4', '--columns', 'id:long,title:string,year:long', '--partition-by', 'year, bucket(2, id)']),
    /created default\.docs: embedding 4-d cosine f32, partitioned by year, bucket\(2, id\)$/m,
  )
  await l.ok(['insert', 'docs', l.csv])
  const info = JSON.parse(await l.ok(['info', 'docs', '--json'])) as { files: number; rows: number; partitionBy: unknown }
  assert.deepEqual(info.partitionBy, ['year', 'bucket(2, id)'])
  assert.equal(info.rows, 4)
  assert.equal(info.files, 4, 'four distinct years: no file mixes partitions')
  assert.match(await l.ok(['info', 'docs']), /^partitioned {2}by year, bucket\(2, id\)$/m)
  const hits = JSON.parse(await l.ok(['search', 'docs', '--vector', JSON.stringify(vec(0)), '-k', '4', '--where', 'year = 2010', '--json'])) as Record<string, unknown>[]
  assert.deepEqual(hits.map((h) => h.id), ['3'])
  assert.match(await l.ok(['create', 'plain', '--dim', '4']), /created default\.plain: embedding 4-d cosine f32$/m)
  assert.match(await l.ok(['info', 'plain']), /^partitioned {2}no$/m)
  const cases: Array<[string[], RegExp]> = [
    [['create', 'a', '--dim', '2', '--partition-by', 'year'], /--partition-by needs --columns/],
    [['create', 'b', '--dim', '2', '--columns', 'year:long', '--partition-by', 'year,,id'], /--partition-by "year,,id" has an empty entry/],
    [['create', 'c', '--dim', '2', '--columns', 'year:long', '--partition-by', 'color'], /^ailake: --partition-by\[0\] names column "color", which the schema does not have/],
    [['create', 'd', '--dim', '2', '--columns', 'title:string', '--partition-by', 'day(title)'], /day does not apply to a string column/],
  ]
  for (const [args, message] of cases) {
    const r = await l.cli(args)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, message, args.join(' '))
  }
})

test('create --codes pq: files keep PQ codes, info shows them, search answers; bad values are usage errors', async (t) => {
  const l = lake(t)
  assert.match(await l.ok(['create', 'docs', '--dim', '4', '--codes', 'pq', '--subvectors', '2']), /created default\.docs: embedding 4-d cosine f32, PQ codes \(2 sub-vectors\)$/m)
  await l.ok(['insert', 'docs', l.csv])
  const info = JSON.parse(await l.ok(['info', 'docs', '--json'])) as { vector: { codes: string; subvectors?: number } }
  assert.deepEqual([info.vector.codes, info.vector.subvectors], ['pq', 2])
  assert.match(await l.ok(['info', 'docs']), /PQ codes \(2 sub-vectors\)$/m)
  const hits = JSON.parse(await l.ok(['search', 'docs', '--vector', JSON.stringify(vec(1)), '-k', '1', '--json'])) as Record<string, unknown>[]
  assert.equal(hits[0]?.id, '2', 'row 2 holds vec(1)')
  assert.match(await l.ok(['create', 'plain', '--dim', '4']), /created default\.plain: embedding 4-d cosine f32$/m)
  assert.match(await l.ok(['info', 'plain']), /SQ8 codes$/m)
  const cases: Array<[string[], RegExp]> = [
    [['create', 'a', '--dim', '4', '--codes', 'opq'], /--codes must be one of sq8, pq, got "opq"/],
    [['create', 'b', '--dim', '4', '--subvectors', '2'], /--subvectors applies to PQ codes only/],
    [['create', 'c', '--dim', '4', '--codes', 'pq', '--subvectors', '5'], /--subvectors must be an integer in \[1, 4\]/],
    [['create', 'd', '--dim', '4', '--codes', 'pq', '--subvectors', 'two'], /--subvectors must be a positive integer/],
  ]
  for (const [args, message] of cases) {
    const r = await l.cli(args)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, message, args.join(' '))
  }
})

test('create --vectors: extra vector columns from the shell, searched with --column', async (t) => {
  const l = lake(t)
  assert.match(
    await l.ok(['create', 'media', '--dim', '4', '--columns', 'id:long,title:string', '--vectors', 'thumb:2:euclidean, sound:3:dot:f16']),
    /created default\.media: embedding 4-d cosine f32, thumb 2-d euclidean, sound 3-d dot f16$/m,
  )
  const rows = [1, 2, 3].map((i) => ({ id: i, title: `m${i}`, embedding: vec(i), thumb: [i, 0], sound: [0, 0, i] }))
  const file = join(l.dir, 'media.jsonl')
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n')
  await l.ok(['insert', 'media', file])
  const near = JSON.parse(await l.ok(['search', 'media', '--column', 'thumb', '--vector', '[2.2, 0]', '-k', '2', '--select', 'id', '--json'])) as Record<string, unknown>[]
  assert.deepEqual(near.map((h) => h.id), ['2', '3'], 'euclidean on the thumb column: 2 then 3')
  const dot = JSON.parse(await l.ok(['search', 'media', '--column', 'sound', '--vector', '[0, 0, 1]', '-k', '1', '--select', 'id', '--json'])) as Record<string, unknown>[]
  assert.deepEqual(dot.map((h) => h.id), ['3'], 'dot product on the sound column favours the longest')
  for (const [args, message] of [
    [['create', 'a', '--dim', '2', '--vectors', 'image'], /--vectors entry "image" must look like name:dim/],
    [['create', 'b', '--dim', '2', '--vectors', 'x:2,x:3'], /--vectors names column x twice/],
    [['create', 'c', '--dim', '2', '--vectors', 'x:2:manhattan'], /^ailake: --vectors column x\.metric must be one of/],
    [['create', 'd', '--dim', '2', '--vectors', 'embedding:2'], /is the primary vector column/],
  ] as const) {
    const r = await l.cli([...args])
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, message, args.join(' '))
  }
})

test('search --mode fulltext and hybrid; create --fts', async (t) => {
  const l = lake(t)
  assert.match(await l.ok(['create', 'docs', '--dim', '4', '--fts', 'title']), /created default\.docs: embedding 4-d cosine f32, full text title \(english\)/)
  await l.ok(['insert', 'docs', l.csv])
  await l.ok(['insert', 'docs', l.jsonl])
  const text = await l.ok(['search', 'docs', '--mode', 'fulltext', '--text', 'thermometers'])
  assert.match(text.split('\n')[0] as string, /^id\s+title\s+year\s+_score$/)
  const hits = JSON.parse(await l.ok(['search', 'docs', '--mode', 'fulltext', '--text', 'thermometer', '--json'])) as Record<string, unknown>[]
  assert.deepEqual(hits.map((h) => h.id), ['1'])
  assert.ok((hits[0]?._score as number) > 0)
  const quoted = JSON.parse(await l.ok(['search', 'docs', '--mode', 'fulltext', '--text', '"quoted title"', '--select', 'id', '--json'])) as Record<string, unknown>[]
  assert.deepEqual(quoted, [{ id: '2', _score: quoted[0]?._score }])
  const hybrid = JSON.parse(await l.ok(['search', 'docs', '--mode', 'hybrid', '--text', 'quoted', '--vector', JSON.stringify(vec(3)), '-k', '3', '--json'])) as Record<string, unknown>[]
  assert.equal(hybrid.length, 3)
  assert.ok(hybrid.some((h) => h.id === '2' && typeof h._bm25 === 'number'))
  assert.ok(hybrid.some((h) => typeof h._distance === 'number'))
  const cases: Array<[string[], number, RegExp]> = [
    [['search', 'docs', '--mode', 'fulltext', '--vector', '[1, 0, 0, 0]'], 2, /--mode fulltext needs --text/],
    [['search', 'docs', '--mode', 'lexical', '--text', 'x'], 2, /--mode must be vector, fulltext or hybrid/],
    [['search', 'docs', '--mode', 'hybrid', '--text', 'x'], 2, /records no embedder/],
    [['search', 'docs', '--mode', 'fulltext', '--text', 'x', '--where', 'color = 1'], 2, /^ailake: --where: unknown column "color"/],
    [['create', 'other', '--dim', '2', '--fts-language', 'none'], 2, /--fts-language needs --fts/],
    [['create', 'other', '--dim', '2', '--fts', 'title', '--fts-language', 'klingon'], 2, /--fts-language/],
  ]
  for (const [args, code, message] of cases) {
    const r = await l.cli(args)
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, message, args.join(' '))
  }
  await l.ok(['create', 'plain', '--dim', '4'])
  const r = await l.cli(['search', 'plain', '--mode', 'fulltext', '--text', 'x'])
  assert.match(r.stderr, /has no full-text columns/)
})

test('bad input: one stderr line in CLI words, the documented exit code, table unchanged', async (t) => {
  const l = lake(t)
  await docs(l)
  const before = await l.ok(['history', 'docs', '--json'])
  const file = (name: string, text: string): string => {
    const p = join(l.dir, name)
    writeFileSync(p, text)
    return p
  }
  const badDim = file('bad-dim.csv', `id,title,year,embedding\n9,fine,2024,"${JSON.stringify(vec(9))}"\n10,short,2024,"[1, 2]"\n`)
  const badLiteral = file('bad-literal.csv', `id,title,year,embedding\n9,fine,2024,"${JSON.stringify(vec(9))}"\n10,oops,2024,"[1, 2,"\n`)
  const badNaN = file('bad-nan.jsonl', `{"id":9,"title":"x","year":1,"embedding":[1,2,3,4]}\n{"id":10,"title":"y","year":1,"embedding":[1,null,3,4]}\n`)
  const badColumn = file('bad-column.jsonl', `{"id":9,"color":"red","embedding":[1,2,3,4]}\n`)
  const badType = file('bad-type.csv', `id,title,year,embedding\nnine,x,2024,"${JSON.stringify(vec(1))}"\n`)
  const badQuote = file('bad-quote.csv', `id,title,year,embedding\n9,"unterminated,2024,[1,2,3,4]\n`)
  const notParquet = file('not.parquet', 'this is not parquet at all')
  const q = ['--vector', '[1,0,0,0]']

  const cases: [string[], number, RegExp][] = [
    [['insert', 'docs', join(l.dir, 'missing.csv')], 3, /missing\.csv does not exist/],
    [['insert', 'docs', badDim], 4, /row 2.*2 dimensions but the table expects 4/],
    [['insert', 'docs', badLiteral], 2, /row 2.*not a vector literal/],
    [['insert', 'docs', badNaN], 2, /row 2.*element 1 is null/],
    [['insert', 'docs', badColumn], 4, /column "color"/],
    [['insert', 'docs', badType], 4, /column "id" must be an integer/],
    [['insert', 'docs', badQuote], 2, /not closed/],
    [['insert', 'docs', notParquet], 5, /not a readable Parquet file/],
    [['insert', 'docs', join(l.dir, 'rows.txt')], 2, /cannot tell the format/],
    [['insert', 'docs', l.jsonl, '--embed', 'title'], 2, /records no embedder/],
    [['insert', 'nope', l.csv], 3, /^ailake: table default\.nope does not exist; ailake tables lists the tables/],
    [['search', 'docs', '--vector', '[1, 2'], 2, /--vector is not a vector literal/],
    [['search', 'docs', '--vector', '[1, 2]'], 4, /2 dimensions but table default\.docs holds 4-d/],
    [['search', 'docs', '--vector', '[1, "a", 3, 4]'], 2, /element 1/],
    [['search', 'docs', '--text', 'hello'], 2, /records no embedder/],
    [['search', 'docs', ...q, '--as-of', 'yesterday'], 2, /--as-of "yesterday"/],
    [['search', 'docs', ...q, '--as-of', '12345'], 3, /^ailake: --as-of 12345: table default\.docs has no snapshot 12345; ailake history default\.docs lists/],
    [['search', 'docs', ...q, '--as-of', '2001-01-01'], 3, /^ailake: --as-of 2001-01-01: table default\.docs had no snapshot yet/],
    [['search', 'docs', ...q, '-k', '20000'], 2, /^ailake: --limit must be an integer in \[1, 10000\], got "20000"/],
    [['search', 'docs', ...q, '--ef', '200000'], 2, /^ailake: --ef: must be an integer in \[1, 100000\]/],
    [['search', 'docs', ...q, '--where', 'color = 1'], 2, /^ailake: --where: unknown column "color"/],
    [['search', 'docs', ...q, '--where', 'year >'], 2, /^ailake: --where: expected a literal/],
    [['search', 'docs', ...q, '--select', 'nope'], 2, /^ailake: --select: unknown column "nope"/],
    [['search', 'docs', '--like', '1', '--id-column', 'embedding'], 2, /^ailake: --id-column: cannot filter on the vector column/],
    [['search', 'docs'], 2, /needs a query/],
    [['search', 'nope', '--vector', '[1]'], 3, /does not exist/],
    [['info', 'nope'], 3, /does not exist/],
    [['history', 'nope'], 3, /does not exist/],
    [['expire', 'nope'], 3, /does not exist/],
    [['create', 'docs', '--dim', '4'], 3, /^ailake: table default\.docs already exists; choose another name/],
    [['create', 'x', '--dim', 'four'], 2, /--dim must be a positive integer/],
    [['create', 'x', '--dim', '100000'], 2, /^ailake: --dim must be an integer in \[1, 65536\]/],
    [['create', 'x', '--dim', '4', '--metric', 'manhattan'], 2, /^ailake: --metric must be one of cosine, euclidean, dot/],
    [['create', 'x', '--dim', '4', '--precision', 'f64'], 2, /^ailake: --precision must be one of f32, f16, i8/],
    [['create', 'x', '--dim', '4', '--column='], 2, /^ailake: --column must be a non-empty string/],
    [['create', 'x', '--dim', '4', '--columns', 'id:foo'], 2, /^ailake: --columns: column "id" has type "foo"/],
    [['create', 'x', '--dim', '4', '--columns', 'id:long,embedding:long'], 2, /^ailake: --columns: column "embedding" is the vector column/],
    [['create', 'x', '--embedder', 'openai:some-model'], 2, /^ailake: no OpenAI API key: set OPENAI_API_KEY\n$/],
    [['create', 'x'], 2, /needs --dim/],
    [['insert', 'docs'], 2, /insert needs <table> <file>/],
    [['search', 'docs', '--bogus'], 2, /^ailake: unknown option --bogus for search; it takes --vector, --text, --like, -k\/--limit,/],
    [['frobnicate'], 2, /unknown command/],
  ]
  // The OpenAI case must fail for want of a key, never reach a service (embedders read process.env).
  const saved = { key: process.env.OPENAI_API_KEY, url: process.env.OPENAI_BASE_URL }
  delete process.env.OPENAI_API_KEY
  delete process.env.OPENAI_BASE_URL
  t.after(() => {
    if (saved.key !== undefined) process.env.OPENAI_API_KEY = saved.key
    if (saved.url !== undefined) process.env.OPENAI_BASE_URL = saved.url
  })
  for (const [args, code, message] of cases) {
    const r = await l.cli(args)
    const label = `ailake ${args.join(' ')}`
    assert.equal(r.code, code, `${label}: exit ${r.code}, stderr ${r.stderr}`)
    assert.equal(r.stdout, '', `${label}: nothing on stdout`)
    assert.match(r.stderr, /^ailake: [^\n]+\n$/, `${label}: exactly one stderr line, got ${JSON.stringify(r.stderr)}`)
    assert.match(r.stderr, message, label)
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, `${label}: no stack trace`)
    assert.doesNotMatch(r.stderr, API_SPEAK, `${label}: CLI words, not the API's`)
  }
  assert.equal(await l.ok(['history', 'docs', '--json']), before, 'no bad input changed the table')
  assert.deepEqual((await l.ok(['tables'])).trim().split('\n'), ['default.docs'], 'no table was created by a failed create')
})

test('every command refuses unknown flags and the flags of other commands, naming them (exit 2)', async (t) => {
  const l = lake(t)
  const positionals: Record<string, string[]> = { insert: ['docs', l.csv] }
  let checked = 0
  for (const [name, command] of Object.entries(COMMANDS)) {
    const args = [name, ...(positionals[name] ?? command.positionals.map(() => 'docs'))]
    const own = new Set(Object.keys(command.options))
    const foreign = new Map<string, string[]>()
    for (const [other, c] of Object.entries(COMMANDS)) {
      for (const flag of Object.keys(c.options)) if (!own.has(flag)) foreign.set(flag, [...(foreign.get(flag) ?? []), other])
    }
    for (const [flag, owners] of foreign) {
      const r = await l.cli([...args, `--${flag}`, ...(COMMANDS[owners[0] as string]?.options[flag]?.type === 'string' ? ['x'] : [])])
      assert.equal(r.code, 2, `${name} --${flag}: ${r.stderr}`)
      assert.equal(r.stderr, `ailake: --${flag} is an option of ${owners.join(' and ')}, not of ${name}; run ailake ${name} --help\n`)
      checked++
    }
    for (const bad of ['--bogus', '-z', '--json-output']) {
      const r = await l.cli([...args, bad])
      assert.equal(r.code, 2, `${name} ${bad}: ${r.stderr}`)
      assert.match(r.stderr, new RegExp(`^ailake: unknown option ${bad} for ${name}; it takes `))
      for (const flag of own) assert.ok(r.stderr.includes(`--${flag}`), `${name} ${bad}: lists --${flag}: ${r.stderr}`)
      assert.match(r.stderr, /--warehouse, -h\/--help\n$/)
      checked++
    }
  }
  assert.ok(checked > 40, `checked ${checked} flags`)
  const value = await l.cli(['search', 'docs', '--vector', '[1]', '-k'])
  assert.equal(value.stderr, 'ailake: -k needs a value; run ailake search --help\n')
  const flagged = await l.cli(['search', 'docs', '--where', '--json'])
  assert.match(flagged.stderr, /^ailake: --where needs a value, got the option --json; a value that starts with '-' is written --where=--json\n$/)
  const onOff = await l.cli(['info', 'docs', '--json=yes'])
  assert.equal(onOff.stderr, 'ailake: --json takes no value, got "yes"; run ailake info --help\n')
  assert.equal((await l.cli(['tables'])).stdout, '', 'no flag error created anything')
})

test('--help on every command, --version, --warehouse flag', async (t) => {
  const l = lake(t)
  for (const c of Object.keys(COMMANDS)) {
    const r = await l.cli([c, '--help'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, new RegExp(`^Usage: ailake ${c}`))
    assert.match(r.stdout, /Examples:/)
  }
  assert.match(await l.ok(['--help']), /Commands:/)
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  const version = await l.spawn(['--version'])
  assert.equal(version.stdout.trim(), pkg.version)
  const other = join(l.dir, 'elsewhere')
  assert.match(await l.ok(['--warehouse', other, 'create', 'solo', '--dim', '2']), /created default\.solo/)
  assert.equal((await l.ok(['tables', '--warehouse', other])).trim(), 'default.solo')
  assert.equal((await l.ok(['tables'])).trim(), '', 'the default warehouse is untouched')
})

test('offline embedder: create --embedder use-lite, insert --embed, search --text', async (t) => {
  const l = lake(t)
  const probe = await l.cli(['create', 'wn', '--embedder', 'use-lite'])
  if (probe.code !== 0 && /optional packages/.test(probe.stderr)) {
    t.skip('the optional USE-lite packages are not installed')
    return
  }
  assert.equal(probe.code, 0, probe.stderr)
  assert.match(probe.stdout, /512-d cosine f32, embedder use-lite@/)
  const glosses = join(l.dir, 'glosses.jsonl')
  writeFileSync(glosses, [
    { id: 'a', gloss: 'a medical instrument for measuring body temperature' },
    { id: 'b', gloss: 'a large body of salt water that covers most of the earth' },
    { id: 'c', gloss: 'feeling deep sorrow and unhappiness' },
  ].map((o) => JSON.stringify(o)).join('\n'))
  assert.match(await l.ok(['insert', 'wn', glosses, '--embed', 'gloss']), /inserted 3 rows/)
  assert.match(await l.ok(['info', 'wn']), /embedder\s+use-lite@\S+ \(512-d\)/)
  const wrongDim = await l.cli(['create', 'wn2', '--embedder', 'use-lite', '--dim', '384'])
  assert.equal(wrongDim.code, 4)
  assert.match(wrongDim.stderr, /^ailake: --dim 384 does not match/)
  const hits = JSON.parse(await l.ok(['search', 'wn', '--text', 'the ocean', '-k', '1', '--json'])) as Record<string, unknown>[]
  assert.equal(hits[0]?.id, 'b')
  const like = JSON.parse(await l.ok(['search', 'wn', '--like', 'c', '-k', '1', '--json'])) as Record<string, unknown>[]
  assert.equal(like[0]?.id, 'c', '--like matches a string id')
  const missing = await l.cli(['search', 'wn', '--like', 'zzz'])
  assert.equal(missing.code, 3)
  assert.match(missing.stderr, /^ailake: no row of default\.wn has id = zzz\n$/)
})

test('progress line with rows/s on a terminal', async (t) => {
  const l = lake(t)
  assert.equal((await l.cli(['create', 'p', '--dim', '4'], {}, true)).code, 0)
  const r = await l.cli(['insert', 'p', l.csv, '--batch-size', '2'], {}, true)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /\r\[#+\] 100% inserted 4\/4 rows, [\d,]+ rows\/s/)
  assert.match(r.stdout, /inserted 4 rows into default\.p/)
})

test('expire: drops old snapshots and their files, keeps the table whole', async (t) => {
  const l = lake(t)
  await l.ok(['create', 'exp', '--dim', '4', '--columns', 'id:long,title:string,year:long'])
  await l.ok(['insert', 'exp', l.jsonl])
  await l.ok(['insert', 'exp', l.jsonl])
  const before = JSON.parse(await l.ok(['history', 'exp', '--json'])) as unknown[]
  assert.ok(before.length >= 2)
  const bad = await l.cli(['expire', 'exp', '--older-than', 'yesterday'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /older-than/)
  const soon = new Date(Date.now() + 60_000).toISOString()
  const out = JSON.parse(await l.ok(['expire', 'exp', '--older-than', soon, '--json'])) as { expiredSnapshots: number }
  assert.equal(out.expiredSnapshots, before.length - 1)
  const after = JSON.parse(await l.ok(['history', 'exp', '--json'])) as unknown[]
  assert.equal(after.length, 1)
  const info = JSON.parse(await l.ok(['info', 'exp', '--json'])) as { rows: number }
  assert.equal(info.rows, 4)
})
