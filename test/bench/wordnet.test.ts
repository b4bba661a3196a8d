import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadWordNetGlosses, parseWordNetData, parseWordNetLine } from '../../bench/datasets/wordnet.js'
import { isAilakeError } from '../../src/errors.js'

const all = await loadWordNetGlosses()

test('parses every synset of the installed WordNet 3.1', () => {
  const counts: Record<string, number> = {}
  for (const g of all) counts[g.pos] = (counts[g.pos] ?? 0) + 1
  assert.deepEqual(counts, { noun: 82_192, verb: 13_789, adj: 18_185, adv: 3_625 })
  assert.equal(all.length, 117_791)
  assert.equal(new Set(all.map((g) => g.id)).size, all.length, 'ids are unique')
  for (const g of all) {
    assert.ok(g.lemmas.length > 0 && g.gloss.length > 0, g.id)
    assert.ok(!g.lemmas.some((l) => l.includes('_') || /\((a|p|ip)\)$/.test(l)), g.id)
    assert.equal(g.text, `${g.lemmas.join(', ')}: ${g.gloss}`)
  }
})

test('known synsets read back with lemmas and gloss', () => {
  const byId = new Map(all.map((g) => [g.id, g]))
  const entity = byId.get('n:00001740')!
  assert.deepEqual(entity.lemmas, ['entity'])
  assert.match(entity.gloss, /^that which is perceived or known or inferred/)
  const physical = byId.get('n:00001930')!
  assert.deepEqual(physical.lemmas, ['physical entity'])
  assert.equal(physical.text, 'physical entity: an entity that has physical existence')
  const abaxial = byId.get('a:00002312')!
  assert.deepEqual(abaxial.lemmas, ['abaxial', 'dorsal'])
  const thermometer = all.find((g) => g.pos === 'noun' && g.lemmas[0] === 'thermometer')
  assert.match(thermometer!.gloss, /temperature/)
})

test('samples are seeded, nested and filtered by part of speech', async () => {
  const a = await loadWordNetGlosses({ limit: 500, seed: 7 })
  const b = await loadWordNetGlosses({ limit: 500, seed: 7 })
  const c = await loadWordNetGlosses({ limit: 500, seed: 8 })
  const big = await loadWordNetGlosses({ limit: 2000, seed: 7 })
  assert.deepEqual(a.map((g) => g.id), b.map((g) => g.id))
  assert.notDeepEqual(a.map((g) => g.id), c.map((g) => g.id))
  assert.deepEqual(big.slice(0, 500).map((g) => g.id), a.map((g) => g.id))
  assert.equal(new Set(big.map((g) => g.id)).size, 2000)
  // A uniform sample of 2000 holds roughly the corpus share of nouns (70%).
  const nouns = big.filter((g) => g.pos === 'noun').length
  assert.ok(nouns > 1250 && nouns < 1550, `nouns in sample: ${nouns}`)
  const adv = await loadWordNetGlosses({ pos: ['adv', 'verb'] })
  assert.equal(adv.length, 3_625 + 13_789)
  assert.equal(adv[0]!.pos, 'verb', 'file order is noun, verb, adj, adv whatever order pos lists')
  assert.equal((await loadWordNetGlosses({ pos: 'adv', limit: 10 })).filter((g) => g.pos === 'adv').length, 10)
  assert.equal((await loadWordNetGlosses({ pos: 'adv', limit: 10_000 })).length, 3_625)
  await assert.rejects(loadWordNetGlosses({ pos: 'noun!' as 'noun' }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
  await assert.rejects(loadWordNetGlosses({ limit: -1 }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
})

test('parsing skips the licence header, tolerates CRLF and strips adjective markers', () => {
  const content = [
    '  1 This software and database is being provided to you  ',
    '  2   ',
    '00001740 00 a 02 able(p) 0 capable_of 1 001 ! 00002098 a 0101 | having the means; "able to swim"  \r',
    '00002098 00 s 01 unable 0 000 | not able  ',
    '',
  ].join('\n')
  const gs = parseWordNetData(content, 'adj')
  assert.equal(gs.length, 2)
  assert.deepEqual(gs[0], {
    id: 'a:00001740', pos: 'adj', lemmas: ['able', 'capable of'],
    gloss: 'having the means; "able to swim"', text: 'able, capable of: having the means; "able to swim"',
  })
  assert.equal(gs[1]!.id, 'a:00002098')
})

test('malformed lines fail with CORRUPT_DATA naming the line', () => {
  const bad: [string, RegExp][] = [
    ['00001740 03 n 01 entity 0 000 no gloss here', /no " \| "/],
    ['1740 03 n 01 entity 0 000 | gloss', /offset "1740"/],
    ['00001740 03 v 01 entity 0 000 | gloss', /synset type "v" does not belong in data.noun/],
    ['00001740 03 n 05 entity 0 000 | gloss', /word count "05"/],
    ['00001740 03 n zz entity 0 000 | gloss', /word count "zz"/],
    ['00001740 03 n 01 entity 0 000 |  ', /empty gloss/],
  ]
  for (const [line, pattern] of bad) {
    assert.throws(() => parseWordNetLine(line, 'noun'), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA') && pattern.test(e.message), line)
  }
  assert.throws(() => parseWordNetData('  header\n00001740 03 n 01 entity 0 000 | ok\nbroken line\n', 'noun', 'data.noun'),
    (e: unknown) => isAilakeError(e, 'CORRUPT_DATA') && /data.noun line 3/.test(e.message))
})

test('a missing dictionary directory is NOT_FOUND', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ailake-wn-'))
  try {
    await writeFile(join(dir, 'data.noun'), '  licence\n00000001 03 n 01 thing 0 000 | a thing\n')
    const got = await loadWordNetGlosses({ dictDir: dir, pos: 'noun' })
    assert.deepEqual(got.map((g) => g.text), ['thing: a thing'])
    await assert.rejects(loadWordNetGlosses({ dictDir: dir, pos: 'verb' }), (e: unknown) => isAilakeError(e, 'NOT_FOUND') && /data.verb/.test(e.message))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
