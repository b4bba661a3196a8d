/**
 * The API's messages speak to programmers (`where(): …`, `vector.metric must be …`); a CLI user
 * typed flags. A command that passes a flag's value to one API call rewords that call's failure
 * in the user's terms, and the CLI opens tables through `openTable` so a missing table points
 * at `ailake tables`, not at the API.
 */
import { AilakeError, createEmbedderByName, isAilakeError, type Embedder, type Lakehouse, type Table } from '../index.js'

/**
 * Rewrites a failure whose message starts with one of `words`' keys (the API's name for a
 * value) to start with the CLI's name for it; other failures pass through unchanged.
 */
export function reworded(err: unknown, words: Readonly<Record<string, string>>): unknown {
  if (!isAilakeError(err)) return err
  for (const [api, cli] of Object.entries(words)) {
    if (err.message.startsWith(api)) {
      return new AilakeError(err.code, cli + err.message.slice(api.length), { cause: err, context: err.context, retryable: err.retryable })
    }
  }
  return err
}

/** Runs `fn`, rewording its failure with `words` (see `reworded`). */
export function inWords<T>(words: Readonly<Record<string, string>>, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw reworded(err, words)
  }
}

/** Opens table `name`; a missing table says how to find the right name. */
export async function openTable(lake: Lakehouse, name: string): Promise<Table> {
  try {
    return await lake.openTable(name)
  } catch (err) {
    if (!isAilakeError(err, 'NOT_FOUND') || typeof err.context.table !== 'string') throw err
    throw new AilakeError('NOT_FOUND', `table ${err.context.table} does not exist; ailake tables lists the tables (names are case-sensitive)`, { cause: err, context: err.context })
  }
}

// The API's advice names its own option; a CLI user has only the environment.
const EMBEDDER_WORDS = { 'no OpenAI API key: set OPENAI_API_KEY or pass { apiKey }': 'no OpenAI API key: set OPENAI_API_KEY' }

/** The embedder called `name` (a table's record or `--embedder`), configured from the environment. */
export async function embedderNamed(name: string): Promise<Embedder> {
  try {
    return await createEmbedderByName(name)
  } catch (err) {
    throw reworded(err, EMBEDDER_WORDS)
  }
}
