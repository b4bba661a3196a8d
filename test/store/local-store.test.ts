import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isAilakeError } from '../../src/errors.js'
import { raceProcesses } from './process-race.js'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { LocalStore } from '../../src/store/local-store.js'
import { runStoreContract } from './contract.js'

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'ailake-store-'))
}

runStoreContract('LocalStore', async () => {
  const root = await tempDir()
  return { store: new LocalStore({ root: path.join(root, 'not-yet-created') }), cleanup: () => rm(root, { recursive: true, force: true }) }
})


async function allFiles(dir: string): Promise<string[]> {
  const ents = await readdir(dir, { recursive: true, withFileTypes: true })
  return ents.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name))).sort()
}

test('LocalStore keys cannot escape the root', async () => {
  const base = await tempDir()
  try {
    const root = path.join(base, 'root')
    const s = new LocalStore({ root })
    await writeFile(path.join(base, 'secret'), 'outside')
    for (const k of ['../secret', 'a/../../secret', '/etc/passwd', `${base}/secret`, 'a\\..\\..\\secret', 'x\0y', 'a//b', './a', 'C:/x']) {
      for (const call of [() => s.get(k), () => s.put(k, new Uint8Array([1])), () => s.putIfAbsent(k, new Uint8Array([1])), () => s.delete(k), () => s.head(k)]) {
        await assert.rejects(call(), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && e.message.includes(JSON.stringify(k)), `key ${JSON.stringify(k)}`)
      }
    }
    await assert.rejects(s.list('../'), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
    assert.equal(await readFile(path.join(base, 'secret'), 'utf8'), 'outside')
    assert.deepEqual(await allFiles(base), ['secret'])
  } finally {
    await rm(base, { recursive: true, force: true })
  }
})

test('LocalStore writes files named by key, skips temp files in list, and leaves none behind', async () => {
  const root = await tempDir()
  try {
    const s = new LocalStore({ root })
    await s.put('ns/t/metadata/v1.metadata.json', new TextEncoder().encode('{}'))
    assert.equal(await s.putIfAbsent('ns/t/metadata/v2.metadata.json', new Uint8Array([1])), true)
    assert.equal(await s.putIfAbsent('ns/t/metadata/v2.metadata.json', new Uint8Array([2])), false)
    // A temp file left by a crashed writer is invisible to list.
    await writeFile(path.join(root, 'ns/t/metadata/.v3.metadata.json.ailake-tmp-999-abc'), 'partial')
    assert.deepEqual((await s.list('ns/')).map((o) => o.key), ['ns/t/metadata/v1.metadata.json', 'ns/t/metadata/v2.metadata.json'])
    assert.deepEqual(await allFiles(root), ['ns/t/metadata/.v3.metadata.json.ailake-tmp-999-abc', 'ns/t/metadata/v1.metadata.json', 'ns/t/metadata/v2.metadata.json'])
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})

test('LocalStore failures are STORE_ERRORs with the cause, and clean up their temp files', async () => {
  const root = await tempDir()
  try {
    const s = new LocalStore({ root })
    await s.put('file', new Uint8Array([1]))
    await s.put('dir/inner', new Uint8Array([2]))
    // 'file' is an object, so 'file/x' cannot be created; 'dir' is a directory, so it cannot be replaced.
    for (const [op, key] of [['put', 'file/x'], ['put', 'dir'], ['putIfAbsent', 'dir']] as const) {
      await assert.rejects(op === 'put' ? s.put(key, new Uint8Array(10)) : s.putIfAbsent(key, new Uint8Array(10)), (e: unknown) => {
        assert.ok(isAilakeError(e, 'STORE_ERROR'), String(e))
        assert.ok(e.cause !== undefined && e.message.includes(JSON.stringify(key)))
        return true
      })
    }
    assert.deepEqual(await allFiles(root), ['dir/inner', 'file'])
    await assert.rejects(s.get('file/x'), (e: unknown) => isAilakeError(e, 'NOT_FOUND'))
    assert.equal(await s.head('file/x'), undefined)
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})

test('LocalStore list does not follow a symlinked directory out of the root', async () => {
  const base = await tempDir()
  try {
    await mkdir(path.join(base, 'outside'))
    await writeFile(path.join(base, 'outside', 'x'), 'x')
    const s = new LocalStore({ root: path.join(base, 'root') })
    await s.put('a', new Uint8Array([1]))
    await symlink(path.join(base, 'outside'), path.join(base, 'root', 'link'))
    assert.deepEqual((await s.list('')).map((o) => o.key), ['a'])
  } finally {
    await rm(base, { recursive: true, force: true })
  }
})

test('LocalStore putIfAbsent across 6 processes: one winner per key, never a partial file', async () => {
  const root = await tempDir()
  try {
    const keys = Array.from({ length: 20 }, (_, i) => `race/k${i}/v1.metadata.json`)
    const { reads } = await raceProcesses({ kind: 'local', root }, { writers: 6, keys, size: 256 * 1024 })
    assert.ok(reads > 0, 'the watcher read objects while the race ran')
    assert.deepEqual((await allFiles(root)).length, keys.length, 'no temp files left behind')
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})
