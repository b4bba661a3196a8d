/**
 * Every options object of the public API rejects keys it does not know. The list of options
 * objects is not written by hand: `optionSites()` reads it from src/index.ts with the TypeScript
 * compiler, and the first test fails when a site is neither checked here nor exempted with a
 * reason. The valid keys an error must list are the keys the TypeScript type declares.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  connect, createEmbedderByName, createOpenAIEmbedder, createUseLiteEmbedder, FileCatalog, flatSearch, HnswIndex,
  IndexBuilder, isAilakeError, LocalStore, MemoryStore, openDataFile, QueryCaches, verifyDataFile, writeDataFile,
} from '../../src/index.js'
import { bytesSource } from '../../src/util/byte-source.js'
import { closest } from '../../src/util/options.js'
import { makeInput } from '../format/data-file-fixtures.js'
import { optionSites, type OptionSite } from '../helpers/api-surface.js'
import { tempDir } from '../helpers/tmpdir.js'

type Options = Record<string, unknown>

interface Entry {
  /** Calls the API with `options` at this site; may throw or reject. */
  call(options: Options): unknown
  /** Valid values the call needs besides the key under test; one per form of a union. */
  bases?: Options[]
  /** How the key's path is shown in the message. Default: the nesting below the parameter (`retry.`). */
  prefix?: string
  /** Keys, for a site the walker cannot see (an index signature's values). */
  keys?: string[][]
  /** Skip the all-undefined call (it would load a model). */
  skipUndefined?: boolean
}

/** Sites that are not options objects, or are checked where users reach them. */
const EXEMPT: Record<string, string> = {
  'assertSameEmbedder#actual': 'an embedder identity record { name, dim } read back from a table, not options',
  'assertSameEmbedder#expected': 'an embedder identity record { name, dim } read back from a table, not options',
  'embedderFingerprint#e': 'an embedder identity record { name, dim }, not options',
  'FileCatalog.commitTable#base': 'catalog plumbing: a loaded table record the catalog itself returned',
  'FileCatalog.commitTable#base.ident': 'catalog plumbing: a table identifier record',
  'FileCatalog.commitTable#base.metadata': 'Iceberg table metadata: a record validated by its codec, not options',
  'FileCatalog.commitTable#metadata': 'Iceberg table metadata: a record validated by its codec, not options',
  'FileCatalog.createTable#ident': 'catalog plumbing: a table identifier record',
  'FileCatalog.createTable#metadata': 'Iceberg table metadata: a record validated by its codec, not options',
  'FileCatalog.defaultLocation#ident': 'catalog plumbing: a table identifier record',
  'FileCatalog.dropTable#ident': 'catalog plumbing: a table identifier record',
  'FileCatalog.loadTable#ident': 'catalog plumbing: a table identifier record',
  'FileCatalog.loadVersion#ident': 'catalog plumbing: a table identifier record',
  'FileCatalog.renameTable#from': 'catalog plumbing: a table identifier record',
  'FileCatalog.renameTable#to': 'catalog plumbing: a table identifier record',
  'IcebergCatalog.commitTable#ident': 'a table identifier record { namespace, name }, checked by checkIdentifier',
  'IcebergCatalog.dropTable#ident': 'a table identifier record { namespace, name }, checked by checkIdentifier',
  'IcebergCatalog.loadTable#ident': 'a table identifier record { namespace, name }, checked by checkIdentifier',
  'IcebergCatalog.renameTable#from': 'a table identifier record { namespace, name }, checked by checkIdentifier',
  'IcebergCatalog.renameTable#to': 'a table identifier record { namespace, name }, checked by checkIdentifier',
  'IcebergCatalog.tableExists#ident': 'a table identifier record { namespace, name }, checked by checkIdentifier',
  'Lakehouse.createTable#options.schema': 'an apache-arrow Schema, recognised by shape; it has many more properties than `fields`',
  'writeDataFile#input.schema': 'an Iceberg schema record, checked field by field against the columns by the writer',
  'DataFileReader.readColumnSection#at': 'a byte range { offset, length } kept in table metadata, checked against the section header it locates',
  'new AilakeError#options': 'errors are made by ailake, not by callers; a check would throw while building an error',
  'MemTableWriter.open#options.lease': '@internal test hook (simulated lease clock and owner); not part of the public surface',
  'MemTableWriter.open#options.lease.owner': '@internal test hook (simulated lease clock and owner); not part of the public surface',
  'new MemTableWriter#options.lease': '@internal test hook (simulated lease clock and owner); not part of the public surface',
  'new MemTableWriter#options.lease.owner': '@internal test hook (simulated lease clock and owner); not part of the public surface',
  'Table.memTableWriter#options.lease': '@internal test hook (simulated lease clock and owner); not part of the public surface',
  'Table.memTableWriter#options.lease.owner': '@internal test hook (simulated lease clock and owner); not part of the public surface',
  'MemTableWriter.open#options': 'takes an internal IcebergTable; users get writers from table.memTableWriter(options), checked there',
  'new MemTableWriter#options': 'takes an internal IcebergTable; users get writers from table.memTableWriter(options), checked there',
  'new TableWriter#options': 'takes an internal IcebergTable; users get writers from table.writer(options), checked there',
  'new FullTextSearch#ctx': 'internal search context; users get full-text searches from table.fullTextSearch(), whose options are checked',
  'new FullTextSearch#options': 'the options of table.fullTextSearch(), checked there',
  'new FullTextSearch#options.where': 'the options of table.fullTextSearch(), checked there',
  'new FullTextSearch#options.where.not': 'the options of table.fullTextSearch(), checked there',
  'new HybridSearch#ctx': 'internal search context; users get hybrid searches from table.hybridSearch(), whose options are checked',
  'new HybridSearch#options': 'the options of table.hybridSearch(), checked there',
  'new HybridSearch#options.where': 'the options of table.hybridSearch(), checked there',
  'new HybridSearch#options.where.not': 'the options of table.hybridSearch(), checked there',
  'new SearchBuilder#ctx': 'internal search context; users get builders from table.search(), whose methods are checked',
  'new SearchBuilder#state': 'internal builder state, set only through the checked builder methods',
  'new SearchBuilder#state.filter': 'internal builder state, set only through where(), checked there',
  'new SearchBuilder#state.filter.not': 'internal builder state, set only through where(), checked there',
  'new SearchBuilder#state.prune': 'internal builder state, set only through prune(), checked there',
  'DataFileReader.readRows#options.schema': 'a Schema (the table model, as table.schema returns it), not an options object',
  'DataFileReader.readColumnValues#options.schema': 'a Schema (the table model, as table.schema returns it), not an options object',
}

