// Builds the web console (src/console) into dist/src/server/console: type-checks it against the DOM
// library (the core's tsconfig leaves it out), bundles its script and its projection worker with
// esbuild, and copies the page and style sheet. The package then serves the console with no
// CDN and no network access at run time.
import { copyFileSync, mkdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { build } from 'esbuild'

const require = createRequire(import.meta.url)
const tsc = require.resolve('typescript/bin/tsc')
const checked = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.console.json'], { stdio: 'inherit' })
if (checked.status !== 0) process.exit(checked.status ?? 1)

// Inside dist/src, which the package ships, next to the server module that serves it.
const out = 'dist/src/server/console'
mkdirSync(out, { recursive: true })
await build({
  entryPoints: { app: 'src/console/main.ts', 'projection-worker': 'src/console/projection-worker.ts' },
  outdir: out,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
})
for (const f of ['index.html', 'app.css']) copyFileSync(`src/console/${f}`, `${out}/${f}`)
