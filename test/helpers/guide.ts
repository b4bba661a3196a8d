/**
 * The code blocks of docs/guide.md, and a scratch project in which they see 'ailake' as a user's
 * code does: through the package's own exports (node_modules/ailake is this checkout).
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface Block {
  lang: string
  /** Words after the language: `s3` (runs only with an S3 server), `install` (never runs). */
  tags: string[]
  code: string
  /** Line of the opening fence in guide.md. */
  line: number
  /** A file name that carries the line, for messages. */
  name: string
}

/** Every fenced block of the guide, in order. */
export function guideBlocks(): Block[] {
  const markdown = readFileSync(join(ROOT, 'docs/guide.md'), 'utf8')
  const out: Block[] = []
  for (const m of markdown.matchAll(/^```(\w+)([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const line = markdown.slice(0, m.index).split('\n').length
    out.push({ lang: m[1] as string, tags: (m[2] as string).trim().split(/\s+/).filter(Boolean), code: m[3] as string, line, name: `guide-line${String(line).padStart(3, '0')}` })
  }
  return out
}

/** A project folder (ESM) whose node_modules has ailake, apache-arrow and @types/node from this checkout. */
export function scratchProject(dir: string): void {
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true })
  symlinkSync(ROOT, join(dir, 'node_modules/ailake'), 'dir')
  symlinkSync(join(ROOT, 'node_modules/apache-arrow'), join(dir, 'node_modules/apache-arrow'), 'dir')
  symlinkSync(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'), 'dir')
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }')
}
