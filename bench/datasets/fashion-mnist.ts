/**
 * Fashion-MNIST (Zalando, MIT) from the Debian package dataset-fashion-mnist: the 60,000
 * training images as base and the first 1000 test images as queries, 784-d pixel values 0-255
 * as float32, euclidean (squared L2). Same data and order as ann-benchmarks'
 * fashion-mnist-784-euclidean. Installed with apt-get on demand when running as root.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { ensureGroundTruth, readCached, writeCached } from './cache.js'
import type { Dataset } from './cache.js'

export const FASHION_MNIST = 'fashion-mnist'
const DIR = '/usr/share/datasets/fashion-mnist'
const QUERY_COUNT = 1000

function ensurePackage(log: (line: string) => void): void {
  if (existsSync(join(DIR, 'train-images-idx3-ubyte.gz'))) return
  if (process.getuid?.() !== 0) {
    throw new Error(`Fashion-MNIST is missing: run \`sudo apt-get install -y dataset-fashion-mnist\` (expected ${DIR})`)
  }
  log('installing the Debian package dataset-fashion-mnist ...')
  execFileSync('apt-get', ['install', '-y', 'dataset-fashion-mnist'], { stdio: ['ignore', 'ignore', 'inherit'] })
}

/** Reads an IDX3 image file into float32 rows of 0-255 pixel values. */
function readImages(file: string, limit = Infinity): { flat: Float32Array; count: number; dim: number } {
  const b = gunzipSync(readFileSync(join(DIR, file)))
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  if (v.getUint32(0) !== 2051) throw new Error(`${file}: not an IDX3 image file`)
  const count = Math.min(limit, v.getUint32(4))
  const dim = v.getUint32(8) * v.getUint32(12)
  if (b.length < 16 + count * dim) throw new Error(`${file}: truncated`)
  const flat = new Float32Array(count * dim)
  for (let i = 0; i < count * dim; i++) flat[i] = b[16 + i] as number
  return { flat, count, dim }
}

/** The prepared Fashion-MNIST data set, preparing it on first use. */
export async function loadFashionMnist(log: (line: string) => void = console.error, options: { groundTruth?: boolean } = {}): Promise<Dataset> {
  const cached = readCached(FASHION_MNIST)
  if (cached !== null) return options.groundTruth === false ? cached : ensureGroundTruth(cached, log)
  ensurePackage(log)
  const t = performance.now()
  const train = readImages('train-images-idx3-ubyte.gz')
  const test = readImages('t10k-images-idx3-ubyte.gz', QUERY_COUNT)
  writeCached({
    name: FASHION_MNIST, base: train.flat, dim: train.dim, count: train.count, queries: test.flat,
    queryCount: test.count, groundTruth: new Int32Array(0), groundTruthDistances: new Float32Array(0), gtK: 0, metric: 'euclidean',
  })
  log(`Fashion-MNIST vectors prepared in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  const ds = readCached(FASHION_MNIST)
  if (ds === null) throw new Error('Fashion-MNIST preparation did not leave a readable cache')
  return options.groundTruth === false ? ds : ensureGroundTruth(ds, log)
}
