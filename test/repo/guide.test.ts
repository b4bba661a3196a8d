/**
 * docs/guide.md runs as written: every `ts` and `sh` block, in order, in one working directory
 * (so later blocks find the tables earlier ones made), `ts` blocks as modules of one Node process
 * importing 'ailake' through the package's exports, `sh` blocks in bash with `ailake` being this
 * checkout's CLI. Blocks tagged `s3` run only with an S3 server (AILAKE_S3_ENDPOINT); `install`
 * never (test/repo/package.test.ts installs the packed tarball). guide-types.test.ts type-checks
 * the same blocks. What the guide says they print is checked on the output.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { guideBlocks, ROOT, scratchProject } from '../helpers/guide.js'
import { tempDir } from '../helpers/tmpdir.js'

test('every snippet of docs/guide.md runs, in order, and prints what the guide says', async (t) => {
  const all = guideBlocks()
  assert.deepEqual(all.filter((b) => b.lang !== 'ts' && b.lang !== 'sh').map((b) => `${b.lang} at line ${b.line}`), [], 'only ts and sh blocks')
  const s3 = process.env.AILAKE_S3_ENDPOINT ?? ''
  const { dir, cleanup } = await tempDir('ailake-guide-')
  t.after(cleanup)
  scratchProject(dir)
  mkdirSync(join(dir, 'snippets'))
  mkdirSync(join(dir, 'run'))
  const steps: { kind: 'ts' | 'sh'; file: string; line: number }[] = []
  for (const b of all) {
    if (b.tags.includes('install') || (b.tags.includes('s3') && s3 === '')) continue
    const file = join(dir, 'snippets', `${b.name}.${b.lang === 'ts' ? 'mjs' : 'sh'}`)
    // Types are checked by guide-types.test.ts; here they are only stripped.
    writeFileSync(file, b.lang === 'ts' ? ts.transpileModule(b.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText : b.code)
    steps.push({ kind: b.lang === 'ts' ? 'ts' : 'sh', file, line: b.line })
  }
  const runner = join(dir, 'runner.mjs')
  writeFileSync(runner, `
import { execFileSync } from 'node:child_process'
const steps = ${JSON.stringify(steps)}
const cli = ${JSON.stringify(join(ROOT, 'dist/src/cli/main.js'))}
for (const s of steps) {
  console.log('### guide.md line ' + s.line)
  if (s.kind === 'ts') await import(s.file)
  else execFileSync('bash', ['-euo', 'pipefail', '-c', 'ailake() { node ' + JSON.stringify(cli) + ' "$@"; }\\nsource ' + JSON.stringify(s.file)], { stdio: 'inherit' })
}
process.exit(0)
`)
  const env = {
    ...process.env, LAKE_BUCKET: process.env.AILAKE_S3_BUCKET ?? 'ailake-test', S3_ENDPOINT: s3,
    AWS_REGION: process.env.AILAKE_S3_REGION ?? 'us-east-1', AWS_ACCESS_KEY_ID: process.env.AILAKE_S3_ACCESS_KEY_ID ?? 'AK', AWS_SECRET_ACCESS_KEY: process.env.AILAKE_S3_SECRET_ACCESS_KEY ?? 'SK',
  }
  const ran = spawnSync(process.execPath, [runner], { cwd: join(dir, 'run'), env, encoding: 'utf8', timeout: 180_000 })
  const output = ran.stdout + ran.stderr
  assert.equal(ran.status, 0, `the guide's snippets run; the last '### guide.md line N' marks the block that failed:\n${output.slice(-4000)}`)

  // Each block's output, by the line of its fence.
  const printed = (line: number): string => {
    const from = output.indexOf(`### guide.md line ${line}\n`)
    assert.ok(from >= 0, `block at line ${line} ran`)
    const next = output.indexOf('### guide.md line', from + 1)
    return output.slice(from, next < 0 ? undefined : next)
  }
  const prints = (heading: string, re: RegExp): void => {
    const b = all.find((x) => x.code.includes(heading))
    assert.ok(b !== undefined, `a block has ${heading}`)
    assert.match(printed(b.line), re, `the block at guide.md line ${b.line} prints ${re}`)
  }
  prints("await lake.createTable('docs'", /docId: 1n,\s+title: 'cats',\s+year: 2021,\s+_distance: 0\.006/)
  prints('createUseLiteEmbedder()', /^a thermometer measures temperature$/m)
  prints("name: 'letters@1'", /^zebra$/m)
  prints('memTableWriter(', /^auto-0\n8\n8$/m)
  prints('cache: { maxBytes: 64', /^67108864 true$/m)
  prints("codes: 'pq', subvectors: 16", /^42 0 pq 16$/m)
  prints('const filter: Filter', /^\[ 'cats', 'birds' \]$/m)
  prints('docs.history()', /^append 3\n3 3$/m)
  prints('toArrow(arrow)', /^2 a 25$/m)
  prints('int64(\'number\')', /^CATS 0\n\[\{"docId":1,"title":"cats","year":2021,"_distance":0\},[^\n]*\n\[\{"docId":"\d+",/m)
  prints('ailake create cli_docs', /^\[\{"id":"1","title":"thermometer","_distance":0\}\]$/m)
  prints('truncateSync(', /data file \S+\/data\/\S+\.parquet has 100 bytes but the table metadata records/)
  prints('cp -r warehouse backup-copy', /relocated default\.docs from file:\/\/\S+\/run\/warehouse\/default\/docs to file:\/\/\S+\/run\/backup-copy\/default\/docs[\s\S]*no problems found/)
})
