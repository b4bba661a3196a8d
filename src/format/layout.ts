/**
 * The layout file of an optimized table: the centroids its rows were clustered by, so a later
 * optimize assigns new rows to the same clusters. Stored under metadata/, named by the table
 * property `ailake.layout`, written once (a new layout is a new file).
 *
 * Layout (little-endian): magic "ALKL" · u16 version (1) · u16 metric (0 cosine, 1 euclidean,
 * 2 dot) · u32 dim · u32 k · k × dim f32 centroids · u32 CRC-32C of everything before it.
 */
import { corrupt, invalid } from '../errors.js'
import { ByteReader, ByteWriter } from '../util/bytes.js'
import { crc32c } from '../util/crc32c.js'
import type { Metric } from '../vector/types.js'

const MAGIC = 0x4c4b4c41 // "ALKL" as u32 LE
const VERSION = 1
const METRIC_CODES: readonly Metric[] = ['cosine', 'euclidean', 'dot']

export interface Layout {
  metric: Metric
  dim: number
  /** k × dim, row-major: centroid c is `centroids.subarray(c * dim, (c + 1) * dim)`. */
  centroids: Float32Array
}

export function encodeLayout(layout: Layout): Uint8Array {
  const { metric, dim, centroids } = layout
  if (!Number.isInteger(dim) || dim < 1 || centroids.length === 0 || centroids.length % dim !== 0) throw invalid(`layout: ${centroids.length} centroid values do not form rows of dim ${dim}`)
  const w = new ByteWriter(20 + centroids.byteLength)
  w.u32(MAGIC).u16(VERSION).u16(METRIC_CODES.indexOf(metric)).u32(dim).u32(centroids.length / dim)
  w.typed(centroids)
  w.u32(crc32c(w.view8()))
  return w.finish()
}

export function decodeLayout(bytes: Uint8Array): Layout {
  if (bytes.length < 20) throw corrupt(`layout file of ${bytes.length} bytes is too short`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (crc32c(bytes.subarray(0, bytes.length - 4)) !== view.getUint32(bytes.length - 4, true)) throw corrupt('layout file checksum mismatch')
  const r = new ByteReader(bytes.subarray(0, bytes.length - 4), 'layout file')
  if (r.u32('magic') !== MAGIC) throw corrupt('not an ailake layout file (bad magic)')
  const version = r.u16('version')
  if (version !== VERSION) throw corrupt(`layout file version ${version} is not supported (this build reads ${VERSION})`)
  const metric = METRIC_CODES[r.u16('metric')]
  if (metric === undefined) throw corrupt('layout file names an unknown metric')
  const dim = r.u32('dim')
  const k = r.u32('k')
  if (dim < 1 || k < 1 || (bytes.length - 20) !== k * dim * 4) throw corrupt(`layout file holds ${bytes.length - 20} centroid bytes, not ${k} x ${dim} f32`)
  const centroids = r.f32Array(k * dim, 'centroids')
  if (!centroids.every(Number.isFinite)) throw corrupt('layout file has a non-finite centroid value')
  return { metric, dim, centroids }
}