/** Sites checked here that the walker cannot list. */
const MANUAL = new Set(['createTable schema column spec'])

/** What the calls below need: a warehouse with one table, a data file, an index. */
async function fixture() {
  const { dir, cleanup } = await tempDir('ailake-options-')
  const lake = await connect(dir)
  const table = await lake.createTable('t', { vector: { dim: 2, metric: 'euclidean' }, schema: { id: 'long' } })
  await table.add([{ id: 1n, embedding: [1, 0] }])
  const input = makeInput({ rows: 3, dim: 2, metric: 'euclidean', index: 8 })
  const written = writeDataFile(input)
  const source = bytesSource(written.bytes)
  const vectors = [new Float32Array([1, 0]), new Float32Array([0, 1])]
  let n = 0
  let textTable: ReturnType<typeof lake.createTable> | undefined
  let big: HnswIndex | undefined
  return {
    dir, lake, table, input, written, source, vectors,
    reader: await openDataFile(source),
    index: HnswIndex.build(vectors, { metric: 'euclidean' }),
    /** An index large enough to carry SQ8 codes (1,024 rows), made on first use. */
    big: (): HnswIndex => (big ??= HnswIndex.build(Float32Array.from({ length: 2048 }, (_, i) => Math.sin(i)), { metric: 'euclidean', dim: 2, efConstruction: 16 })),
    flat: new Float32Array([1, 0, 0, 1]),
    q: new Float32Array([1, 0]),
    fresh: (): string => `fresh${++n}`,
    /** A table with a full-text column, made on first use. */
    textTable: (): Promise<Awaited<ReturnType<typeof lake.createTable>>> => (textTable ??= lake.createTable('ft', { vector: { dim: 2, metric: 'euclidean' }, schema: { id: 'long', body: 'string' }, fullText: ['body'] })),
    async cleanup(): Promise<void> {
      await lake.close()
      await cleanup()
    },
  }
}
type Fixture = Awaited<ReturnType<typeof fixture>>

