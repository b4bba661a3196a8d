import { test } from 'node:test'
import assert from 'node:assert/strict'
import { analyze, ENGLISH_STOP_WORDS } from '../../src/text/analyze.js'
import { seededRandom } from '../../src/util/rng.js'
import { loadWordNetGlosses } from '../../bench/datasets/wordnet.js'
import { parseTextQuery } from '../../src/text/bm25.js'

const terms = (text: string, language: 'english' | 'none' = 'english'): string[] => analyze(text, language).map((t) => t.term)

test('english: case folding, stop words, Porter stems, possessives (hand-written expectations)', () => {
  assert.deepEqual(terms('The Running Dogs were running to the park'), ['run', 'dog', 'were', 'run', 'park'])
  assert.deepEqual(terms("the dog's bones, and its connections"), ['dog', 'bone', 'it', 'connect'])
  // Porter's classic examples.
  assert.deepEqual(terms('caresses ponies relational generalizations'), ['caress', 'poni', 'relat', 'gener'])
  assert.equal(ENGLISH_STOP_WORDS.size, 33)
})


test('positions count every word, stop words included; punctuation takes none', () => {
  assert.deepEqual(analyze('state-of-the-art, in the lab!', 'english'), [
    { term: 'state', position: 0 }, { term: 'art', position: 3 }, { term: 'lab', position: 6 },
  ])
})

test('Unicode: NFKC, full case folding, scripts without spaces, lone surrogates dropped', () => {
  // ﬁ (U+FB01) is NFKC "fi"; ß folds to ss; fullwidth Ａ to a.
  assert.deepEqual(terms('ﬁle STRASSE straße ＡＢＣ', 'none'), ['file', 'strasse', 'strasse', 'abc'])
  // Greek final sigma folds like the medial one.
  assert.deepEqual(terms('ΟΔΟΣ οδος', 'none'), ['οδος', 'οδος'])
  // Japanese has no spaces: the segmenter still finds several words.
  assert.ok(terms('東京都に住んでいます', 'none').length >= 3)
  assert.deepEqual(terms('ok \ud800 fine', 'none'), ['ok', 'fine'])
  // 'none' keeps stop words and does not stem.
  assert.deepEqual(terms('The running dogs', 'none'), ['the', 'running', 'dogs'])
})

test('query syntax: terms, quoted phrases with their gaps, +required', () => {
  assert.deepEqual(parseTextQuery('+Dogs "state of the art" cat', 'english'), [
    { terms: ['dog'], offsets: [0], required: true },
    { terms: ['state', 'art'], offsets: [0, 3], required: false },
    { terms: ['cat'], offsets: [0], required: false },
  ])
  assert.deepEqual(parseTextQuery('+"running dogs" the e-mail', 'english'), [
    { terms: ['run', 'dog'], offsets: [0, 1], required: true },
    { terms: ['e'], offsets: [0], required: false },
    { terms: ['mail'], offsets: [0], required: false },
  ])
  // A one-word phrase is a term; an unterminated quote runs to the end; stop words alone vanish.
  assert.deepEqual(parseTextQuery('"Dogs" "the cats', 'english'), [
    { terms: ['dog'], offsets: [0], required: false },
    { terms: ['cat'], offsets: [0], required: false },
  ])
  assert.deepEqual(parseTextQuery('the of', 'english'), [])
})

/** The words Intl.Segmenter finds, folded as the analyser folds ASCII. */
function segmenterWords(text: string): string[] {
  const seg = new Intl.Segmenter('en', { granularity: 'word' })
  return [...seg.segment(text.toLowerCase())].filter((s) => s.isWordLike === true).map((s) => s.segment)
}

test('the ASCII fast path finds exactly the words Intl.Segmenter finds (20,000 random strings, all WordNet glosses)', async () => {
  const alphabet = "abZ19 .,;:'_-\"()!?/&@#\n\t$%+=*<>[]{}|~^`"
  const r = seededRandom(2024)
  for (let i = 0; i < 20_000; i++) {
    const n = Math.floor(r() * 16)
    let s = ''
    for (let j = 0; j < n; j++) s += alphabet[Math.floor(r() * alphabet.length)]
    assert.deepEqual(analyze(s, 'none').map((t) => t.term), segmenterWords(s), `case ${i}: ${JSON.stringify(s)}`)
  }
  for (const g of await loadWordNetGlosses()) {
    if (/[\u0080-\uffff]/.test(g.text)) continue
    assert.deepEqual(analyze(g.text, 'none').map((t) => t.term), segmenterWords(g.text), g.id)
  }
})

test('long non-ASCII texts split like one Intl.Segmenter pass over the whole text (random mixed texts), in time linear in their length', () => {
  // Intl.Segmenter in V8 slows down quadratically over one long string: a 89 KB e-mail with six
  // U+FFFD took 31 s. The analyser segments it in pieces cut where a word boundary is certain.
  const pieces = ['word', 'Ünïcödé', 'naïve', 'e\u0301', '東京', 'ไทย', 'a.b', "it's", '3.14', '1,000', ' ', '  ', '\n', '\t', '\u00a0', '\u200d', '\u00ad', '\ufffd', '_', '--', '🇫🇷', '👍🏽', 'x', '7', '.', "'", ':']
  const r = seededRandom(77)
  for (let i = 0; i < 300; i++) {
    const n = 200 + Math.floor(r() * 3000)
    let s = ''
    for (let j = 0; j < n; j++) s += pieces[Math.floor(r() * pieces.length)]
    assert.deepEqual(analyze(s, 'none').map((t) => t.term), segmenterWords(s.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC')).filter((w) => w.length <= 255), `case ${i}`)
  }
  // 2 MB of mostly ASCII text with a few non-ASCII characters: minutes before the fix, and
  // beyond the test timeout at this length.
  const line = 'lists freshmeat net mailman listinfo news résumé 12,5 \ufffd '
  const big = line.repeat(Math.ceil(2 * 2 ** 20 / line.length))
  const tokens = analyze(big, 'none')
  assert.equal(tokens.length, 8 * Math.ceil(2 * 2 ** 20 / line.length))
})
