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

/** NFKC and case folding, applied to the whole text before it is split into words. */
export function foldText(text: string): string {
  return text.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC')
}

/** The terms of a text with their word positions. */
export function analyze(text: string, language: TextLanguage): Token[] {
  const out: Token[] = []
  let position = 0
  for (const seg of segmenter.segment(foldText(text))) {
    if (seg.isWordLike !== true) continue
    const at = position++
    let word = seg.segment
    if (word.length > MAX_WORD_LENGTH || LONE_SURROGATE.test(word)) continue
    if (language === 'english') {
      if (ENGLISH_STOP_WORDS.has(word)) continue
      word = stemmer(word.replace(POSSESSIVE, ''))
      if (word.length === 0) continue
    }
    out.push({ term: word, position: at })
  }
  return out
}