const leaf = { column: 'id', op: '=', value: 1 }
const FILTER_FORMS = [{ and: [leaf] }, { or: [leaf] }, { not: leaf }, leaf, { column: 'id', op: 'in', values: [1] }, { column: 'id', op: 'is null' }]

/** One entry per options object: how to reach it with given options. */
const ENTRIES: Record<string, (f: Fixture) => Entry> = {
  'connect#options': (f) => ({ call: (o) => connect(f.dir, o) }),
  'connect#options.cache': (f) => ({ call: (o) => connect(f.dir, { cache: o }) }),
  'connect#options.indexBuilder': (f) => ({ call: (o) => connect(f.dir, { indexBuilder: o }) }),
  'connect#options.indexCache': (f) => ({ call: (o) => connect(f.dir, { indexCache: o as { dir: string } }), bases: [{ dir: `${f.dir}/cache` }] }),
  'connect#options.optimize': (f) => ({ call: (o) => connect(f.dir, { optimize: o }) }),
  'Table.optimize#options': (f) => ({ call: (o) => f.table.optimize(o) }),
  'connect#options.retry': (f) => ({ call: (o) => connect(f.dir, { retry: o }) }),
  'connect#options.s3': (f) => ({ call: (o) => connect(f.dir, { s3: o }) }),
  'connect#options.s3.credentials': (f) => ({
    call: (o) => connect(f.dir, { s3: { credentials: o as { accessKeyId: string; secretAccessKey: string } } }),
    bases: [{ accessKeyId: 'a', secretAccessKey: 'b' }],
  }),
  // An unknown embedder name fails after the options are checked, so nothing is loaded.
  'createEmbedderByName#options': () => ({ call: (o) => createEmbedderByName('no-such-embedder', o) }),
  'createEmbedderByName#options.openai': () => ({ call: (o) => createEmbedderByName('no-such-embedder', { openai: o }) }),
  'createEmbedderByName#options.useLite': () => ({ call: (o) => createEmbedderByName('no-such-embedder', { useLite: o }) }),
  'createOpenAIEmbedder#options': () => ({ call: (o) => createOpenAIEmbedder(o as { model: string }), bases: [{ model: 'm', apiKey: 'k', baseUrl: 'http://127.0.0.1:9' }] }),
  'createUseLiteEmbedder#options': () => ({ call: (o) => createUseLiteEmbedder(o), skipUndefined: true }),
  'DataFileReader.readRows#options': (f) => ({ call: (o) => f.reader.readRows(o) }),
  'DataFileReader.readColumnValues#options': (f) => ({ call: (o) => f.reader.readColumnValues(o as never), bases: [{ columns: [] }] }),
  'Table.alterSchema#change': (f) => ({ call: (o) => f.table.alterSchema(o) }),
  'FileCatalog.dropTable#options': (f) => ({ call: (o) => (f.lake.catalog as FileCatalog).dropTable({ namespace: ['default'], name: 'absent' }, o) }),
  'IcebergCatalog.dropTable#options': (f) => ({ call: (o) => f.lake.iceberg.dropTable({ namespace: ['default'], name: 'absent' }, o) }),
  'IcebergCatalog.updateNamespace#change': (f) => ({ call: (o) => f.lake.iceberg.updateNamespace(['default'], o) }),
  'flatSearch#options': (f) => ({ call: (o) => flatSearch(f.flat, 2, 'euclidean', f.q, 1, o) }),
  'HnswIndex.build#options': (f) => ({ call: (o) => HnswIndex.build(f.vectors, o as { metric: 'euclidean' }), bases: [{ metric: 'euclidean' }] }),
  'HnswIndex.deserialize#options': (f) => ({ call: (o) => HnswIndex.deserialize(f.index.serialize(), f.flat, o) }),
  'HnswIndex.search#options': (f) => ({ call: (o) => f.index.search(f.q, 1, o) }),
  'HnswIndex.fromCodes#options': (f) => ({ call: (o) => HnswIndex.fromCodes(f.big().serialize(), f.big().codes() as Uint8Array, o) }),
  'HnswIndex.searchCodes#options': (f) => ({ call: (o) => f.big().searchCodes(f.q, 1, o) }),
  'HnswIndex.codes#options': (f) => ({ call: (o) => f.big().codes(o) }),
  'Lakehouse.createTable#options': (f) => ({ call: (o) => f.lake.createTable(f.fresh(), o as { vector: { dim: number } }), bases: [{ vector: { dim: 2 } }] }),
  'Lakehouse.createTable#options.vector': (f) => ({ call: (o) => f.lake.createTable(f.fresh(), { vector: o as { dim: number } }), bases: [{ dim: 2 }] }),
  'createTable schema column spec': (f) => ({
    call: (o) => f.lake.createTable(f.fresh(), { vector: { dim: 2 }, schema: { id: o as { type: 'long' } } }),
    bases: [{ type: 'long' }],
    keys: [['type', 'required', 'doc']],
    prefix: '',
  }),
  'new FileCatalog#options': () => ({ call: (o) => new FileCatalog(o as { store: MemoryStore; warehouse: string }), bases: [{ store: new MemoryStore(), warehouse: 'memory://w' }] }),
  'new IndexBuilder#options': () => ({ call: (o) => new IndexBuilder(o) }),
  'new LocalStore#options': (f) => ({ call: (o) => new LocalStore(o as { root: string }), bases: [{ root: f.dir }] }),
  'new QueryCaches#options': () => ({ call: (o) => new QueryCaches(o) }),
  'openDataFile#options': (f) => ({ call: (o) => openDataFile(f.source, o) }),
  'openDataFile#options.section': (f) => ({
    call: (o) => openDataFile(f.source, { section: o as { offset: number; length: number } }),
    bases: [{ offset: f.written.vector.sectionOffset, length: f.written.vector.sectionLength }],
  }),
  'openDataFile#options.vector': (f) => ({
    call: (o) => openDataFile(f.source, { vector: o as { column: string; dim: number; metric: 'euclidean' } }),
    bases: [{ column: 'embedding', dim: 2, metric: 'euclidean' }],
  }),
  'SearchBuilder.prune#mode': (f) => ({ call: (o) => f.table.search(f.q).prune(o as { approximate: number }), bases: [{ approximate: 2 }, { probe: 2 }] }),
  'SearchBuilder.where#filter': (f) => ({ call: (o) => f.table.search(f.q).where(o as never), bases: FILTER_FORMS }),
  'SearchBuilder.where#filter.not': (f) => ({ call: (o) => f.table.search(f.q).where({ not: o as never }), bases: FILTER_FORMS, prefix: '' }),
  'Table.add#options': (f) => ({ call: (o) => f.table.add([{ id: 2n, embedding: [0, 1] }], o) }),
  'Table.expireSnapshots#options': (f) => ({ call: (o) => f.table.expireSnapshots(o) }),
  'Table.delete#where': (f) => ({ call: (o) => f.table.delete(o as never), bases: FILTER_FORMS }),
  'Table.delete#where.not': (f) => ({ call: (o) => f.table.delete({ not: o as never }), bases: FILTER_FORMS, prefix: '' }),
  'Table.update#options': (f) => ({ call: (o) => f.table.update('id = 1', { id: 1n }, o) }),
  'Table.update#where': (f) => ({ call: (o) => f.table.update(o as never, { id: 1n }), bases: FILTER_FORMS }),
  'Table.update#where.not': (f) => ({ call: (o) => f.table.update({ not: o as never }, { id: 1n }), bases: FILTER_FORMS, prefix: '' }),
  'Table.upsert#options': (f) => ({ call: (o) => f.table.upsert([{ id: 3n, embedding: [0, 1] }], o as { on: string }), bases: [{ on: 'id' }] }),
  'Table.memTableWriter#options': (f) => ({ call: (o) => f.table.memTableWriter({ writerId: f.fresh(), ...o }) }),
  'Table.removeOrphanFiles#options': (f) => ({ call: (o) => f.table.removeOrphanFiles(o) }),
  'Table.search#options': (f) => ({ call: (o) => f.table.search(f.q, o) }),
  'Table.setVectorColumn#vector': (f) => ({ call: (o) => f.table.setVectorColumn(o as never) }),
  'Table.setFullText#options': (f) => ({ call: async (o) => (await f.textTable()).setFullText(['body'], o as never) }),
  'Table.scan#options': (f) => ({ call: (o) => f.table.scan(o) }),
  'Table.scan#options.where': (f) => ({ call: (o) => f.table.scan({ where: o as never }), bases: FILTER_FORMS, prefix: '' }),
  'Table.scan#options.where.not': (f) => ({ call: (o) => f.table.scan({ where: { not: o as never } }), bases: FILTER_FORMS, prefix: '' }),
  'Table.fullTextSearch#options': (f) => ({ call: async (o) => (await f.textTable()).fullTextSearch('x', o) }),
  'Table.fullTextSearch#options.where': (f) => ({ call: async (o) => (await f.textTable()).fullTextSearch('x', { where: o as never }), bases: FILTER_FORMS, prefix: '' }),
  'Table.fullTextSearch#options.where.not': (f) => ({ call: async (o) => (await f.textTable()).fullTextSearch('x', { where: { not: o as never } }), bases: FILTER_FORMS, prefix: '' }),
  'Table.hybridSearch#options': (f) => ({ call: async (o) => (await f.textTable()).hybridSearch(o as { text: string }), bases: [{ text: 'x' }] }),
  'Table.hybridSearch#options.where': (f) => ({ call: async (o) => (await f.textTable()).hybridSearch({ text: 'x', where: o as never }), bases: FILTER_FORMS, prefix: '' }),
  'Table.hybridSearch#options.where.not': (f) => ({ call: async (o) => (await f.textTable()).hybridSearch({ text: 'x', where: { not: o as never } }), bases: FILTER_FORMS, prefix: '' }),
  'Table.writer#options': (f) => ({ call: (o) => f.table.writer(o) }),
  'Table.verify#options': (f) => ({ call: (o) => f.table.verify(o) }),
  'MemTableWriter.insert#options': (f) => ({
    call: async (o) => {
      const w = f.table.memTableWriter({ writerId: f.fresh() })
      try {
        await w.insert([{ id: 3n, embedding: [0, 1] }], o)
      } finally {
        await w.close()
      }
    },
  }),
  'TableWriter.commit#options': (f) => ({ call: (o) => f.table.writer().commit(o) }),
  'verifyDataFile#options': (f) => ({ call: (o) => verifyDataFile(f.source, o) }),
  'writeDataFile#input': (f) => ({ call: (o) => writeDataFile(o as never), bases: [f.input as unknown as Options] }),
  'writeDataFile#input.index': (f) => ({ call: (o) => writeDataFile({ ...f.input, index: o as never }), bases: [{ type: 'hnsw', bytes: new Uint8Array(8) }] }),
  'writeDataFile#input.vector': (f) => ({ call: (o) => writeDataFile({ ...f.input, vector: o as never }), bases: [{ ...f.input.vector }] }),
}

