// Tables with PQ codes (createTable(..., { vector: { codes: 'pq', subvectors } })): the choice is
// kept in the table properties (and read back by a new connection), every data file of each
// column carries a PQ codes block (codes kind 2, magic "AIPQ") through add, optimize and a
// second vector column, verify() accepts them, and large-ef search on the primary and the
// second column equals a hand-written exact scan (the oracle) before and after optimize.
//
// AILAKE_SEED=<n> reproduces a run.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { connect, isAilakeError, openDataFile, type Table } from '../../src/index.js'
import { gauss, rng, tempDir } from '../helpers/tmpdir.js'

const SEED = Number(process.env.AILAKE_SEED ?? 2323)

function l2(a: Float32Array, b: Float32Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2
  return s
}

function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0, aa = 0, bb = 0
  for (let i = 0; i < a.length; i++) {
    d += (a[i] as number) * (b[i] as number)
    aa += (a[i] as number) ** 2
    bb += (b[i] as number) ** 2
  }
  return 1 - d / Math.sqrt(aa * bb)
}

/** The codes kind byte of each section of a data file, and whether each block starts with "AIPQ". */
async function codesOf(table: Table): Promise<string[]> {
  const out: string[] = []
  for (const f of await table.files()) {
    const bytes = new Uint8Array(await readFile(f.path.replace(/^file:\/\//, '')))
    const source = { size: bytes.length, read: async (o: number, n: number) => bytes.subarray(o, o + n) }
    const r = await openDataFile(source)
    const s = await r.readSection()
    const magic = s.codesBytes === undefined ? 'none' : new TextDecoder().decode(s.codesBytes.subarray(0, 4))
    const image = await r.readColumnSection('image')
    const m2 = image?.codesBytes === undefined ? 'none' : new TextDecoder().decode(image.codesBytes.subarray(0, 4))
    out.push(`${magic}/${m2}`)
  }
  return out
}

test('a table with PQ codes: kept in its properties, PQ blocks in every file and column, exact at large ef before and after optimize', async () => {
  const { dir, cleanup } = await tempDir()
  const r = rng(SEED)
  try {
    const lake = await connect(dir)
    const dim = 24
    const table = await lake.createTable('default.pq', {
      vector: { dim, metric: 'cosine', codes: 'pq', subvectors: 6, M: 8, efConstruction: 32 },
      vectors: { image: { dim: 10, metric: 'euclidean', codes: 'pq', M: 8, efConstruction: 32 } },
      schema: { id: 'int' },
    })
    assert.deepEqual([table.vector.codes, table.vector.subvectors], ['pq', 6])
    const centres = Array.from({ length: 8 }, () => Float32Array.from({ length: dim }, () => gauss(r)))
    const rows: { id: number; embedding: Float32Array; image: Float32Array }[] = []
    for (let i = 0; i < 3300; i++) {
      const c = centres[i % centres.length] as Float32Array
      rows.push({ id: i, embedding: Float32Array.from(c, (x) => x + 0.3 * gauss(r)), image: Float32Array.from({ length: 10 }, () => gauss(r) * 3) })
    }
    await table.add(rows.slice(0, 1500), { maxRowsPerFile: 1500 })
    await table.add(rows.slice(1500), { maxRowsPerFile: 1800 })
    assert.deepEqual(await codesOf(table), ['AIPQ/AIPQ', 'AIPQ/AIPQ'])

    const check = async (t: Table, label: string): Promise<void> => {
      for (let qi = 0; qi < 6; qi++) {
        const q = Float32Array.from(centres[qi] as Float32Array, (x) => x + 0.3 * gauss(r))
        const got = await t.search(q).limit(7).ef(4000).toArray()
        const want = rows.map((x) => cosine(q, x.embedding)).sort((a, b) => a - b).slice(0, 7)
        assert.deepEqual(got.map((x) => x.id as number).map((id) => cosine(q, (rows[id] as (typeof rows)[number]).embedding)), want, `${label}, query ${qi}`)
        const qi2 = Float32Array.from({ length: 10 }, () => gauss(r) * 3)
        const got2 = await t.search(qi2, { column: 'image' }).limit(5).ef(4000).toArray()
        const want2 = rows.map((x) => l2(qi2, x.image)).sort((a, b) => a - b).slice(0, 5)
        assert.deepEqual(got2.map((x) => l2(qi2, (rows[x.id as number] as (typeof rows)[number]).image)), want2, `${label}, image query ${qi}`)
      }
    }
    await check(table, 'two added files')
    const again = await (await connect(dir)).openTable('default.pq')
    assert.deepEqual([again.vector.codes, again.vector.subvectors], ['pq', 6], 'a new connection reads the codes choice from the properties')
    await table.optimize({ full: true })
    const optimized = await (await connect(dir)).openTable('default.pq')
    assert.ok((await codesOf(optimized)).every((c) => c === 'AIPQ/AIPQ'), 'optimize rewrites with PQ codes')
    await check(optimized, 'optimized')
    const report = await optimized.verify()
    assert.deepEqual(report.problems, [], 'verify accepts PQ blocks')
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('PQ options are checked: codes kind, sub-vectors in [1, dim], sub-vectors only with PQ', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const bad = async (vector: Record<string, unknown>, message: RegExp): Promise<void> => {
      await assert.rejects(lake.createTable('default.x', { vector: { dim: 8, ...vector } as never }), (e) => isAilakeError(e, 'INVALID_ARGUMENT') && message.test(e.message), JSON.stringify(vector))
    }
    await bad({ codes: 'opq' }, /vector\.codes must be one of sq8, pq/)
    await bad({ subvectors: 2 }, /vector\.subvectors applies to PQ codes only/)
    await bad({ codes: 'pq', subvectors: 9 }, /vector\.subvectors must be an integer in \[1, 8\]/)
    await bad({ codes: 'pq', subvectors: 1.5 }, /vector\.subvectors must be an integer/)
    const t = await lake.createTable('default.ok', { vector: { dim: 20, codes: 'pq' } })
    assert.equal(t.vector.subvectors, 3, 'default: one sub-vector per 8 dimensions, rounded up')
    await lake.close()
  } finally {
    await cleanup()
  }
})
