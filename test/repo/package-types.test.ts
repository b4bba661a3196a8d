/**
 * The package's types compile in a user's strict project that checks libraries too
 * (`skipLibCheck: false`), with what every Node project has (@types/node) and none of the
 * optional peers: a type that reached the AWS SDK, the embedder packages or apache-arrow would
 * fail here. `node_modules/ailake` is a copy of the shipped declarations (dist/src, which the
 * package test shows is in the tarball) and package.json, not a link to this checkout, whose
 * own node_modules holds the optional peers (dev dependencies) and would resolve them.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../helpers/guide.js'
import { tempDir } from '../helpers/tmpdir.js'

test('the types compile strictly, libraries checked, without any optional peer', async (t) => {
  const { dir, cleanup } = await tempDir('ailake-types-')
  t.after(cleanup)
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true })
  const copy = join(dir, 'node_modules/ailake')
  cpSync(join(ROOT, 'dist/src'), join(copy, 'dist/src'), { recursive: true, filter: (src) => !/\.[a-z]+$/.test(src) || src.endsWith('.d.ts') })
  cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'))
  for (const dep of Object.keys(pkg.dependencies)) symlinkSync(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep), 'dir')
  symlinkSync(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'), 'dir')
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }')
  writeFileSync(join(dir, 'typed.ts'), `
import { connect, type SearchRow } from 'ailake'
interface Doc { docId: bigint; title: string }
export async function first(): Promise<string | undefined> {
  const lake = await connect('./warehouse', { s3: { region: 'eu-west-1' }, int64: 'bigint' })
  const docs = await lake.createTable('docs', { vector: { dim: 3 }, existOk: true })
  const rows: SearchRow<Doc>[] = await docs.search<Doc>([1, 0, 0]).toArray()
  await lake.close()
  return rows[0]?.title
}
`)
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'], types: ['node'] },
    files: ['typed.ts'],
  }))
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(tsc.status, 0, `the package's types check:\n${tsc.stdout}${tsc.stderr}`)
})
