// The recovery commands on damaged warehouses: a truncated data file makes search and info exit 5
// naming the file; verify lists it; verify --quarantine removes it and the table works again;
// wal shows a damaged log and --discard drops it; relocate rewrites a copied warehouse. Every
// message speaks CLI (no API calls or option objects).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { cpSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run } from '../../src/cli/run.js'
import { connect } from '../../src/index.js'
import { tempDir } from '../helpers/tmpdir.js'

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const API_SPEAK = /\b[a-zA-Z]+\(\)|\{ ?[a-zA-Z]+ ?\}|\bvector\.[a-z]+|\btable\.[a-z]+/

interface Result { code: number; stdout: string; stderr: string }

async function cli(warehouse: string, args: string[]): Promise<Result> {
  let stdout = ''
  let stderr = ''
  const code = await run(['--warehouse', warehouse, ...args], { out: (s) => { stdout += `${s}\n` }, err: (s) => { stderr += s }, tty: false, env: {} })
  assert.doesNotMatch(stderr, API_SPEAK, `ailake ${args.join(' ')} speaks CLI: ${stderr}`)
  return { code, stdout, stderr }
}

const vec = (i: number): number[] => [Math.cos(i), Math.sin(i), 1]

async function setup(dir: string): Promise<void> {
  const lake = await connect(dir)
  const t = await lake.createTable('docs', { vector: { dim: 3 }, schema: { id: 'long' } })
  await t.add([0, 1, 2].map((i) => ({ id: BigInt(i), embedding: vec(i) })))
  await t.add([3, 4].map((i) => ({ id: BigInt(i), embedding: vec(i) })))
  await lake.close()
}

test('a truncated data file: search and info exit 5 naming it; verify --quarantine recovers the rest', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    await setup(dir)
    const data = join(dir, 'default/docs/data')
    const victim = readdirSync(data).map((f) => join(data, f)).find((p) => readFileSync(p).length > 0) as string
    truncateSync(victim, 64)
    const name = victim.slice(dir.length + 1)
    const search = await new Promise<Result>((resolve) => {
      execFile(process.execPath, [MAIN, '--warehouse', dir, 'search', 'docs', '--vector', '[1,0,1]'], { timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
      })
    })
    assert.equal(search.code, 5, search.stderr)
    assert.match(search.stderr, new RegExp(`^ailake: data file ${name} has 64 bytes but the table metadata records \\d+: it is truncated or damaged`))
    const info = await cli(dir, ['info', 'docs'])
    assert.equal(info.code, 5)
    assert.match(info.stdout, /rows\s+5/, 'info still prints what the metadata says')
    assert.match(info.stderr, /cannot be read in full: 1 damaged or missing file.*ailake verify default\.docs/)

    const verify = await cli(dir, ['verify', 'docs'])
    assert.equal(verify.code, 5)
    assert.match(verify.stdout, /checked 1 manifest list\(s\), 2 manifest\(s\), 2 data file\(s\), 0 write-ahead log\(s\)/)
    assert.match(verify.stdout, new RegExp(`${name} has 64 bytes.* \\[\\d rows?; id \\d\\.\\.\\d\\]`))
    assert.match(verify.stderr, /ailake verify default\.docs --quarantine removes the damaged files/)
    const json = JSON.parse((await cli(dir, ['verify', 'docs', '--json'])).stdout) as { problems: { kind: string; rows: number }[] }
    const lost = json.problems[0]?.rows ?? 0
    assert.equal(json.problems[0]?.kind, 'data-file')

    const q = await cli(dir, ['verify', 'docs', '--quarantine'])
    assert.equal(q.code, 0, q.stderr)
    assert.match(q.stdout, new RegExp(`quarantined 1 file\\(s\\) in snapshot \\d+; ${lost} rows? lost`))
    const after = await cli(dir, ['search', 'docs', '--vector', '[1,0,1]', '--json'])
    assert.equal(after.code, 0)
    assert.equal((JSON.parse(after.stdout) as unknown[]).length, 5 - lost)
    assert.equal((await cli(dir, ['info', 'docs'])).code, 0)
    assert.match((await cli(dir, ['verify', 'docs'])).stdout, /no problems found/)
  } finally {
    await cleanup()
  }
})

