/**
 * The demo is the first thing a newcomer runs: a small WordNet-only run (and a rerun over the
 * same warehouse) must finish and find the expected answers. GloVe is left out (it downloads
 * 118 MB on first use); the CLI tests cover the MemTableWriter path.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const DEMO = fileURLToPath(new URL('../../examples/demo.js', import.meta.url))

function demo(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DEMO, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

test('demo: WordNet part builds demo.wordnet, answers the example queries, and reruns', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ailake-demo-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const args = ['--warehouse', join(dir, 'wh'), '--wordnet', '10', '--glove', '0']
  const first = await demo(args)
  if (first.code !== 0 && /optional packages/.test(first.stderr)) {
    t.skip('the optional USE-lite packages are not installed')
    return
  }
  assert.equal(first.code, 0, first.stderr)
  assert.match(first.stdout, /loaded 10 sampled synsets \+ \d+ naming words/)
  assert.match(first.stdout, /search "device for measuring temperature".*\n\s+0\.\d{3}\s+thermometer:/)
  assert.match(first.stdout, /search "a large body of salt water".*\n\s+0\.\d{3}\s+(sea|ocean)/)
  assert.match(first.stdout, /== info demo\.wordnet[\s\S]*embedder\s+use-lite@\S+ \(512-d\)/)
  const rows = /rows\s+(\d+)/.exec(first.stdout)?.[1]
  const second = await demo(args)
  assert.equal(second.code, 0, second.stderr)
  assert.match(second.stdout, /dropped the demo\.wordnet of an earlier run/)
  assert.equal(/rows\s+(\d+)/.exec(second.stdout)?.[1], rows, 'a rerun replaces the table instead of appending')
  const bad = await demo(['--wordnet', 'lots'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--wordnet must be a count or "all"/)
})
