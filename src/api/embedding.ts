/**
 * Text in, vectors out, at the table level: the table records which embedder made its vectors
 * and refuses text embedded by any other.
 */
import { AilakeError } from '../errors.js'
import { createEmbedderByName } from '../embed/by-name.js'
import { assertSameEmbedder, type Embedder, type EmbedderIdentity } from '../embed/embedder.js'
import type { VectorPolicy } from '../table/vector-policy.js'

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

/**
 * The vector column a text query searches and the embedder identity recorded for it: `column`
 * when given; else the column whose recorded embedder is `given` (by name); else the only column
 * that records one. Several candidates is `INVALID_ARGUMENT` asking for `{ column }`.
 */
export function textSearchColumn(table: string, properties: Readonly<Record<string, string>>, policy: VectorPolicy, column: string | undefined, given: string | undefined): { column: string; recorded: EmbedderIdentity } {
  const primary = recordedEmbedder(properties)
  const candidates = [
    { column: policy.column, recorded: primary },
    ...(policy.extra ?? []).map((c) => ({ column: c.column, recorded: c.embedder === undefined ? undefined : { name: c.embedder, dim: c.dim } })),
  ]
  const pick = (c: { column: string; recorded: EmbedderIdentity | undefined } | undefined): { column: string; recorded: EmbedderIdentity } => {
    if (c?.recorded === undefined) {
      throw new AilakeError('INVALID_ARGUMENT', `${c === undefined || candidates.length === 1 ? `table ${table}` : `vector column ${c.column} of table ${table}`} records no embedder, so it cannot embed text; create it with { embedder } or pass vectors instead of text`)
    }
    return { column: c.column, recorded: c.recorded }
  }
  if (column !== undefined) {
    const c = candidates.find((x) => x.column === column)
    if (c === undefined) throw new AilakeError('INVALID_ARGUMENT', `${JSON.stringify(column)} is not a vector column of table ${table}; vector columns: ${candidates.map((x) => x.column).join(', ')}`, { context: { column } })
    return pick(c)
  }
  const withEmbedder = candidates.filter((c) => c.recorded !== undefined)
  const named = given === undefined ? [] : withEmbedder.filter((c) => c.recorded?.name === given)
  const choice = named.length > 0 ? named : withEmbedder
  if (choice.length > 1) {
    throw new AilakeError('INVALID_ARGUMENT', `table ${table} has several vector columns a text query could search (${choice.map((c) => `${c.column}: ${c.recorded?.name ?? ''}`).join(', ')}); pass { column } to search one`, { context: { columns: choice.map((c) => c.column) } })
  }
  return pick(choice[0])
}

/** The embedder for a text search of a column whose recorded identity is `recorded`: the one given (checked against it) or one rebuilt from the name. */
export async function columnEmbedder(where: string, recorded: EmbedderIdentity, given?: Embedder): Promise<Embedder> {
  const embedder = given ?? await createEmbedderByName(recorded.name)
  assertSameEmbedder(recorded, embedder, where)
  return embedder
}