test('wal lists a damaged log, verify points at it, --discard drops it; a live writer\'s log is refused', async () => {
  const { dir, cleanup } = await tempDir()
  await setup(dir)
  const lake = await connect(dir)
  try {
    const table = await lake.openTable('docs')
    const w = table.memTableWriter({ writerId: 'w', flushMaxRows: 1000, lease: { now: () => 0, owner: { host: 'gone', pid: 1 } } })
    for (let k = 0; k < 3; k++) await w.insert([{ id: BigInt(10 + k), embedding: vec(10 + k) }])
    w.abandon()
    // Not adopting: it would commit (and delete) the log of the crashed writer `w`.
    const live = table.memTableWriter({ writerId: 'live', adoptAbandoned: false })
    await live.insert([{ id: 20n, embedding: vec(20) }])
    const folder = join(dir, 'default/docs/wal/w')
    const seg = join(folder, readdirSync(folder).find((f) => f.endsWith('.wal')) as string)
    const bytes = readFileSync(seg)
    const at = 12 + bytes.readUInt32LE(8) + 4 + 40
    bytes[at] = (bytes[at] as number) ^ 0xff
    writeFileSync(seg, bytes)

    const list = await cli(dir, ['wal', 'docs'])
    assert.equal(list.code, 0)
    assert.match(list.stdout, /^writer\s+lease\s+segments\s+size\s+committed seq\s+pending rows\s+damage$/m)
    assert.match(list.stdout, /^w\s+expired \(pid 1 on gone\)\s+1\s+\S+ \S+\s+0\s+2\s+DAMAGED$/m)
    assert.match(list.stdout, /^live\s+live \(pid \d+ on .+\)\s+1\s+/m)
    const verify = await cli(dir, ['verify', 'docs'])
    assert.equal(verify.code, 5)
    assert.match(verify.stderr, /ailake wal default\.docs --discard w drops the damaged log of w/)
    const refused = await cli(dir, ['wal', 'docs', '--discard', 'live'])
    assert.equal(refused.code, 3)
    assert.match(refused.stderr, /writer "live" of default\.docs is live/)
    const discard = await cli(dir, ['wal', 'docs', '--discard', 'w'])
    assert.equal(discard.code, 0, discard.stderr)
    assert.match(discard.stdout, /discarded the write-ahead log of w: 1 segment\(s\); 2 rows not yet committed were lost/)
    await live.close()
    assert.match((await cli(dir, ['verify', 'docs'])).stdout, /no problems found/)
    assert.match((await cli(dir, ['wal', 'docs'])).stdout, /default\.docs has no write-ahead logs/)
    assert.equal((await cli(dir, ['wal', 'docs', '--discard', 'w'])).code, 3)
  } finally {
    await lake.close().catch(() => undefined)
    await cleanup()
  }
})

test('relocate: a copied warehouse records its new location; a second run has nothing to do', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const a = join(dir, 'a')
    const b = join(dir, 'b')
    await setup(a)
    cpSync(a, b, { recursive: true })
    const r = await cli(b, ['relocate', 'docs'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `relocated default.docs from file://${a}/default/docs to file://${b}/default/docs: wrote 2 manifest(s) and 2 manifest list(s)\n`)
    assert.equal((await cli(b, ['relocate', 'docs'])).stdout, `default.docs already records its location file://${b}/default/docs; nothing to do\n`)
    const hits = JSON.parse((await cli(b, ['search', 'docs', '--vector', '[1,0,1]', '--json'])).stdout) as unknown[]
    assert.equal(hits.length, 5)
  } finally {
    await cleanup()
  }
})
