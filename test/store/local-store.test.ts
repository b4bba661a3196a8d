import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isAilakeError } from '../../src/errors.js'
import { raceProcesses } from './process-race.js'
import fsp, { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile, type FileHandle } from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'
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

/**
 * Records the file system calls LocalStore makes (fs/promises is patched in place, which ES
 * module bindings of built-ins follow after syncBuiltinESMExports), as "op relative-path".
 */
async function withFsLog<T>(root: string, fn: (log: string[]) => Promise<T>): Promise<T> {
  const log: string[] = []
  const rel = (p: unknown): string => path.relative(root, String(p)).split(path.sep).join('/') || '.'
  const saved = { open: fsp.open, rename: fsp.rename, link: fsp.link, mkdir: fsp.mkdir }
  fsp.open = (async (p: Parameters<typeof fsp.open>[0], ...rest: unknown[]) => {
    const fh = await (saved.open as (...a: unknown[]) => Promise<FileHandle>)(p, ...rest)
    const sync = fh.sync.bind(fh)
    fh.sync = async () => { await sync(); log.push(`sync ${rel(p)}`) }
    return fh
  }) as typeof fsp.open
  fsp.rename = (async (from: string, to: string) => { await saved.rename(from, to); log.push(`rename ${rel(to)}`) }) as typeof fsp.rename
  fsp.link = (async (from: string, to: string) => { await saved.link(from, to); log.push(`link ${rel(to)}`) }) as typeof fsp.link
  fsp.mkdir = (async (p: string, o: unknown) => { const r = await (saved.mkdir as (...a: unknown[]) => Promise<string | undefined>)(p, o); log.push(`mkdir ${rel(p)}`); return r }) as typeof fsp.mkdir
  syncBuiltinESMExports()
  try {
    return await fn(log)
  } finally {
    Object.assign(fsp, saved)
    syncBuiltinESMExports()
  }
}

const isTemp = (entry: string): boolean => entry.includes('.ailake-tmp-')

test('LocalStore with fsync makes a publish durable: the directory is synced after the rename or link, and every directory created above it', async () => {
  const base = await tempDir()
  try {
    const root = path.join(base, 'root')
    const s = new LocalStore({ root })
    await withFsLog(root, async (log) => {
      await s.put('ns/t/metadata/version-hint.text', new Uint8Array([1]))
      const put = log.filter((e) => !isTemp(e))
      const renamed = put.indexOf('rename ns/t/metadata/version-hint.text')
      assert.ok(renamed >= 0, put.join('\n'))
      assert.ok(put.indexOf('sync ns/t/metadata') > renamed, `directory synced after the rename:\n${put.join('\n')}`)
      // root, ns, ns/t and ns/t/metadata were created: each new entry lives in its parent.
      for (const parent of ['..', '.', 'ns', 'ns/t']) assert.ok(put.includes(`sync ${parent}`), `parent ${parent} of a created directory synced:\n${put.join('\n')}`)
      assert.ok(log.some((e) => isTemp(e) && e.startsWith('sync ')), 'the bytes are synced before they are published')

      log.length = 0
      assert.equal(await s.putIfAbsent('ns/t/metadata/v1.metadata.json', new Uint8Array([2])), true)
      const linked = log.indexOf('link ns/t/metadata/v1.metadata.json')
      assert.ok(linked >= 0 && log.indexOf('sync ns/t/metadata') > linked, `directory synced after the link:\n${log.join('\n')}`)
      assert.ok(!log.some((e) => e.startsWith('mkdir')), 'existing directories are not created again')

      log.length = 0
      const w = await s.createAppendable('ns/t/wal/w1/0001.wal')
      await w?.close()
      for (const d of ['ns/t', 'ns/t/wal', 'ns/t/wal/w1']) assert.ok(log.includes(`sync ${d}`), `appendable: ${d} synced:\n${log.join('\n')}`)
    })
  } finally {
    await rm(base, { recursive: true, force: true })
  }
})

test('LocalStore with fsync: false syncs nothing', async () => {
  const base = await tempDir()
  try {
    const s = new LocalStore({ root: path.join(base, 'root'), fsync: false })
    await withFsLog(s.root, async (log) => {
      await s.put('a/b/c', new Uint8Array([1]))
      assert.equal(await s.putIfAbsent('a/b/d', new Uint8Array([1])), true)
      await (await s.createAppendable('a/e/f'))?.close()
      assert.ok(log.includes('rename a/b/c') && log.includes('link a/b/d'), log.join('\n'))
      assert.deepEqual(log.filter((e) => e.startsWith('sync')), [])
    })
  } finally {
    await rm(base, { recursive: true, force: true })
  }
})
