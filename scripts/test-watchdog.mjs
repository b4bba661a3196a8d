// Preloaded (--import) into every test file's process by scripts/test.mjs: a per-test time limit.
// Node 20's --test-timeout bounds only whole files, and reports a hang by the file's name alone;
// this names the test, then ends the file's process so the run fails instead of hanging.
//
// The limit is AILAKE_TEST_TIMEOUT_MS (default 120 s). A test that declares a longer
// `{ timeout: N }` keeps it: node:test hides a test's options from hooks, so every test of a file
// that declares one gets the file's longest declared timeout (plus a grace second).
import { readFileSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'

const DEFAULT_MS = Number(process.env.AILAKE_TEST_TIMEOUT_MS ?? 120_000)
const file = process.argv[1] ?? ''

// Worker threads inherit --import; only the test file's own thread runs tests.
if (isMainThread && process.env.NODE_TEST_CONTEXT !== undefined && /\.test\.[cm]?js$/.test(file)) {
  const declared = [...readFileSync(file, 'utf8').matchAll(/\btimeout:\s*([\d_]+)/g)].map((m) => Number(m[1].replaceAll('_', '')) + 1000)
  const limitMs = Math.max(DEFAULT_MS, ...declared)
  const { beforeEach, afterEach } = await import('node:test')
  const timers = new Map()
  beforeEach((t) => {
    const started = Date.now()
    const timer = setTimeout(() => {
      process.stderr.write(`\n✖ test timed out: "${t.name}" in ${file} was still running after ${Math.round((Date.now() - started) / 1000)} s ` +
        `(limit ${limitMs / 1000} s per test; AILAKE_TEST_TIMEOUT_MS changes the default). Ending this file's process.\n`)
      process.exit(1)
    }, limitMs)
    timer.unref()
    timers.set(t, timer)
  })
  afterEach((t) => {
    clearTimeout(timers.get(t))
    timers.delete(t)
  })
}
