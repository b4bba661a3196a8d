/**
 * The TypeScript of docs/guide.md compiles in a user's strict project: every `ts` block, as its
 * own module importing 'ailake' through the package's exports. guide.test.ts runs them.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { guideBlocks, ROOT, scratchProject } from '../helpers/guide.js'
import { tempDir } from '../helpers/tmpdir.js'

test('every TypeScript snippet of docs/guide.md type-checks in a strict project', async (t) => {
  const { dir, cleanup } = await tempDir('ailake-guide-types-')
  t.after(cleanup)
  scratchProject(dir)
  mkdirSync(join(dir, 'snippets'))
  const ts = guideBlocks().filter((b) => b.lang === 'ts')
  assert.ok(ts.length >= 10, 'the guide has its snippets')
  for (const b of ts) writeFileSync(join(dir, 'snippets', `${b.name}.ts`), b.code)
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'], types: ['node'], skipLibCheck: true },
    include: ['snippets/*.ts'],
  }))
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(tsc.status, 0, `the guide's snippets type-check (file names carry the line in guide.md):\n${tsc.stdout}${tsc.stderr}`)
})
