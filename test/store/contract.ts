// The ObjectStore contract: one suite every backend must pass. Imported by the per-store test files.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { isAilakeError } from '../../src/errors.js'
import type { ObjectStore } from '../../src/store/object-store.js'

export interface StoreFixture {
  store: ObjectStore
  cleanup(): Promise<void>
}

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)

function pattern(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed >>> 0
  for (let i = 0; i < n; i++) {
    x = (x * 1664525 + 1013904223) >>> 0
    out[i] = x >>> 24
  }
  return out
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isAilakeError(err), `expected AilakeError ${code}, got ${String(err)}`)
    assert.equal(err.code, code, err.message)
    return true
  })
}

export interface ContractOptions {
  /** Skip the whole suite with this visible reason. */
  skip?: string | false
  /** Objects written by the pagination test; pair a small count with a small page size on slow stores. Default 1100. */
  listManyCount?: number
}

/** Registers the contract tests for one store; `make` gives a fresh, empty store for the suite. */
export function runStoreContract(name: string, make: () => Promise<StoreFixture>, opts: ContractOptions = {}): void {
  describe(`ObjectStore contract: ${name}`, { skip: opts.skip ?? false }, () => {
    let fx: StoreFixture
    let s: ObjectStore
    before(async () => {
      fx = await make()
      s = fx.store
    })
    after(async () => {
      await fx.store.close()
      await fx.cleanup()
    })

    test('put then get returns the same bytes; head reports the size', async () => {
      await s.put('a/b/c.bin', enc('hello world'))
      assert.equal(dec(await s.get('a/b/c.bin')), 'hello world')
      const info = await s.head('a/b/c.bin')
      assert.equal(info?.key, 'a/b/c.bin')
      assert.equal(info?.size, 11)
    })

    test('missing keys: get and getRange reject NOT_FOUND, head is undefined, delete is a no-op', async () => {
      await rejectsWith(s.get('missing/x'), 'NOT_FOUND')
      await rejectsWith(s.getRange('missing/x', 0, 1), 'NOT_FOUND')
      await rejectsWith(s.getRange('missing/x', -1), 'NOT_FOUND')
      assert.equal(await s.head('missing/x'), undefined)
      await s.delete('missing/x')
      await s.delete('missing/deeper/x')
    })

    test('a prefix "directory" is not an object', async () => {
      await s.put('dir/inner/obj', enc('x'))
      assert.equal(await s.head('dir/inner'), undefined)
      await rejectsWith(s.get('dir/inner'), 'NOT_FOUND')
    })

    test('empty objects round-trip', async () => {
      await s.put('empty/one', new Uint8Array(0))
      assert.equal((await s.get('empty/one')).length, 0)
      assert.equal((await s.head('empty/one'))?.size, 0)
      assert.equal((await s.getRange('empty/one', 0, 0)).length, 0)
      assert.equal((await s.getRange('empty/one', 0)).length, 0)
      await rejectsWith(s.getRange('empty/one', -1), 'INVALID_ARGUMENT')
      assert.equal(await s.putIfAbsent('empty/two', new Uint8Array(0)), true)
      assert.equal((await s.get('empty/two')).length, 0)
    })

    test('put replaces an existing object and changes its etag', async () => {
      await s.put('replace/k', enc('first version'))
      const before = await s.head('replace/k')
      await s.put('replace/k', enc('second'))
      assert.equal(dec(await s.get('replace/k')), 'second')
      const after = await s.head('replace/k')
      assert.equal(after?.size, 6)
      if (before?.etag !== undefined) assert.notEqual(after?.etag, before.etag)
    })

    test('getRange: interior, edges, open-ended and suffix ranges', async () => {
      const data = pattern(1000)
      await s.put('range/obj', data)
      assert.deepEqual(await s.getRange('range/obj', 0, 10), data.slice(0, 10))
      assert.deepEqual(await s.getRange('range/obj', 500, 123), data.slice(500, 623))
      assert.deepEqual(await s.getRange('range/obj', 990, 10), data.slice(990))
      assert.deepEqual(await s.getRange('range/obj', 999, 1), data.slice(999))
      assert.deepEqual(await s.getRange('range/obj', 0, 1000), data)
      assert.deepEqual(await s.getRange('range/obj', 400), data.slice(400))
      assert.equal((await s.getRange('range/obj', 1000, 0)).length, 0)
      assert.equal((await s.getRange('range/obj', 1000)).length, 0)
      assert.equal((await s.getRange('range/obj', 37, 0)).length, 0)
      assert.deepEqual(await s.getRange('range/obj', -8), data.slice(992))
      assert.deepEqual(await s.getRange('range/obj', -1), data.slice(999))
      assert.deepEqual(await s.getRange('range/obj', -1000), data)
    })

    test('getRange outside the object or with bad numbers is INVALID_ARGUMENT', async () => {
      await s.put('range/small', pattern(100))
      await rejectsWith(s.getRange('range/small', 95, 10), 'INVALID_ARGUMENT')
      await rejectsWith(s.getRange('range/small', 100, 1), 'INVALID_ARGUMENT')
      await rejectsWith(s.getRange('range/small', 101), 'INVALID_ARGUMENT')
      await rejectsWith(s.getRange('range/small', 200, 0), 'INVALID_ARGUMENT')
      await rejectsWith(s.getRange('range/small', -101), 'INVALID_ARGUMENT')
      await rejectsWith(s.getRange('range/small', -5, 2), 'INVALID_ARGUMENT')
      await rejectsWith(s.getRange('range/small', 0, -1), 'INVALID_ARGUMENT')
      await rejectsWith(s.getRange('range/small', 1.5, 2), 'INVALID_ARGUMENT')
      await rejectsWith(s.getRange('range/small', Number.NaN, 2), 'INVALID_ARGUMENT')
    })

    test('list: prefix semantics, sorted by key, sizes, no directories', async () => {
      const keys = ['ls/b/2', 'ls/a', 'ls/b/1', 'ls/ab', 'ls/c/d/e/f', 'ls-other/x', 'lsx', 'ls/B']
      for (const [i, k] of keys.entries()) await s.put(k, pattern(i + 1))
      const all = await s.list('ls/')
      assert.deepEqual(all.map((o) => o.key), ['ls/B', 'ls/a', 'ls/ab', 'ls/b/1', 'ls/b/2', 'ls/c/d/e/f'])
      assert.deepEqual(all.map((o) => o.size), [8, 2, 4, 3, 1, 5])
      assert.deepEqual((await s.list('ls/a')).map((o) => o.key), ['ls/a', 'ls/ab'])
      assert.deepEqual((await s.list('ls/b/')).map((o) => o.key), ['ls/b/1', 'ls/b/2'])
      assert.deepEqual((await s.list('ls')).map((o) => o.key), ['ls-other/x', 'ls/B', 'ls/a', 'ls/ab', 'ls/b/1', 'ls/b/2', 'ls/c/d/e/f', 'lsx'])
      assert.deepEqual((await s.list('ls/c/d')).map((o) => o.key), ['ls/c/d/e/f'])
      assert.deepEqual(await s.list('ls/zzz'), [])
      assert.deepEqual(await s.list('nothing-here/'), [])
      await s.delete('ls/b/1')
      assert.deepEqual((await s.list('ls/b')).map((o) => o.key), ['ls/b/2'])
    })

    test('list with an empty prefix returns every object', async () => {
      const all = await s.list('')
      const keys = all.map((o) => o.key)
      assert.ok(keys.includes('a/b/c.bin') && keys.includes('ls/a') && keys.includes('lsx'))
      assert.deepEqual([...keys].sort(), keys.slice().sort())
    })

    test('list pages through more objects than one response holds', async () => {
      const n = opts.listManyCount ?? 1100
      const batch: Promise<void>[] = []
      for (let i = 0; i < n; i++) batch.push(s.put(`many/${String(i).padStart(5, '0')}`, enc(String(i))))
      await Promise.all(batch)
      const got = await s.list('many/')
      assert.equal(got.length, n)
      assert.equal(got[0]?.key, 'many/00000')
      assert.equal(got[n - 1]?.key, `many/${String(n - 1).padStart(5, '0')}`)
      for (let i = 1; i < n; i++) assert.ok((got[i - 1]?.key ?? '') < (got[i]?.key ?? ''))
    })

    test('delete removes the object', async () => {
      await s.put('del/k', enc('x'))
      await s.delete('del/k')
      assert.equal(await s.head('del/k'), undefined)
      await rejectsWith(s.get('del/k'), 'NOT_FOUND')
      assert.deepEqual(await s.list('del/'), [])
    })

    test('putIfAbsent creates once, then returns false and leaves the object unchanged', async () => {
      assert.equal(await s.putIfAbsent('pia/k', enc('winner')), true)
      assert.equal(await s.putIfAbsent('pia/k', enc('loser')), false)
      assert.equal(dec(await s.get('pia/k')), 'winner')
      await s.put('pia/existing', enc('plain put'))
      assert.equal(await s.putIfAbsent('pia/existing', enc('nope')), false)
      assert.equal(dec(await s.get('pia/existing')), 'plain put')
      await s.delete('pia/k')
      assert.equal(await s.putIfAbsent('pia/k', enc('again')), true)
      assert.equal(dec(await s.get('pia/k')), 'again')
    })

    test('concurrent putIfAbsent from 16 promises: exactly one wins and its bytes are stored', async () => {
      for (let round = 0; round < 3; round++) {
        const key = `race/r${round}`
        const results = await Promise.all(Array.from({ length: 16 }, (_, i) => s.putIfAbsent(key, enc(`writer-${i}-`.repeat(50)))))
        const winners = results.flatMap((ok, i) => (ok ? [i] : []))
        assert.equal(winners.length, 1, `round ${round}: winners ${winners.join(',')}`)
        assert.equal(dec(await s.get(key)), `writer-${winners[0]}-`.repeat(50))
      }
    })

    test('binary round trip of every byte value and of a 6 MB object', async () => {
      const all = new Uint8Array(256).map((_, i) => i)
      await s.put('bin/all', all)
      assert.deepEqual(await s.get('bin/all'), all)
      const big = pattern(6 * 1024 * 1024 + 13, 99)
      await s.put('bin/big', big)
      assert.equal((await s.head('bin/big'))?.size, big.length)
      const back = await s.get('bin/big')
      assert.equal(back.length, big.length)
      assert.ok(Buffer.from(back).equals(Buffer.from(big)))
      assert.deepEqual(await s.getRange('bin/big', 5_000_000, 100), big.slice(5_000_000, 5_000_100))
      assert.deepEqual(await s.getRange('bin/big', -77), big.slice(big.length - 77))
    })

    test('callers cannot mutate stored objects through the buffers they passed or received', async () => {
      const src = enc('immutable')
      await s.put('mut/k', src)
      src[0] = 0x58
      const got = await s.get('mut/k')
      assert.equal(dec(got), 'immutable')
      got[0] = 0x58
      assert.equal(dec(await s.get('mut/k')), 'immutable')
      const part = await s.getRange('mut/k', 0, 3)
      part[0] = 0x58
      assert.equal(dec(await s.get('mut/k')), 'immutable')
    })

    test('invalid keys are rejected with INVALID_ARGUMENT by every method', async () => {
      const bad = ['', '/abs', 'a/../b', '..', 'a/./b', 'a//b', 'a/', 'a\\b', 'nul\0x', 'x/.a.ailake-tmp-1']
      for (const k of bad) {
        await rejectsWith(s.get(k), 'INVALID_ARGUMENT')
        await rejectsWith(s.getRange(k, 0, 1), 'INVALID_ARGUMENT')
        await rejectsWith(s.head(k), 'INVALID_ARGUMENT')
        await rejectsWith(s.put(k, enc('x')), 'INVALID_ARGUMENT')
        await rejectsWith(s.putIfAbsent(k, enc('x')), 'INVALID_ARGUMENT')
        await rejectsWith(s.delete(k), 'INVALID_ARGUMENT')
      }
      for (const p of ['/abs', 'a/../', '..', 'a\\', 'x\0']) await rejectsWith(s.list(p), 'INVALID_ARGUMENT')
    })

    test('keys with spaces, unicode and dots in names work', async () => {
      const keys = ['odd/with space.json', 'odd/ünï-cödé/日本', 'odd/.hidden', 'odd/a..b', 'odd/v1.metadata.json']
      for (const k of keys) await s.put(k, enc(k))
      for (const k of keys) assert.equal(dec(await s.get(k)), k)
      assert.deepEqual((await s.list('odd/')).map((o) => o.key), [...keys].sort())
    })
  })
}
