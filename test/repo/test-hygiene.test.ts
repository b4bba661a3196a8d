/**
 * The suite's own guarantees: a hung test fails the run naming the test (scripts/test.mjs with
 * its watchdog), waits in tests have deadlines, and no test polls in an open-ended loop.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitFor } from '../helpers/wait.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

test('scripts/test.mjs fails a hung test by name, keeps declared timeouts, and ends a file that never exits', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ailake-hang-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
  const sleep = "const sleep = (ms) => new Promise((r) => setTimeout(r, ms))\n"
  writeFileSync(join(dir, 'hang.test.js'), `import { test } from 'node:test'\n${sleep}` +
    "test('quick', async () => { await sleep(10) })\n" +
    "test('polls for ever', async () => { for (;;) await sleep(50) })\n")
  writeFileSync(join(dir, 'declared.test.js'), `import { test } from 'node:test'\n${sleep}` +
    "test('slow but declared', { timeout: 4_000 }, async () => { await sleep(2500) })\n")
  writeFileSync(join(dir, 'leak.test.js'), "import { test } from 'node:test'\ntest('leaves a timer', () => { setInterval(() => {}, 1000) })\n")
  // A fresh run, as CI starts it: without this process's NODE_TEST_CONTEXT.
  const { NODE_TEST_CONTEXT: _inTest, ...env } = process.env
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/test.mjs'), dir], {
    env: { ...env, AILAKE_TEST_TIMEOUT_MS: '1500', AILAKE_TEST_FILE_TIMEOUT_MS: '5000' }, encoding: 'utf8', timeout: 60_000,
  })
  const out = r.stdout + r.stderr
  assert.equal(r.status, 1, out)
  assert.match(out, /✖ test timed out: "polls for ever" in \S+hang\.test\.js was still running after \d+ s \(limit 1\.5 s per test/)
  assert.match(out, /✔ quick/)
  assert.match(out, /✔ slow but declared/, 'a test declaring a longer timeout keeps it')
  assert.match(out, /leak\.test\.js \(\d+(\.\d+)?ms\)\s+'test timed out after 5000ms'/, 'a file that never exits fails by its name')
})

test('waitFor gives up at its deadline, naming what it waited for', async () => {
  let polls = 0
  await waitFor(() => ++polls === 3, 'the third poll', 5_000, 1)
  assert.equal(polls, 3)
  await assert.rejects(waitFor(() => false, 'a condition that never holds', 50, 5), /gave up after 50 ms waiting for a condition that never holds/)
})

function testSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    return e.isDirectory() ? (e.name === 'fixtures' ? [] : testSources(p)) : e.name.endsWith('.ts') ? [p] : []
  })
}

test('no test polls in an open-ended loop (use waitFor from test/helpers/wait.ts)', () => {
  const loops: string[] = []
  for (const file of testSources(join(ROOT, 'test'))) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const polling = /\bwhile\s*\(.*\)\s*(\{\s*)?await\b/.test(line) || /\bfor\s*\(\s*;\s*;\s*\)/.test(line)
      if (polling && !file.endsWith('test-hygiene.test.ts')) loops.push(`${file.slice(ROOT.length)}:${i + 1}: ${line.trim()}`)
    })
  }
  assert.deepEqual(loops, [])
})
