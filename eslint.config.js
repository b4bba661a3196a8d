// Lint: typescript-eslint's recommended rules plus the architecture's import direction.
// Each layer may import only the layers listed for it (everything below it), never upward.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const LAYERS = ['errors', 'util', 'text', 'vector', 'embed', 'vector-index', 'format', 'store', 'catalog', 'table', 'ingest', 'query', 'maintenance', 'api', 'cli', 'server']

// What each folder under src/ may import (besides itself). Front ends use the public API only.
const ALLOWED = {
  util: ['errors'],
  text: ['errors', 'util'],
  vector: ['errors', 'util'],
  embed: ['errors', 'util', 'vector'],
  'vector-index': ['errors', 'util', 'vector'],
  format: ['errors', 'util', 'vector'],
  store: ['errors', 'util'],
  catalog: ['errors', 'util', 'vector', 'format', 'store'],
  table: ['errors', 'util', 'text', 'vector', 'embed', 'vector-index', 'format', 'store', 'catalog'],
  ingest: ['errors', 'util', 'text', 'vector', 'embed', 'vector-index', 'format', 'store', 'catalog', 'table'],
  query: ['errors', 'util', 'text', 'vector', 'embed', 'vector-index', 'format', 'store', 'catalog', 'table', 'ingest'],
  maintenance: ['errors', 'util', 'text', 'vector', 'vector-index', 'format', 'store', 'catalog', 'table', 'ingest', 'query'],
  api: ['errors', 'util', 'text', 'vector', 'embed', 'vector-index', 'format', 'store', 'catalog', 'table', 'ingest', 'query', 'maintenance'],
  // The CLI starts the server (ailake serve, ailake mcp), through its entry points only.
  cli: ['server'],
  server: [],
}

// Node built-ins that tie code to a runtime; only these folders may use them.
const NODE_OK = new Set(['store', 'ingest', 'embed', 'cli', 'server'])
const NODE_BUILTINS = ['fs', 'fs/promises', 'http', 'https', 'net', 'worker_threads', 'child_process', 'os', 'path']

function layerRules(folder) {
  const allowed = new Set([folder, ...ALLOWED[folder]])
  const patterns = []
  for (const layer of LAYERS) {
    if (allowed.has(layer)) continue
    const group = layer === 'errors' ? ['**/errors.js'] : [`**/${layer}/*`, `**/${layer}/**`]
    patterns.push({ group, message: `src/${folder} may not import src/${layer}: imports go downward only (see docs/architecture.md).` })
  }
  if (folder === 'cli' || folder === 'server') {
    const entries = folder === 'cli' ? ['!../server/index.js', '!../server/node.js'] : []
    patterns.push({ group: ['../*/**', '!../index.js', ...entries], message: 'front ends import only the public API (src/index.ts); the CLI reaches the server only through src/server/index.ts and node.ts.' })
  }
  const paths = NODE_OK.has(folder) ? [] : NODE_BUILTINS.flatMap((m) => [
    { name: m, message: `Node built-ins belong in store/, ingest/, embed/, cli/ or server/ so src/${folder} runs in any JS runtime.` },
    { name: `node:${m}`, message: `Node built-ins belong in store/, ingest/, embed/, cli/ or server/ so src/${folder} runs in any JS runtime.` },
  ])
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns, paths }] },
  }
}

export default tseslint.config(
  { ignores: ['dist/**', '.build-*/**', 'warehouse-demo/**', 'node_modules/**', '.cache/**', 'warehouse/**', 'scripts/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...Object.keys(ALLOWED).map(layerRules),
  {
    // The web console runs in the browser and talks to the server only through its JSON API.
    files: ['src/console/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['../../*', '../*', '!../api.js', '!../route.js', '!../ui.js', '!../pca.js', '!../projection-worker.js', '!../util', '../util/*', '!../util/rng.js'], message: 'src/console imports only itself, preact, htm, umap-js and the pure seeded PRNG (src/util/rng.ts): it reaches ailake through the JSON API (src/console/api.ts).' }],
        paths: NODE_BUILTINS.flatMap((m) => [m, `node:${m}`]),
      }],
    },
  },
  {
    files: ['src/errors.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['./*'], message: 'errors.ts imports nothing.' }] }] },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 500, skipBlankLines: true, skipComments: true }] },
  },
)
