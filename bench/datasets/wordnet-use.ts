/**
 * Real model embeddings: WordNet 3.1 glosses ("lemmas: gloss", bench/datasets/wordnet.ts)
 * embedded with the offline USE-lite model (512-d, unit-norm), cosine. A seeded sample of
 * BASE + QUERIES synsets: the first BASE are the base rows, the next QUERIES (held out, never
 * in the base) the queries. Embedding runs once (~100 documents/s, ~5 min on 2 cores) and is
 * cached in `.cache/bench/wordnet-use/` like the other data sets, with `source.json` naming the
 * sample, the model and SHA-256 checksums of the texts and of the vector files: a cache made
 * from other texts, another model or damaged files is not used.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createUseLiteEmbedder } from '../../src/embed/use-lite.js'
import { cacheRoot, ensureGroundTruth, readCached, writeCached } from './cache.js'
import type { Dataset } from './cache.js'
import { loadWordNetGlosses } from './wordnet.js'

export const WORDNET_USE = 'wordnet-use'
const BASE = 30_000
const QUERIES = 500
const SEED = 20261203

interface Source { seed: number; base: number; queries: number; model: string; textsSha256: string; vectorsSha256: string }

const dir = (): string => join(cacheRoot(), 'bench', WORDNET_USE)
const sha256 = (...parts: (string | Uint8Array)[]): string => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest('hex')
}
const vectorsSha = (ds: Dataset): string =>
  sha256(new Uint8Array(ds.base.buffer, ds.base.byteOffset, ds.base.byteLength), new Uint8Array(ds.queries.buffer, ds.queries.byteOffset, ds.queries.byteLength))

async function sampleTexts(): Promise<string[]> {
  const glosses = await loadWordNetGlosses({ limit: BASE + QUERIES, seed: SEED })
  return glosses.map((g) => g.text)
}

/** The cached set when `source.json` matches these texts and the vector files' checksum. */
function readVerified(textsSha256: string, log: (line: string) => void): Dataset | null {
  const ds = readCached(WORDNET_USE)
  const sourcePath = join(dir(), 'source.json')
  if (ds === null || !existsSync(sourcePath)) return null
  const source = JSON.parse(readFileSync(sourcePath, 'utf8')) as Source
  if (source.seed !== SEED || source.base !== BASE || source.queries !== QUERIES || source.textsSha256 !== textsSha256 ||
    ds.count !== BASE || ds.queryCount !== QUERIES) {
    log(`${WORDNET_USE}: the cache was made from another sample; embedding again`)
    return null
  }
  if (source.vectorsSha256 !== vectorsSha(ds)) {
    log(`${WORDNET_USE}: the cached vector files do not match their checksum; embedding again`)
    return null
  }
  return ds
}

/** The prepared WordNet/USE-lite data set, embedding it on first use. */
export async function loadWordNetUse(log: (line: string) => void = console.error, options: { groundTruth?: boolean } = {}): Promise<Dataset> {
  const texts = await sampleTexts()
  const textsSha256 = sha256(texts.join('\n'))
  let ds = readVerified(textsSha256, log)
  if (ds === null) {
    const embedder = await createUseLiteEmbedder()
    log(`${WORDNET_USE}: embedding ${texts.length} WordNet glosses with ${embedder.name} (once, ~${Math.ceil(texts.length / 6000)} min) ...`)
    const dim = embedder.dim
    const flat = new Float32Array(texts.length * dim)
    const t0 = performance.now()
    const chunk = 1000
    for (let i = 0; i < texts.length; i += chunk) {
      const vecs = await embedder.embed(texts.slice(i, i + chunk))
      vecs.forEach((v, j) => flat.set(v, (i + j) * dim))
      const s = (performance.now() - t0) / 1000
      log(`${WORDNET_USE}: ${Math.min(texts.length, i + chunk)} / ${texts.length} embedded (${s.toFixed(0)} s, ${((i + vecs.length) / s).toFixed(0)}/s)`)
    }
    await embedder.close?.()
    const fresh: Dataset = {
      name: WORDNET_USE, dim, count: BASE, queryCount: QUERIES, metric: 'cosine', gtK: 0,
      base: flat.slice(0, BASE * dim), queries: flat.slice(BASE * dim),
      groundTruth: new Int32Array(0), groundTruthDistances: new Float32Array(0),
    }
    mkdirSync(dir(), { recursive: true })
    // source.json first, meta.json (written last by writeCached) makes the cache readable.
    const source: Source = { seed: SEED, base: BASE, queries: QUERIES, model: embedder.name, textsSha256, vectorsSha256: vectorsSha(fresh) }
    writeFileSync(join(dir(), 'source.json'), JSON.stringify(source, null, 2))
    writeCached(fresh)
    ds = readVerified(textsSha256, log)
    if (ds === null) throw new Error(`${WORDNET_USE}: preparation did not leave a readable cache`)
  }
  return options.groundTruth === false ? ds : ensureGroundTruth(ds, log)
}
