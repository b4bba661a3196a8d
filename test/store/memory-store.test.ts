import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryStore } from '../../src/store/memory-store.js'
import { FaultyStore } from '../../src/store/faulty-store.js'
import { RetryStore } from '../../src/store/retry-store.js'
import { runStoreContract } from './contract.js'

runStoreContract('MemoryStore', async () => ({ store: new MemoryStore(), cleanup: async () => {} }))
runStoreContract('FaultyStore(failRate 0) over MemoryStore', async () => ({ store: new FaultyStore(new MemoryStore(), { failRate: 0, seed: 1 }), cleanup: async () => {} }))
runStoreContract('RetryStore over FaultyStore(failRate 0.2, dropRate 0.1)', async () => ({
  store: new RetryStore(new FaultyStore(new MemoryStore(), { failRate: 0.2, dropRate: 0.1, seed: 42 }), { maxAttempts: 30, baseDelayMs: 0, maxDelayMs: 1 }),
  cleanup: async () => {},
}))

test('MemoryStore keeps its contents after close, so a lake can be reopened on it', async () => {
  const s = new MemoryStore()
  await s.put('k', new Uint8Array([1, 2]))
  await s.close()
  assert.deepEqual(await s.get('k'), new Uint8Array([1, 2]))
})