/** Runs `call`; closes whatever it opened (a lakehouse, a writer, a builder). */
async function attempt(entry: Entry, options: Options): Promise<unknown> {
  try {
    const made = await entry.call(options)
    const close = (made as { close?: unknown } | null)?.close
    if (typeof close === 'function') await (close as () => Promise<void>).call(made)
    return undefined
  } catch (err) {
    return err ?? new Error('thrown undefined')
  }
}

/** The base whose keys best cover `keys` (the form of a union it exercises). */
function baseFor(entry: Entry, keys: string[]): Options {
  const fits = (entry.bases ?? [{}]).filter((b) => Object.keys(b).every((k) => keys.includes(k)))
  const best = fits.sort((a, b) => Object.keys(b).length - Object.keys(a).length)[0]
  assert.ok(best !== undefined, `no base for the form { ${keys.join(', ')} }`)
  return best
}

function prefixOf(id: string, entry: Entry): string {
  if (entry.prefix !== undefined) return entry.prefix
  const path = id.slice(id.indexOf('#') + 1).split('.').slice(1)
  return path.map((p) => `${p}.`).join('')
}

/** The listed valid keys of an unknown-key error. */
function listedKeys(message: string): string[] {
  const m = /; valid [^:]*: (.*)$/.exec(message)
  assert.ok(m !== null, `the message lists the valid keys: ${message}`)
  return (m[1] as string).split(', ').sort()
}

