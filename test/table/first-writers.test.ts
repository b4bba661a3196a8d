// 8 processes make the first write to a table whose columns are inferred, all at once, with
// rows of the same columns listed in two orders. Every write lands: writers infer the same
// schema from the same columns, and a concurrent identical schema does not fail a commit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { icebergRead } from 'icebird'
import { connect } from '../../src/index.js'
import { checkFieldIds } from '../helpers/field-ids.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import type { ChildResult } from '../helpers/child.js'
import { tempDir } from '../helpers/tmpdir.js'

const WORKER = fileURLToPath(new URL('./first-writer-worker.js', import.meta.url))
const WRITERS = 8

/**
 * Starts the writers, waits until every one has opened the table (each prints "ready"), then
 * lets them all go at once. Bounded: a writer still running after 120 s is killed.
 */
function race(dir: string): Promise<ChildResult[]> {
  let ready = 0
  const children = Array.from({ length: WRITERS }, (_, w) => spawn(process.execPath, [WORKER, dir, 'default.first', String(w)], { stdio: ['pipe', 'pipe', 'pipe'] }))
  return Promise.all(children.map((child) => new Promise<ChildResult>((resolve) => {
    let out = ''
    let err = ''
    const fallback = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.stdout.on('data', (d: Buffer) => {
      const before = out.includes('ready\n')
      out += d.toString()
      if (!before && out.includes('ready\n') && ++ready === WRITERS) for (const c of children) c.stdin.end('go\n')
    })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.on('close', (code) => {
      clearTimeout(fallback)
      // A writer that failed before "ready" must not leave the others waiting.
      if (!out.includes('ready\n')) for (const c of children) c.stdin.end('go\n')
      resolve({ code, out: out.replace('ready\n', ''), err })
    })
  })))
}

test(`${WRITERS} processes racing the first write of an inferred table all succeed`, { timeout: 240_000 }, async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    await (await connect(dir)).createTable('default.first', { vector: { dim: 2, metric: 'euclidean' } })
    const results = await race(dir)
    for (const r of results) assert.equal(r.code, 0, r.err)
    const reports = results.map((r) => JSON.parse(r.out) as { worker: number; pending: boolean; snapshot: string })
    assert.ok(reports.every((r) => r.pending), 'every writer opened the table before its columns were set')

    const table = await (await connect(dir)).openTable('default.first')
    assert.deepEqual(new Set(table.history().map((h) => String(h.snapshotId))), new Set(reports.map((r) => r.snapshot)))
    assert.deepEqual(table.columns().map((c) => c.name).sort(), ['embedding', 'id', 'text'])
    await checkFieldIds(dir, 'default/first')
    const rows = await icebergRead({ tableUrl: `${dir}/default/first` })
    const got = rows.map((r) => `${Number(r.id)}:${String(r.text)}`).sort()
    const want = Array.from({ length: WRITERS }, (_, w) => [0, 1].map((j) => `${w * 10 + j}:w${w}r${j}`)).flat().sort()
    assert.deepEqual(got, want)
  } finally {
    restore()
    await cleanup()
  }
})
