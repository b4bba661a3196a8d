import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LocalStore } from '../../src/store/local-store.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { FaultyStore } from '../../src/store/faulty-store.js'
import { RetryStore } from '../../src/store/retry-store.js'
import type { ObjectStore } from '../../src/store/object-store.js'
import { isAilakeError } from '../../src/errors.js'
import { tempDir } from '../helpers/tmpdir.js'

async function checkAppends(store: ObjectStore): Promise<void> {
  const create = store.createAppendable?.bind(store)
  assert.ok(create !== undefined, 'the store can append')
  const h = await create('logs/a/0001.wal')
  assert.ok(h !== undefined)
  assert.deepEqual([...await store.get('logs/a/0001.wal')], [], 'created empty')
  await h.append(new Uint8Array([1, 2, 3]))
  await h.append(new Uint8Array([4]))
  assert.deepEqual([...await store.get('logs/a/0001.wal')], [1, 2, 3, 4], 'appends land in order')
  assert.equal((await store.head('logs/a/0001.wal'))?.size, 4)
  assert.equal(await create('logs/a/0001.wal'), undefined, 'a second create of the key is refused, like putIfAbsent')
  assert.equal(await store.putIfAbsent('logs/a/0001.wal', new Uint8Array([9])), false)
  await h.append(new Uint8Array(1000).fill(7))
  assert.equal((await store.get('logs/a/0001.wal')).length, 1004)
  await h.close()
  assert.deepEqual((await store.list('logs/')).map((i) => i.key), ['logs/a/0001.wal'])
  await store.delete('logs/a/0001.wal')
  assert.equal(await store.head('logs/a/0001.wal'), undefined)
}

test('MemoryStore appends in place and creates exclusively', async () => {
  await checkAppends(new MemoryStore())
})

test('LocalStore appends in place (with and without fsync) and creates exclusively', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    await checkAppends(new LocalStore({ root: dir }))
    await checkAppends(new LocalStore({ root: `${dir}/nofsync`, fsync: false }))
  } finally {
    await cleanup()
  }
})

test('wrappers pass appends through; FaultyStore can fail them', async () => {
  await checkAppends(new RetryStore(new MemoryStore()))
  const faulty = new FaultyStore(new MemoryStore(), { failRate: 1, seed: 1, ops: ['append'] })
  const h = await faulty.createAppendable?.('x.wal')
  assert.ok(h !== undefined)
  await assert.rejects(h.append(new Uint8Array([1])), (e: unknown) => isAilakeError(e, 'STORE_ERROR'))
  // A store that cannot append does not pretend to.
  const plain: ObjectStore = { ...new MemoryStore(), get: async () => new Uint8Array(0) } as unknown as ObjectStore
  assert.equal(new RetryStore(plain).createAppendable, undefined)
})