/** A typo of `key` that is no valid key: the last letter dropped, or doubled for short keys. */
function typoOf(key: string, valid: string[]): string {
  const t = key.length > 3 ? key.slice(0, -1) : `${key}${key.slice(-1)}`
  assert.ok(!valid.includes(t))
  return t
}

test('every object-typed parameter of the public API is checked here or exempted with a reason', () => {
  const sites = optionSites().map((s) => s.id)
  const covered = new Set([...Object.keys(ENTRIES), ...Object.keys(EXEMPT)])
  const unchecked = sites.filter((id) => !covered.has(id))
  assert.deepEqual(unchecked, [], `options objects without a check in this test (add an entry, or an exemption with its reason): ${unchecked.join(', ')}`)
  const stale = [...covered].filter((id) => !sites.includes(id) && !MANUAL.has(id))
  assert.deepEqual(stale, [], `entries for sites that no longer exist: ${stale.join(', ')}`)
})

test('each options object rejects a typo, naming it, the key meant and every valid key', async (t) => {
  const fx = await fixture()
  t.after(() => fx.cleanup())
  const sites = new Map<string, OptionSite>(optionSites().map((s) => [s.id, s]))
  let checked = 0
  for (const [id, make] of Object.entries(ENTRIES)) {
    const entry = make(fx)
    const forms = entry.keys ?? sites.get(id)?.keys
    assert.ok(forms !== undefined, `${id}: no such site in src/index.ts`)
    for (const keys of forms) {
      const base = baseFor(entry, keys)
      const longest = [...keys].sort((a, b) => b.length - a.length)[0] as string
      const typo = typoOf(longest, keys)
      const label = `${id} { ${keys.join(', ')} } with ${typo}`
      const err = await attempt(entry, { ...base, [typo]: 1 })
      assert.ok(isAilakeError(err, 'INVALID_ARGUMENT'), `${label}: expected INVALID_ARGUMENT, got ${String(err)}`)
      const shown = `${prefixOf(id, entry)}${typo}`
      assert.ok(err.message.includes(`unknown option "${shown}"`) || err.message.includes(`unknown filter key "${shown}"`), `${label}: names the key: ${err.message}`)
      assert.ok(err.message.includes(`did you mean "${longest}"?`), `${label}: suggests ${longest}: ${err.message}`)
      assert.deepEqual(listedKeys(err.message), [...keys].sort(), `${label}: lists exactly the declared keys`)

      const stray = await attempt(entry, { ...base, bloomFilterColumns: ['x'] })
      assert.ok(isAilakeError(stray, 'INVALID_ARGUMENT'), `${id}: a key that is nothing like a valid one is rejected too, got ${String(stray)}`)
      assert.doesNotMatch(stray.message, /did you mean/, `${id}: no suggestion for bloomFilterColumns`)
      assert.deepEqual(listedKeys(stray.message), [...keys].sort())

      if (entry.skipUndefined !== true) {
        const unset = Object.fromEntries(keys.filter((k) => !(k in base)).map((k) => [k, undefined]))
        const outcome = await attempt(entry, { ...base, ...unset })
        assert.ok(outcome === undefined || !/unknown (option|filter key)/.test((outcome as Error).message), `${id}: undefined values of known keys are accepted: ${String(outcome)}`)
      }
      checked++
    }
  }
  assert.ok(checked >= Object.keys(ENTRIES).length)
})

