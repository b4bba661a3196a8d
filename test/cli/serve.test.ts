// `ailake keys` (in this process) and `ailake serve` (a real process): keys are made, listed
// and revoked; serve refuses a public address without keys, prints where it listens, and on
// SIGTERM finishes and commits what writers buffered before it exits 0.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { connect } from '../../src/index.js'
import { run } from '../../src/cli/run.js'
import { tempDir } from '../helpers/tmpdir.js'
import { waitFor } from '../helpers/wait.js'

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

async function cli(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await run(['--warehouse', dir, ...args], { out: (s) => { stdout += `${s}\n` }, err: (s) => { stderr += s }, tty: false, env: {} })
  return { code, stdout, stderr }
}

test('keys create, list, revoke; bad grants and unknown ids are refused', async () => {
  const { dir, cleanup } = await tempDir('ailake-keys-')
  try {
    const made = await cli(dir, ['keys', 'create', '--grant', 'read:*,write:sales', '--name', 'dash'])
    assert.equal(made.code, 0, made.stderr)
    const key = made.stdout.trim()
    assert.match(key, /^ak_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/)
    assert.match(made.stderr, /shown only now/)
    const id = key.split('_')[1] as string
    const list = await cli(dir, ['keys', 'list'])
    assert.match(list.stdout, new RegExp(`${id}\\s+dash\\s+read:\\*,write:sales`))
    // The secret is base64url, which may itself hold '_': it is everything after the id.
    assert.ok(!list.stdout.includes(key.split('_').slice(2).join('_')), 'list never shows a secret')
    const json = JSON.parse((await cli(dir, ['keys', 'list', '--json'])).stdout) as { id: string; grants: string }[]
    assert.deepEqual(json.map((k) => k.id), [id])
    assert.equal((await cli(dir, ['keys', 'create'])).code, 2)
    assert.equal((await cli(dir, ['keys', 'create', '--grant', 'root:*'])).code, 2)
    assert.equal((await cli(dir, ['keys', 'rotate'])).code, 2)
    assert.equal((await cli(dir, ['keys', 'revoke'])).code, 2)
    assert.equal((await cli(dir, ['keys', 'revoke', 'nosuchid0000'])).code, 3)
    assert.equal((await cli(dir, ['keys', 'revoke', id])).code, 0)
    assert.match((await cli(dir, ['keys', 'list'])).stdout, /no API keys/)
  } finally {
    await cleanup()
  }
})

test('serve: no public address without keys; SIGTERM commits buffered rows, then exits 0', async () => {
  const { dir, cleanup } = await tempDir('ailake-serve-')
  try {
    const refused = await cli(dir, ['serve', '--host', '0.0.0.0', '--port', '0'])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /refusing to serve on 0\.0\.0\.0 without API keys/)

    const lake = await connect(dir)
    await lake.createTable('docs', { vector: { dim: 2, metric: 'euclidean' }, schema: { id: 'long' } })
    await lake.close()
    const child = spawn(process.execPath, [MAIN, '--warehouse', dir, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      await waitFor(() => /ailake serving (http:\/\/127\.0\.0\.1:\d+)/.test(out), 'the server to say where it listens', 60_000)
      const url = (/ailake serving (http:\/\/127\.0\.0\.1:\d+)/.exec(out) as RegExpExecArray)[1] as string
      const res = await fetch(`${url}/v1/tables/docs/rows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ buffered: true, rows: [{ id: 1, embedding: [1, 0] }, { id: 2, embedding: [0, 1] }] }) })
      assert.equal(res.status, 202, await res.text())
    } finally {
      child.kill('SIGTERM')
    }
    assert.equal(await exited, 0, err)
    const check = await connect(dir)
    assert.equal(await (await check.openTable('docs')).countRows(), 2, 'the buffered rows were committed at shutdown')
    await check.close()
  } finally {
    await cleanup()
  }
})
