// Runs every compiled *.test.js under dist/test with node's test runner. Node 20 has no glob
// support on the command line, and passing the folder would also run helper scripts.
//
// Time limits, so a hang fails the run with a name instead of stalling CI:
// - per test, AILAKE_TEST_TIMEOUT_MS (default 120 s): scripts/test-watchdog.mjs names the test;
// - per file, AILAKE_TEST_FILE_TIMEOUT_MS (default 20 min): node's --test-timeout, which also
//   ends a file whose tests finished but whose process does not exit (an open handle).
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    return e.isDirectory() ? find(p) : e.name.endsWith('.test.js') ? [p] : []
  })
}

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 11)) {
  console.error(`scripts/test.mjs needs Node >= 20.11 for --test-timeout and --import; this is ${process.versions.node}`)
  process.exit(1)
}
const fileTimeout = Number(process.env.AILAKE_TEST_FILE_TIMEOUT_MS ?? 20 * 60_000)
const watchdog = new URL('./test-watchdog.mjs', import.meta.url).href
const files = find(process.argv[2] ?? 'dist/test').sort()
const r = spawnSync(process.execPath, ['--import', watchdog, '--test', `--test-timeout=${fileTimeout}`, '--test-reporter=spec', ...files], { stdio: 'inherit' })
process.exit(r.status ?? 1)
