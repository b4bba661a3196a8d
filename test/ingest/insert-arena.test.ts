// The insert arena never hands out memory an uncommitted entry holds, and a window's entries come
// back as one view exactly when they lie back to back in one slab. Seeded random sequences of
// inserts (some failing before they are held), flush starts (seal), commits (release, oldest
// first, as a MemTableWriter commits) against a model of what every held array must contain.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InsertArena, type Slab } from '../../src/ingest/insert-arena.js'
import { seededRandom } from '../../src/util/rng.js'

interface Held { vectors: Float32Array; slab: Slab | undefined; value: number }

const CASES = 300

test('arena: held arrays keep their values until released; contiguous views equal the entries they cover', () => {
  for (let seed = 1; seed <= CASES; seed++) {
    const random = seededRandom(seed)
    const windowFloats = 8 + Math.floor(random() * 200)
    const arena = new InsertArena(windowFloats)
    const held: Held[] = []
    let next = 1
    const check = (step: number): void => {
      for (const [i, h] of held.entries()) {
        for (let j = 0; j < h.vectors.length; j++) {
          if (h.vectors[j] !== h.value) assert.fail(`seed ${seed} step ${step}: entry ${i} value ${j} is ${h.vectors[j]}, expected ${h.value}`)
        }
      }
    }
    for (let step = 0; step < 120; step++) {
      const r = random()
      if (r < 0.55) {
        // An insert; a large one now and then (beyond half a slab: a plain array).
        const length = 1 + Math.floor(random() < 0.05 ? random() * windowFloats * 3 : random() * windowFloats / 2)
        const v = arena.take(length)
        assert.equal(v.length, length, `seed ${seed} step ${step}`)
        const value = next++
        v.fill(value)
        if (random() < 0.15) {
          check(step) // failed before it was held: overwrote nothing held
          continue
        }
        held.push({ vectors: v, slab: arena.hold(v), value })
      } else if (r < 0.7) {
        arena.seal()
      } else if (r < 0.85 && held.length > 0) {
        // The oldest entries commit, as a flush of them would.
        const n = 1 + Math.floor(random() * Math.min(held.length, 4))
        for (const h of held.splice(0, n)) if (h.slab !== undefined) arena.release(h.slab)
      } else if (held.length > 0) {
        // A flush of a run of entries: one view only when they are back to back in one slab.
        const start = Math.floor(random() * held.length)
        const run = held.slice(start, start + 1 + Math.floor(random() * (held.length - start)))
        const view = arena.contiguous(run)
        const expected = run.flatMap((h) => Array.from(h.vectors))
        const backToBack = run.every((h, i) => h.slab !== undefined && h.slab === run[0]?.slab && (i === 0 || h.vectors.byteOffset === (run[i - 1] as Held).vectors.byteOffset + (run[i - 1] as Held).vectors.byteLength))
        assert.equal(view !== undefined, backToBack, `seed ${seed} step ${step}: a view exactly when the entries are back to back`)
        if (view !== undefined) assert.deepEqual(Array.from(view), expected, `seed ${seed} step ${step}: the view holds the entries' values`)
      }
      check(step)
    }
  }
})

test('arena: the inserts of one window between seals are one view, and slabs are reused once their entries commit', () => {
  const touched: number[] = []
  const arena = new InsertArena(1000, (_memory, bytes) => touched.push(bytes))
  let previous: Held[] = []
  for (let round = 0; round < 6; round++) {
    const window: Held[] = []
    for (let i = 0; i < 5; i++) {
      const v = arena.take(200)
      v.fill(round * 10 + i)
      window.push({ vectors: v, slab: arena.hold(v), value: round * 10 + i })
    }
    const view = arena.contiguous(window)
    assert.ok(view !== undefined, `round ${round}: one view`)
    assert.deepEqual(Array.from(view), window.flatMap((h) => Array.from(h.vectors)))
    arena.seal()
    // Commit the window before last, as with one flush in flight.
    if (round > 0) for (const h of previous) if (h.slab !== undefined) arena.release(h.slab)
    previous = window
  }
  // Two slabs in turn (one filling while the other's flush runs); each was told once, a quarter
  // of a window in, to be touched for one window.
  assert.deepEqual(touched, [4000, 4000])
  const trickle: number[] = []
  const small = new InsertArena(1000, (_memory, bytes) => trickle.push(bytes))
  for (let i = 0; i < 24; i++) small.hold(small.take(10))
  assert.deepEqual(trickle, [], 'a trickle of 240 floats into a 1,000-float window touches nothing ahead')
  small.hold(small.take(10))
  assert.deepEqual(trickle, [4000], 'a quarter window in, it does')
})
