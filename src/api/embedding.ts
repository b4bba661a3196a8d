/**
 * Text in, vectors out, at the table level: the table records which embedder made its vectors
 * and refuses text embedded by any other.
 */
import { AilakeError } from '../errors.js'
import { createEmbedderByName } from '../embed/by-name.js'
import { assertSameEmbedder, type Embedder, type EmbedderIdentity } from '../embed/embedder.js'

const NAME = 'ailake.embedder.name'
const DIM = 'ailake.embedder.dim'

export function embedderProperties(id: EmbedderIdentity): Record<string, string> {
  return { [NAME]: id.name, [DIM]: String(id.dim) }
}

/** The embedder identity a table recorded, if any. */
export function recordedEmbedder(properties: Readonly<Record<string, string>>): EmbedderIdentity | undefined {
  const name = properties[NAME]
  const dim = Number(properties[DIM])
  return name === undefined || name === '' || !Number.isInteger(dim) ? undefined : { name, dim }
}

/**
 * The embedder to use for a table: the one given (checked against the record) or, when none is
 * given, one rebuilt from the recorded name (offline USE-lite, or OpenAI-compatible from env).
 */
export async function embedderFor(table: string, properties: Readonly<Record<string, string>>, given?: Embedder): Promise<Embedder> {
  const recorded = recordedEmbedder(properties)
  if (recorded === undefined) {
    throw new AilakeError('INVALID_ARGUMENT', `table ${table} records no embedder, so it cannot embed text; create it with { embedder } or pass vectors instead of text`)
  }
  const embedder = given ?? await createEmbedderByName(recorded.name)
  assertSameEmbedder(recorded, embedder, `table ${table}`)
  return embedder
}