test('a rejected createTable creates nothing', async (t) => {
  const fx = await fixture()
  t.after(() => fx.cleanup())
  await assert.rejects(fx.lake.createTable('typo', { vector: { dim: 2 }, bloomFilterColumns: ['x'] } as never), /unknown option "bloomFilterColumns"; valid options: vector, vectors, embedder, schema, properties, partitionBy, fullText, fullTextLanguage, existOk$/)
  await assert.rejects(fx.lake.openTable('typo'), (e: unknown) => isAilakeError(e, 'NOT_FOUND'))
  assert.deepEqual(await fx.lake.listTables(), ['default.t'])
})

test('suggestions: case, snake_case, a dropped or swapped letter; nothing for unrelated words', () => {
  const valid = ['maxAttempts', 'baseDelayMs', 'maxDelayMs', 'M', 'efConstruction']
  assert.equal(closest('maxattempts', valid), 'maxAttempts')
  assert.equal(closest('max_attempts', valid), 'maxAttempts')
  assert.equal(closest('maxAttempt', valid), 'maxAttempts')
  assert.equal(closest('baseDleayMs', valid), 'baseDelayMs')
  assert.equal(closest('efConstrution', valid), 'efConstruction')
  assert.equal(closest('m', valid), 'M')
  assert.equal(closest('bloomFilterColumns', valid), undefined)
  assert.equal(closest('x', valid), undefined, 'two letters or fewer: only case and separators')
})
