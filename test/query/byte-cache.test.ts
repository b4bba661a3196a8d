import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ByteCache } from '../../src/query/byte-cache.js'
import { cacheBudget, QueryCaches } from '../../src/query/caches.js'
import { seededRandom } from '../../src/util/rng.js'

/**
 * The policy spelled out as plainly as possible (arrays scanned in full, counts in an object),
 * independent of the Map-ordering tricks of ByteCache: least recent first in `order`; a key is
 * counted on every get (capped at 15); after max(512, 8 x entries held) gets every count is
 * halved (1 -> forgotten); an entry that does not fit is admitted only if it was counted more
 * often than every entry, oldest first, that must go to make room (by 2, unless that entry's count
 * is 0), zero-size entries skipped.
 */
class Reference {
  order: { key: string; size: number }[] = []
  counts: Record<string, number> = {}
  gets = 0
  constructor(readonly max: number) {}
  total(): number { return this.order.reduce((s, e) => s + e.size, 0) }
  get(key: string): boolean {
    this.counts[key] = Math.min(15, (this.counts[key] ?? 0) + 1)
    this.gets++
    if (this.gets >= Math.max(512, 8 * this.order.length)) {
      this.gets = 0
      for (const k of Object.keys(this.counts)) {
        const c = this.counts[k] as number
        if (c <= 1) delete this.counts[k]
        else this.counts[k] = Math.floor(c / 2)
      }
    }
    const i = this.order.findIndex((e) => e.key === key)
    if (i < 0) return false
    const [e] = this.order.splice(i, 1)
    this.order.push(e as { key: string; size: number })
    return true
  }
  set(key: string, size: number): boolean {
    this.order = this.order.filter((e) => e.key !== key)
    if (size > this.max) return false
    if (this.total() + size > this.max) {
      const c = this.counts[key] ?? 0
      let free = this.max - this.total()
      for (const e of this.order) {
        if (free >= size) break
        if (e.size === 0) continue
        const v = this.counts[e.key] ?? 0
        if (v > 0 && c <= v + 1) return false
        free += e.size
      }
      if (free < size) return false
    }
    this.order.push({ key, size })
    while (this.total() > this.max) {
      const i = this.order.findIndex((e) => e.size > 0)
      this.order.splice(i, 1)
    }
    return true
  }
  delete(key: string): void { this.order = this.order.filter((e) => e.key !== key) }
}

test('ByteCache follows the reference model on random traces; bytes never exceed the bound', () => {
  const CASES = 300
  for (let seed = 1; seed <= CASES; seed++) {
    const rnd = seededRandom(seed)
    const max = 1 + Math.floor(rnd() * 400)
    const keys = 2 + Math.floor(rnd() * 40)
    const skew = rnd() < 0.5
    const cache = new ByteCache<number>(max)
    const ref = new Reference(max)
    const steps = 200 + Math.floor(rnd() * 1500)
    for (let s = 0; s < steps; s++) {
      const r = rnd()
      const k = `k${Math.floor((skew ? rnd() * rnd() : rnd()) * keys)}`
      const where = `seed ${seed}, step ${s}, key ${k}`
      if (r < 0.6) {
        const hit = cache.get(k) !== undefined
        assert.equal(hit, ref.get(k), `${where}: get`)
        if (!hit) {
          // A miss loads and stores, sometimes as a zero-size reservation resized later (as fileVectors does).
          const size = rnd() < 0.1 ? 0 : 1 + Math.floor(rnd() * max * (rnd() < 0.05 ? 2 : 0.3))
          assert.equal(cache.set(k, s, size), ref.set(k, size), `${where}: set ${size}`)
        }
      } else if (r < 0.9) {
        const size = Math.floor(rnd() * max * 0.3)
        if (cache.peek(k) !== undefined) assert.equal(cache.set(k, s, size), ref.set(k, size), `${where}: resize to ${size}`)
      } else {
        cache.delete(k)
        ref.delete(k)
      }
      assert.ok(cache.size <= max, `${where}: ${cache.size} bytes held, bound ${max}`)
      assert.equal(cache.size, ref.total(), `${where}: bytes held`)
      assert.equal(cache.entries, ref.order.length, `${where}: entries held`)
    }
  }
})

test('a cyclic scan over more than fits keeps a stable part resident (plain LRU: none)', () => {
  for (const [files, fit] of [[10, 6], [10, 9], [35, 20], [3, 2], [100, 10]] as const) {
    const size = 1000
    const cache = new ByteCache<number>(fit * size + 500)
    const ref = { order: [] as number[], hits: 0 }
    let hits = 0
    let gets = 0
    let worst = Infinity
    for (let round = 0; round < 200; round++) {
      let roundHits = 0
      for (let f = 0; f < files; f++) {
        const key = `f${f}`
        const hit = cache.get(key) !== undefined
        if (!hit) cache.set(key, f, size)
        if (hit) roundHits++
        if (round >= 100) { gets++; if (hit) hits++ }
        // Plain LRU over the same trace, for contrast.
        const i = ref.order.indexOf(f)
        if (i >= 0) { ref.order.splice(i, 1); if (round >= 100) ref.hits++ }
        ref.order.push(f)
        if (ref.order.length > fit) ref.order.shift()
      }
      assert.ok(cache.size <= fit * size + 500)
      if (round >= 1) worst = Math.min(worst, roundHits)
    }
    assert.equal(ref.hits, 0, 'plain LRU hits nothing under this scan')
    // Every round after the first hits the files that fit: the hit ratio is what fits, not 0.
    const where = `${files} files, ${fit} fit: hit ratio ${hits / gets}, worst round ${worst} hits`
    assert.equal(worst, fit, where)
    assert.equal(hits / gets, fit / files, where)
  }
})

