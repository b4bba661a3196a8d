import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { IndexCacheStore } from '../../src/store/index-cache-store.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { runStoreContract } from './contract.js'

class CountingStore extends MemoryStore {
  ranges = 0
  override async getRange(key: string, offset: number, length?: number): Promise<Uint8Array> {
    this.ranges++
    return super.getRange(key, offset, length)
  }
}

const data = new Uint8Array(4096).map((_, i) => (i * 31) & 0xff)

runStoreContract('IndexCacheStore over MemoryStore', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ailake-cache-'))
  return { store: new IndexCacheStore(new MemoryStore(), { dir, maxBytes: 64 * 1024 }), cleanup: () => rm(dir, { recursive: true, force: true }) }
})

test('IndexCacheStore serves a repeated range from disk, also in a new process-like instance', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ailake-cache-'))
  try {
    const inner = new CountingStore()
    await inner.put('data/f.parquet', data)
    const c = new IndexCacheStore(inner, { dir })
    assert.deepEqual(await c.getRange('data/f.parquet', 100, 500), data.slice(100, 600))
    assert.deepEqual(await c.getRange('data/f.parquet', 100, 500), data.slice(100, 600))
    assert.equal(inner.ranges, 1)
    assert.deepEqual(c.stats, { hits: 1, misses: 1 })
    const again = new IndexCacheStore(inner, { dir })
    assert.deepEqual(await again.getRange('data/f.parquet', 100, 500), data.slice(100, 600))
    assert.equal(inner.ranges, 1, 'the second instance found the range on disk')
    // Suffix and open-ended reads are not cached.
    await again.getRange('data/f.parquet', -8)
    await again.getRange('data/f.parquet', 4000)
    assert.equal(inner.ranges, 3)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('IndexCacheStore keeps its disk use under maxBytes, evicting least recently used ranges', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ailake-cache-'))
  try {
    const inner = new CountingStore()
    await inner.put('f', data)
    const c = new IndexCacheStore(inner, { dir, maxBytes: 1000 })
    for (let i = 0; i < 5; i++) await c.getRange('f', i * 300, 300)
    assert.ok(c.cachedBytes <= 1000, `cached ${c.cachedBytes}`)
    assert.equal((await readdir(dir)).length, 3)
    inner.ranges = 0
    await c.getRange('f', 4 * 300, 300)
    assert.equal(inner.ranges, 0, 'the newest range is still cached')
    await c.getRange('f', 0, 300)
    assert.equal(inner.ranges, 1, 'the oldest range was evicted')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('IndexCacheStore refetches a corrupted cache file and sees rewrites made through it', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ailake-cache-'))
  try {
    const inner = new CountingStore()
    await inner.put('f', data)
    const c = new IndexCacheStore(inner, { dir })
    await c.getRange('f', 0, 100)
    const [file] = await readdir(dir)
    await writeFile(path.join(dir, file as string), new Uint8Array(104).fill(7))
    assert.deepEqual(await c.getRange('f', 0, 100), data.slice(0, 100))
    assert.equal(inner.ranges, 2)
    await c.put('f', new Uint8Array(200).fill(9))
    assert.deepEqual(await c.getRange('f', 0, 100), new Uint8Array(100).fill(9))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
