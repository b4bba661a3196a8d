// Runs every compiled *.test.js under dist/test with node's test runner. Node 20 has no glob
// support on the command line, and passing the folder would also run helper scripts.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    return e.isDirectory() ? find(p) : e.name.endsWith('.test.js') ? [p] : []
  })
}

const files = find(process.argv[2] ?? 'dist/test').sort()
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' })
process.exit(r.status ?? 1)
