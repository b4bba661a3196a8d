/**
 * The embedder contract: turn texts into fixed-length float vectors, plus the small helpers
 * every provider shares (input checks, batching, output checks) and the identity a table
 * records so that a query is never embedded by a different model than the table's rows.
 */
import { AilakeError, corrupt, invalid } from '../errors.js'

/** Something that turns texts into vectors of one fixed dimension. */
export interface Embedder {
  /**
   * Stable identity of the model that produces the vectors, e.g. `use-lite@0.2.0` or
   * `openai:text-embedding-3-small`. A table records it; two embedders with the same name and
   * dimension must produce comparable vectors.
   */
  readonly name: string
  /**
   * Length of every vector this embedder returns. `0` means "not known yet": an HTTP embedder
   * created without a `dim` learns it from its first response (see {@link probeDim}).
   */
  readonly dim: number
  /**
   * Embeds `texts` in order: result `i` belongs to `texts[i]`. An empty array resolves to `[]`.
   * Every vector is a `Float32Array` of length `dim` with finite values.
   */
  embed(texts: readonly string[]): Promise<Float32Array[]>
  /** Releases resources. Calling `embed` afterwards fails with `CLOSED`. */
  close?(): Promise<void>
}

/** What a table stores about the embedder that produced its vectors. */
export interface EmbedderIdentity {
  readonly name: string
  readonly dim: number
}

/**
 * Checks that `texts` is an array of strings and returns it. Fails with `INVALID_ARGUMENT`
 * naming the first offending index.
 */
export function validateTexts(texts: unknown): readonly string[] {
  if (!Array.isArray(texts)) {
    throw invalid(`embed() expects an array of strings, got ${describe(texts)}; wrap a single text as [text]`)
  }
  for (let i = 0; i < texts.length; i++) {
    const t: unknown = texts[i]
    if (typeof t !== 'string') {
      throw invalid(`embed() input at index ${i} is ${describe(t)}, not a string; pass text only`, { index: i })
    }
  }
  return texts as readonly string[]
}

/** Checks a batch-size option: a positive integer. */
export function checkBatchSize(batchSize: number, option = 'batchSize'): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw invalid(`${option} must be a positive integer, got ${String(batchSize)}`, { [option]: batchSize })
  }
  return batchSize
}

/** Splits `items` into consecutive chunks of at most `maxBatch` items, preserving order. */
export function splitBatches<T>(items: readonly T[], maxBatch: number): T[][] {
  checkBatchSize(maxBatch, 'maxBatch')
  const out: T[][] = []
  for (let i = 0; i < items.length; i += maxBatch) out.push(items.slice(i, i + maxBatch))
  return out
}

/**
 * Validates `texts`, embeds them batch by batch (sequentially, so a provider sees at most one
 * request at a time) and checks that every batch returned one vector per text.
 */
export async function embedInBatches(
  texts: unknown,
  batchSize: number,
  embedBatch: (batch: string[]) => Promise<Float32Array[]>,
): Promise<Float32Array[]> {
  const input = validateTexts(texts)
  if (input.length === 0) return []
  const out: Float32Array[] = []
  for (const batch of splitBatches(input, batchSize)) {
    const vectors = await embedBatch(batch)
    if (vectors.length !== batch.length) {
      throw new AilakeError('INTERNAL', `embedder returned ${vectors.length} vectors for ${batch.length} texts`, {
        context: { expected: batch.length, got: vectors.length },
      })
    }
    for (const v of vectors) out.push(v)
  }
  return out
}

/**
 * Checks one output vector: the expected length (when `dim > 0`) and finite values.
 * `source` names the provider in the error message.
 */
export function checkVector(v: Float32Array, index: number, dim: number, source: string): Float32Array {
  if (dim > 0 && v.length !== dim) {
    throw new AilakeError('DIMENSION_MISMATCH', `${source} returned a ${v.length}-d vector at index ${index}, expected ${dim}-d; check the model and its dimensions setting`, {
      context: { index, expected: dim, got: v.length },
    })
  }
  if (v.length === 0) throw corrupt(`${source} returned an empty vector at index ${index}`, { index })
  for (let j = 0; j < v.length; j++) {
    if (!Number.isFinite(v[j])) {
      throw corrupt(`${source} returned a non-finite value (${String(v[j])}) at index ${index}, component ${j}`, { index, component: j })
    }
  }
  return v
}

/** The identity a table records for `e`. Fails with `INVALID_ARGUMENT` while `e.dim` is unknown. */
export function embedderIdentity(e: Embedder): EmbedderIdentity {
  if (!Number.isInteger(e.dim) || e.dim <= 0) {
    throw invalid(`embedder ${e.name} does not know its dimension yet; call probeDim(embedder) or pass dim when creating it`, { embedder: e.name })
  }
  return { name: e.name, dim: e.dim }
}

/**
 * A single string that identifies the embedder's vector space, e.g. `use-lite@0.2.0#512`.
 * Equal fingerprints mean the vectors are comparable.
 */
export function embedderFingerprint(e: Embedder | EmbedderIdentity): string {
  const id = 'embed' in e ? embedderIdentity(e) : e
  return `${id.name}#${id.dim}`
}

/**
 * Refuses to mix vector spaces: fails unless `actual` has the same name and dimension as
 * `expected` (what the table recorded). Different dimension → `DIMENSION_MISMATCH`; same
 * dimension but a different model → `INVALID_ARGUMENT`.
 */
export function assertSameEmbedder(expected: EmbedderIdentity, actual: Embedder | EmbedderIdentity, what = 'the table'): void {
  const got = 'embed' in actual ? embedderIdentity(actual) : actual
  const context = { expected: `${expected.name}#${expected.dim}`, got: `${got.name}#${got.dim}` }
  if (got.dim !== expected.dim) {
    throw new AilakeError('DIMENSION_MISMATCH', `${what} holds ${expected.dim}-d vectors from ${expected.name}, but the embedder ${got.name} makes ${got.dim}-d vectors; use ${expected.name}`, { context })
  }
  if (got.name !== expected.name) {
    throw invalid(`${what} was embedded with ${expected.name}, but this query uses ${got.name}; vectors from different models are not comparable, use ${expected.name}`, context)
  }
}

/**
 * Returns `e.dim`, first embedding one short probe text if the embedder does not know its
 * dimension yet (an HTTP embedder without a `dim` option). Costs one request in that case.
 */
export async function probeDim(e: Embedder): Promise<number> {
  if (e.dim > 0) return e.dim
  const [v] = await e.embed(['dimension probe'])
  const dim = e.dim > 0 ? e.dim : (v?.length ?? 0)
  if (dim <= 0) throw new AilakeError('INTERNAL', `embedder ${e.name} returned no vector for a probe text`)
  return dim
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)})`
  return `a ${typeof v}${typeof v === 'number' || typeof v === 'boolean' ? ` (${String(v)})` : ''}`
}
