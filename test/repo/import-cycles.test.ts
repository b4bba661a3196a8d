/**
 * The modules of src/ import each other without cycles, so every module can be loaded (and
 * understood) after the ones it uses. Imports are read from the sources: static imports and
 * re-exports, `import type` included (a cycle of types is still a tangle), and dynamic imports.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : []
  })
}

/** Relative module specifiers of `text`: `from '…'`, `import '…'`, `import('…')`. */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const out: string[] = []
  for (const m of code.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g)) {
    const spec = m[1] ?? m[2]
    if (spec !== undefined && spec.startsWith('.')) out.push(spec)
  }
  return out
}

/** The import graph of src/: file → files it imports (`.js` specifiers name `.ts` sources). */
export function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files)
  const graph = new Map<string, string[]>()
  for (const f of files) {
    const deps = importsOf(readFileSync(f, 'utf8')).map((s) => resolve(dirname(f), s).replace(/\.js$/, '.ts'))
    const missing = deps.filter((d) => !known.has(d) && !d.endsWith('.generated.ts'))
    assert.deepEqual(missing, [], `${relative(SRC, f)} imports files that are not in src/`)
    graph.set(f, deps.filter((d) => known.has(d)))
  }
  return graph
}

/** Every cycle found by a depth-first search, each as the files along it (first repeated last). */
export function cycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const found: string[][] = []
  const visit = (f: string): void => {
    state.set(f, 'open')
    stack.push(f)
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') found.push([...stack.slice(stack.indexOf(d)), d])
      else if (state.get(d) === undefined) visit(d)
    }
    stack.pop()
    state.set(f, 'done')
  }
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f)
  return found
}

test('the cycle finder finds a cycle and passes a tree', () => {
  const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])
  assert.deepEqual(cycles(g), [['a', 'b', 'c', 'a']])
  assert.deepEqual(cycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), [])
  assert.deepEqual(importsOf(`import { x } from './x.js'\nimport type { Y } from '../y.js'\nexport { z } from "./z.js"\n// import { no } from './no.js'\nconst m = await import('./lazy.js')\nimport 'node:fs'`), ['./x.js', '../y.js', './z.js', './lazy.js'])
})

test('src/ has no import cycles', () => {
  const files = sources(SRC)
  assert.ok(files.length > 50, `found ${files.length} source files under ${SRC}`)
  const found = cycles(importGraph(files)).map((c) => c.map((f) => relative(SRC, f)).join(' → '))
  assert.deepEqual(found, [], `import cycles in src/:\n${found.join('\n')}`)
})
