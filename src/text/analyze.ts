/**
 * Text to index terms: the one analyser both the full-text index writer and queries use, so a
 * query term finds exactly the rows whose text produced it.
 *
 * Steps: Unicode NFKC normalisation; case folding (upper- then lower-casing approximates
 * Unicode full case folding: `ß` and `SS` both become `ss`, final and medial sigma agree);
 * word boundaries from `Intl.Segmenter` (UAX #29, with ICU's dictionaries for scripts written
 * without spaces); then, for `english`, the Lucene English stop words are dropped and the rest
 * reduced by the Porter stemmer (the `stemmer` package: small, no dependencies, the classic
 * algorithm). `none` keeps folded words as they are, for any language. Every word takes a
 * position, stop words included, so a phrase with a stop word inside matches the same gap.
 */
import { invalid } from '../errors.js'
import { stemmer } from 'stemmer'

export type TextLanguage = 'english' | 'none'
export const TEXT_LANGUAGES: readonly TextLanguage[] = ['english', 'none']

/**
 * Lucene's `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET` (33 words): the classic short list. A short
 * list keeps most content words searchable; BM25's idf already discounts common ones.
 */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'no', 'not', 'of', 'on', 'or',
  'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this', 'to', 'was', 'will', 'with',
])

/** Words longer than this (UTF-16 units) take a position but are not indexed (Lucene's limit too). */
export const MAX_WORD_LENGTH = 255

/** One indexed term and the position of its word in the text (0-based, counting every word). */
export interface Token {
  term: string
  position: number
}

const segmenter = new Intl.Segmenter('en', { granularity: 'word' })
// A lone surrogate has no UTF-8 form, so a term holding one could not round-trip through a file.
const LONE_SURROGATE = /\p{Cs}/u
const POSSESSIVE = /['\u2019]s$/

export function checkLanguage(language: unknown, where: string): TextLanguage {
  if (!TEXT_LANGUAGES.includes(language as TextLanguage)) {
    throw invalid(`${where}: full-text language must be ${TEXT_LANGUAGES.map((l) => JSON.stringify(l)).join(' or ')}, got ${JSON.stringify(language)}`)
  }
  return language as TextLanguage
}

const NON_ASCII = /[\u0080-\uffff]/

/** NFKC and case folding, applied to the whole text before it is split into words. */
export function foldText(text: string): string {
  // ASCII is its own NFKC form, and folds by lower-casing.
  if (!NON_ASCII.test(text)) return text.toLowerCase()
  return text.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC')
}

const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90)
const isDigit = (c: number): boolean => c >= 48 && c <= 57
const isAlnum = (c: number): boolean => isLetter(c) || isDigit(c)
const UNDERSCORE = 95

/**
 * The word-like segments of ASCII text, exactly as `Intl.Segmenter` (UAX #29 as ICU implements
 * it) finds them, about 10x faster: letters, digits and `_` join; `.`, `'` and `:` join two letters;
 * `.`, `,`, `;` and `'` join two digits. `test/text/analyze.test.ts` checks it against
 * `Intl.Segmenter` on random strings of the characters these rules involve.
 */
function asciiWords(text: string): string[] {
  const out: string[] = []
  const n = text.length
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (!isLetter(c) && !isDigit(c) && c !== UNDERSCORE) {
      i++
      continue
    }
    const start = i
    let wordLike = c !== UNDERSCORE
    i++
    while (i < n) {
      const d = text.charCodeAt(i)
      if (isLetter(d) || isDigit(d) || d === UNDERSCORE) {
        if (d !== UNDERSCORE) wordLike = true
        i++
        continue
      }
      const prev = text.charCodeAt(i - 1)
      const next = i + 1 < n ? text.charCodeAt(i + 1) : -1
      const letters = isLetter(prev) && isLetter(next) && (d === 46 || d === 39 || d === 58)
      const digits = isDigit(prev) && isDigit(next) && (d === 46 || d === 44 || d === 59 || d === 39)
      if (!letters && !digits) break
      i += 2
    }
    // ICU counts a run of two or more underscores as a word, a lone one not.
    if (wordLike || i - start > 1) out.push(text.slice(start, i))
  }
  return out
}

/** Pieces of text segmented on their own; one long string slows Intl.Segmenter down quadratically. */
const PIECE_CHARS = 2048
const WHITESPACE = /\s/

/**
 * The word-like segments of folded text. Long text is cut into pieces where UAX #29 always puts
 * a word boundary, after whitespace and before an ASCII letter or digit (no rule joins across
 * whitespace, and nothing after the cut looks back past it), so the pieces give exactly the
 * segments of the whole; pieces without non-ASCII characters take the fast path.
 */
function words(folded: string): string[] {
  if (!NON_ASCII.test(folded)) return asciiWords(folded)
  const out: string[] = []
  let start = 0
  while (start < folded.length) {
    let end = Math.min(folded.length, start + PIECE_CHARS)
    while (end < folded.length && !(WHITESPACE.test(folded[end - 1] as string) && isAlnum(folded.charCodeAt(end)))) end++
    const piece = folded.slice(start, end)
    if (!NON_ASCII.test(piece)) out.push(...asciiWords(piece))
    else for (const seg of segmenter.segment(piece)) if (seg.isWordLike === true) out.push(seg.segment)
    start = end
  }
  return out
}

/** Porter stems of recent words: the stemmer's regexes cost more than a lookup of a common word. */
const stems = new Map<string, string>()
const MAX_STEMS = 50_000

function stem(word: string): string {
  let s = stems.get(word)
  if (s === undefined) {
    if (stems.size >= MAX_STEMS) stems.clear()
    stems.set(word, s = stemmer(word))
  }
  return s
}

/** The terms of a text with their word positions. */
export function analyze(text: string, language: TextLanguage): Token[] {
  const out: Token[] = []
  let position = 0
  for (let word of words(foldText(text))) {
    const at = position++
    if (word.length > MAX_WORD_LENGTH || LONE_SURROGATE.test(word)) continue
    if (language === 'english') {
      if (ENGLISH_STOP_WORDS.has(word)) continue
      word = stem(word.includes("'") || word.includes('\u2019') ? word.replace(POSSESSIVE, '') : word)
      if (word.length === 0) continue
    }
    out.push({ term: word, position: at })
  }
  return out
}