test('every entry can be evicted: a new working set displaces one asked for often before', () => {
  const rnd = seededRandom(7)
  const cache = new ByteCache<number>(10_000)
  for (let i = 0; i < 5000; i++) {
    const k = `old${Math.floor(rnd() * 10)}`
    if (cache.get(k) === undefined) cache.set(k, i, 1000)
  }
  assert.equal(cache.entries, 10)
  let last = -1
  for (let i = 0; i < 20_000; i++) {
    const k = `new${Math.floor(rnd() * 10)}`
    if (cache.get(k) === undefined) cache.set(k, i, 1000)
    if (last < 0 && [...Array(10).keys()].every((j) => cache.peek(`old${j}`) === undefined)) last = i
  }
  assert.ok(last >= 0, 'the old set was evicted')
  for (let j = 0; j < 10; j++) assert.notEqual(cache.peek(`new${j}`), undefined, `new${j} is held`)
  // An entry larger than the bound is never held, so the bound holds.
  assert.equal(cache.set('huge', 0, 10_001), false)
  assert.ok(cache.size <= 10_000)
})

test('cache.maxBytes is split among the caches, explicit bounds count against it, and bad bounds are refused', () => {
  const MiB = 2 ** 20
  const b = cacheBudget({ maxBytes: 256 * MiB })
  assert.equal(b.maxBytes, 256 * MiB)
  const sum = b.index + b.vectorPages + b.columns + b.masks + b.texts
  assert.ok(sum <= 256 * MiB && sum > 256 * MiB - 8, `shares add up to ${sum}`)
  assert.equal(b.index, Math.floor(256 * MiB * 0.8))
  const e = cacheBudget({ maxBytes: 100 * MiB, maxIndexBytes: 90 * MiB })
  assert.equal(e.index, 90 * MiB)
  assert.ok(e.vectorPages + e.columns + e.masks + e.texts <= 10 * MiB)
  assert.equal(e.vectorPages, Math.floor(10 * MiB * 0.1 / 0.2))
  // No total: the defaults (and explicit bounds) as before.
  const d = cacheBudget({ maxColumnBytes: 256 * MiB })
  assert.deepEqual([d.index, d.vectorPages, d.columns, d.masks, d.texts], [1024 * MiB, 256 * MiB, 256 * MiB, 64 * MiB, 256 * MiB])
  for (const bad of [{ maxBytes: 0 }, { maxBytes: -1 }, { maxBytes: 1.5 }, { maxBytes: Number.NaN }, { maxIndexBytes: 0 }, { maxReaders: 0 }, { maxBytes: '1' as unknown as number },
    { maxBytes: MiB, maxIndexBytes: 2 * MiB }, { maxBytes: MiB, maxIndexBytes: MiB }]) {
    assert.throws(() => new QueryCaches(bad), (err: Error & { code?: string }) => err.code === 'INVALID_ARGUMENT' && /cache\.|maxBytes/.test(err.message), JSON.stringify(bad))
  }
  assert.throws(() => new QueryCaches({ maxByte: 1 } as never), /maxBytes/)
})

test('under cache.maxBytes, vector pages use what the other caches leave, and the total never exceeds the budget', async () => {
  const MiB = 2 ** 20
  const caches = new QueryCaches({ maxBytes: 10 * MiB })
  const b = caches.budget
  const pages = caches.vectorPages('f', 1)
  const page = (): Float32Array => new Float32Array(64 * 1024 / 4)
  // Nothing else held: pages may take nearly the whole budget, far past their 10% share.
  for (let i = 0; i < 200; i++) {
    if (pages.get(i) === undefined) pages.set(i, page())
    assert.ok(caches.held().total <= b.maxBytes)
  }
  assert.ok(caches.held().vectorPages > 5 * b.vectorPages, JSON.stringify(caches.held()))
  // Index state arriving takes its room back from the pages.
  for (let f = 0; f < 4; f++) {
    await caches.fileVectors(`file${f}`, 1, async () => ({ vectors: undefined, index: undefined, bytes: 2 * MiB }))
    assert.ok(caches.held().total <= b.maxBytes, JSON.stringify(caches.held()))
  }
  assert.equal(caches.held().index, 8 * MiB)
  assert.ok(caches.held().vectorPages >= b.vectorPages && caches.held().vectorPages <= 2 * MiB, JSON.stringify(caches.held()))
  // An explicit page bound is kept as given.
  const fixed = new QueryCaches({ maxBytes: 10 * MiB, maxVectorPageBytes: MiB })
  const fp = fixed.vectorPages('f', 1)
  for (let i = 0; i < 200; i++) if (fp.get(i) === undefined) fp.set(i, page())
  assert.ok(fixed.held().vectorPages <= MiB)
})
