/**
 * Parsing of an OpenAI-style embeddings response body:
 * `{ data: [{ index, embedding: number[] | base64 string }, ...] }`.
 */
import { corrupt } from '../errors.js'

/**
 * Parses `body` into exactly `count` vectors ordered by each item's `index` (servers may
 * return them in any order). Items without an `index` take their array position. Fails with
 * `CORRUPT_DATA` on anything malformed: not JSON, no `data` array, a missing, duplicated or
 * out-of-range index, a non-numeric component or a bad base64 payload.
 */
export function parseEmbeddingsResponse(body: string, count: number, source: string): Float32Array[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    throw corrupt(`${source} did not return JSON: ${preview(body)}`)
  }
  const data = (parsed as { data?: unknown } | null)?.data
  if (!Array.isArray(data)) {
    throw corrupt(`${source} returned no "data" array; is the baseUrl an OpenAI-compatible /v1 endpoint? Got ${preview(body)}`)
  }
  if (data.length !== count) {
    throw corrupt(`${source} returned ${data.length} embeddings for ${count} texts`, { expected: count, got: data.length })
  }
  const out = new Array<Float32Array | undefined>(count)
  data.forEach((item: unknown, position) => {
    const rawIndex = (item as { index?: unknown } | null)?.index
    const index = rawIndex === undefined ? position : rawIndex
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count) {
      throw corrupt(`${source} returned an embedding with index ${JSON.stringify(index)}, expected 0..${count - 1}`, { position })
    }
    if (out[index] !== undefined) throw corrupt(`${source} returned index ${index} twice`, { index })
    out[index] = toVector((item as { embedding?: unknown }).embedding, index, source)
  })
  return out.map((v, i) => {
    if (v === undefined) throw corrupt(`${source} returned no embedding for text ${i}`, { index: i })
    return v
  })
}

function toVector(embedding: unknown, index: number, source: string): Float32Array {
  if (typeof embedding === 'string') return decodeBase64(embedding, index, source)
  if (!Array.isArray(embedding)) {
    throw corrupt(`${source} returned ${embedding === undefined ? 'no' : `a ${typeof embedding}`} "embedding" for text ${index}, expected an array of numbers`, { index })
  }
  const v = new Float32Array(embedding.length)
  for (let j = 0; j < embedding.length; j++) {
    const x: unknown = embedding[j]
    // JSON cannot carry NaN, but servers write null for it; Float32 overflow shows up as Infinity.
    if (typeof x !== 'number' || !Number.isFinite(x) || !Number.isFinite(Math.fround(x))) {
      throw corrupt(`${source} returned a non-finite value (${JSON.stringify(x)}) in the embedding for text ${index}, component ${j}`, { index, component: j })
    }
    v[j] = x
  }
  return v
}

function decodeBase64(s: string, index: number, source: string): Float32Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw corrupt(`${source} returned an embedding for text ${index} that is neither an array nor base64`, { index })
  const bytes = Buffer.from(s, 'base64')
  if (bytes.length % 4 !== 0) {
    throw corrupt(`${source} returned a base64 embedding of ${bytes.length} bytes for text ${index}, not a whole number of float32 values`, { index })
  }
  // Copy into an aligned buffer; the wire format is little-endian float32.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const v = new Float32Array(bytes.length / 4)
  for (let j = 0; j < v.length; j++) v[j] = view.getFloat32(j * 4, true)
  return v
}

function preview(body: string): string {
  const s = body.replace(/\s+/g, ' ').trim()
  return JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s)
}
