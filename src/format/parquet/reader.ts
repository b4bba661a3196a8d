/**
 * Reading a data file over a `ByteSource`: footer, sections, vectors (page-level fast path with
 * hyparquet as the general fallback) and selected rows via the Parquet offset index.
 */
import { PARQUET_DECOMPRESSORS } from '../codecs.js'
import { parquetRead, parquetReadObjects, type AsyncBuffer, type ColumnChunk, type FileMetaData } from 'hyparquet'
import { AilakeError, corrupt, invalid } from '../../errors.js'
import type { ByteSource } from '../../util/byte-source.js'
import { checkOptions } from '../../util/options.js'
import { projectColumns, type Schema } from '../schema.js'
import { rawConverters, withoutDecimalTypes } from './raw-columns.js'
import { readFooter, readRange, type Footer } from './footer.js'
import { crc32c } from '../../util/crc32c.js'
import { IntegrityChecks } from './integrity.js'
import { PageGuard } from './page-guard.js'
import { fromParquetSchema } from './schema-map.js'
import { COLUMN_SECTION_VERSION, type DecodedSection } from './section.js'
import { checkColumnSection, columnEntry, locateByTrailer, parseSectionList, readSectionAt, readSectionHeadAt, type SectionEntry, type SectionFacts } from './section-read.js'
import { decodePageLocations, type PageSpan } from './page-location.js'
import type { VectorFacts } from './types.js'
import { KV_ICEBERG_SCHEMA, KV_SECTIONS } from './writer.js'
import { COALESCE_GAP, mergeRuns, pageAt, upperBound } from './page-runs.js'
import { decodeVectorValues, parseVectorPage, rowBytes } from './vector-pages.js'
import type { Metric } from '../../vector/types.js'

type Page = PageSpan


/**
 * Decoded vector pages kept between reads of one file, by the page's file offset: `readVectorsAt`
 * looks pages up before reading them and hands every page it reads to `set` (its rows, f32).
 */
export interface VectorPageCache {
  get(pageOffset: number): Float32Array | undefined
  set(pageOffset: number, vectors: Float32Array): void
}

/** The file as hyparquet reads it; every read is checked first (page-guard.ts). */
function asyncBuffer(source: ByteSource, guard: PageGuard): AsyncBuffer {
  return {
    byteLength: source.size,
    slice(start: number, end?: number): Promise<ArrayBuffer> {
      const read = (async () => {
        const e = end ?? source.size
        const b = await readRange(source, start, e - start, 'Parquet data')
        guard.check(b, start)
        return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer
      })()
      // hyparquet may start several reads and stop awaiting after the first failure; the others'
      // rejections must not surface as unhandled.
      read.catch(() => {})
      return read
    },
  }
}

/** The file's name for error messages. */
function fileName(source: ByteSource): string {
  return source.name ?? 'data file'
}

function wrapHyparquet(err: unknown, what: string): AilakeError {
  if (err instanceof AilakeError) return err
  return new AilakeError('CORRUPT_DATA', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
}

/** How to read the vector column of a file that has no ailake section (written by another engine). */
export interface ForeignVector {
  column: string
  dim: number
  metric: Metric
}

export interface OpenDataFileOptions {
  /** The section's offset and length as kept in table metadata: `readSection()` is then one ranged read. */
  section?: { offset: number; length: number }
  /** For files without a section: the vector column (a list of floats) to read. */
  vector?: ForeignVector
}

export class DataFileReader {
  readonly rowCount: number
  readonly schema: Schema
  private section: Promise<DecodedSection> | undefined
  /** The section without its index bytes, which reads of columns need (for its integrity table). */
  private head: Promise<SectionFacts> | undefined
  private readonly groupStarts: number[] = []
  /** Page locations of vector column chunks, by the chunk's first page offset. */
  private readonly pageCache = new Map<number, Promise<Page[]>>()
  /** The integrity table once the section is read (none for files without one); see integrity.ts. */
  private checks: IntegrityChecks
  private guardCache: PageGuard | undefined
  /** Facts of the sections of vector columns after the first, by column. */
  private readonly columnHeads = new Map<string, Promise<VectorFacts>>()

  constructor(
    private readonly source: ByteSource,
    private readonly footer: Footer,
    private readonly sectionAt?: { offset: number; length: number },
    private readonly foreignVector?: ForeignVector,
  ) {
    this.checks = new IntegrityChecks(fileName(source))
    this.rowCount = Number(footer.metadata.num_rows)
    let schemaId = 0
    const json = footer.kv.get(KV_ICEBERG_SCHEMA)
    if (json !== undefined) {
      try {
        const id = (JSON.parse(json) as { 'schema-id'?: unknown })['schema-id']
        if (typeof id === 'number') schemaId = id
      } catch {
        throw corrupt('Parquet key iceberg.schema is not valid JSON')
      }
    }
    this.schema = fromParquetSchema(footer.metadata.schema, schemaId)
    let start = 0
    for (const rg of footer.metadata.row_groups) {
      this.groupStarts.push(start)
      start += Number(rg.num_rows)
    }
  }

  get metadata(): FileMetaData {
    return this.footer.metadata
  }

  /** The footer hyparquet decodes scalar columns with: decimals raw (raw-columns.ts). */
  private rawMetadataCache: FileMetaData | undefined
  private rawMetadata(): FileMetaData {
    return this.rawMetadataCache ??= withoutDecimalTypes(this.footer.metadata)
  }

  private guard(): PageGuard {
    return this.guardCache ??= new PageGuard(this.footer.metadata, this.checks)
  }

  /** Where the section is: given offsets, else the footer key-value entry, else the trailer. */
  private async locate(): Promise<{ offset: number; length: number }> {
    if (this.sectionAt) return this.sectionAt
    const list = this.sectionList()
    if (list !== undefined && list[0] === undefined) throw corrupt(`Parquet key ${KV_SECTIONS} has no valid section entry`)
    return list?.[0] ?? locateByTrailer(this.source, this.footer.footerStart)
  }

  /** The footer's list of sections (the first is the primary column's), undefined when the footer has none. */
  private sectionList(): SectionEntry[] | undefined {
    return parseSectionList(this.footer.kv.get(KV_SECTIONS))
  }

  /**
   * The whole section of vector column `column` other than the primary one (a version 6 column
   * section, found at `at` or through the footer; every CRC checked), after the primary section's
   * head so that later page reads are checked against the file's integrity table. Undefined when
   * the file has no section for it.
   */
  async readColumnSection(column: string, at?: { offset: number; length: number }): Promise<DecodedSection | undefined> {
    await this.readHead()
    const where = at ?? columnEntry(this.sectionList(), column)
    if (where === undefined) return undefined
    const s = checkColumnSection(await readSectionAt(this.source, where), column, this.rowCount, fileName(this.source))
    this.columnHeads.set(column, Promise.resolve(s.facts))
    return s
  }

  /** The vector columns after the primary one that have a column section in this file, in the footer's order. */
  columnSectionNames(): string[] {
    return (this.sectionList() ?? []).slice(1).map((e) => e.column)
  }

  /** The facts of vector column `column` (primary or not): from its section; undefined when the file has no section for it. */
  async columnFacts(column: string): Promise<VectorFacts | undefined> {
    const primary = await this.maybeFacts()
    if (primary === undefined || primary.column === column) return primary
    let head = this.columnHeads.get(column)
    const where = columnEntry(this.sectionList(), column)
    if (head === undefined && where !== undefined) {
      head = readSectionHeadAt(this.source, where).then((h) => checkColumnSection(h, column, this.rowCount, fileName(this.source)).facts)
      this.columnHeads.set(column, head)
    }
    return head
  }

  /**
   * The section's facts and index bytes (undefined when the file has no index yet). All CRCs are
   * checked, and the footer against the CRC the section records; every later read of pages and
   * offset indexes is checked against its integrity table.
   */
  readSection(): Promise<{ facts: VectorFacts; indexBytes: Uint8Array | undefined; textBytes: Uint8Array | undefined; codesBytes: Uint8Array | undefined }> {
    this.section ??= this.locate().then(async (at) => this.useIntegrity(await readSectionAt(this.source, at)))
    return this.section
  }

  /**
   * The whole section like `readSection` (one ranged read, every CRC checked), but not kept by
   * this reader: a caller that decodes the index and codes holds one copy of them, not two. Its
   * head (facts, integrity table) is kept for reads of columns.
   */
  async readSectionOnce(): Promise<{ facts: VectorFacts; indexBytes: Uint8Array | undefined; textBytes: Uint8Array | undefined; codesBytes: Uint8Array | undefined }> {
    if (this.section !== undefined) return this.section
    const s = this.useIntegrity(await readSectionAt(this.source, await this.locate()))
    this.head ??= Promise.resolve({ version: s.version, facts: s.facts, integrity: s.integrity })
    return s
  }

  /**
   * The section's facts and integrity table without its index bytes: reads of columns need no
   * more, and the index is most of a file's section (reusing the whole section when it was read).
   */
  private readHead(): Promise<SectionFacts> {
    this.head ??= this.section ?? this.locate().then(async (at) => this.useIntegrity(await readSectionHeadAt(this.source, at)))
    return this.head
  }

  /** Checks the footer against the section's CRC of it and checks every later read against its integrity table. */
  private useIntegrity<S extends SectionFacts>(s: S): S {
    if (s.version === COLUMN_SECTION_VERSION) throw corrupt(`${fileName(this.source)}: the first ailake section is a column section (version ${s.version}); the file is corrupt`)
    if (s.integrity !== undefined) {
      const { tail, tailStart, footerStart } = this.footer
      if (crc32c(tail.subarray(footerStart - tailStart, tail.length - 8)) !== s.integrity.footerCrc) {
        throw corrupt(`${fileName(this.source)}: the Parquet footer does not match the checksum in the ailake section; the file is corrupt`)
      }
      this.checks = new IntegrityChecks(fileName(this.source), s.integrity.entries)
      this.guardCache = undefined
    }
    return s
  }

  /** The facts of the primary vector column, or of vector column `column` when given. */
  private async vectorFacts(column?: string): Promise<VectorFacts> {
    const facts = column === undefined ? await this.maybeFacts() : await this.columnFacts(column)
    if (facts === undefined) {
      if (column !== undefined && await this.maybeFacts() !== undefined) throw new AilakeError('NOT_FOUND', `${fileName(this.source)} has no ailake section for vector column ${column}`, { context: { column } })
      throw new AilakeError('NOT_FOUND', 'this Parquet file has no ailake section; pass openDataFile(source, { vector: { column, dim, metric } }) to read a vector column other engines wrote')
    }
    return facts
  }

  /**
   * The section's facts; for a file without a section (written by another engine) facts made
   * from the caller's `vector` hint (f32 list column, no index, no usable bounds), else undefined.
   */
  private async maybeFacts(): Promise<VectorFacts | undefined> {
    try {
      return (await this.readHead()).facts
    } catch (err) {
      if (!(err instanceof AilakeError && err.code === 'NOT_FOUND') || this.sectionAt !== undefined) throw err
      const hint = this.foreignVector
      const field = hint === undefined ? undefined : this.schema.fields.find((x) => x.name === hint.column)
      if (hint === undefined || field === undefined) return undefined
      return {
        column: hint.column, fieldId: field.id, dim: hint.dim, metric: hint.metric, precision: 'f32', rowCount: this.rowCount,
        centroid: new Float32Array(0), radius: Infinity, indexType: 'none', sectionOffset: 0, sectionLength: 0,
      }
    }
  }

  private chunk(group: number, column: string): ColumnChunk {
    const rg = this.footer.metadata.row_groups[group]
    const c = rg?.columns.find((x) => x.meta_data?.path_in_schema?.[0] === column)
    if (c?.meta_data === undefined) throw corrupt(`row group ${group} has no chunk for vector column ${column}`)
    return c
  }

  /** Every vector of the file (of vector column `column`, default the primary one), decoded to f32, row-major. */
  async readVectors(column?: string): Promise<Float32Array> {
    const f = await this.vectorFacts(column)
    this.checkRowCount(f)
    const out = new Float32Array(this.rowCount * f.dim)
    const fast = await this.eachVectorPage(f, (bytes, at, rows, firstRow) => decodeVectorValues(bytes, at, rows, f.dim, f.precision, out, firstRow))
    return fast ? out : this.readVectorsGeneral(f)
  }

  /**
   * The vector column's stored value bytes (rowCount x rowBytes, as the pages hold them), so a
   * rewrite can store exactly the same vectors; undefined when the chunks are not plain
   * uncompressed pages (then decode with `readVectors`).
   */
  async readVectorValues(column?: string): Promise<Uint8Array | undefined> {
    const f = await this.vectorFacts(column)
    this.checkRowCount(f)
    const rb = rowBytes(f.precision, f.dim)
    const out = new Uint8Array(this.rowCount * rb)
    const fast = await this.eachVectorPage(f, (bytes, at, rows, firstRow) => out.set(bytes.subarray(at, at + rows * rb), firstRow * rb))
    return fast ? out : undefined
  }

  /** Calls `take` with each checked vector page's values; false when a chunk needs the general decoder. */
  private async eachVectorPage(f: VectorFacts, take: (bytes: Uint8Array, valuesStart: number, rows: number, firstRow: number) => void): Promise<boolean> {
    this.checkRowCount(f)
    const rb = rowBytes(f.precision, f.dim)
    for (let g = 0; g < this.footer.metadata.row_groups.length; g++) {
      const c = this.chunk(g, f.column)
      const md = c.meta_data!
      const groupRows = Number(this.footer.metadata.row_groups[g]!.num_rows)
      if (md.codec !== 'UNCOMPRESSED' || md.dictionary_page_offset !== undefined) return false
      const start = Number(md.data_page_offset)
      const bytes = await readRange(this.source, start, Number(md.total_compressed_size), 'vector column chunk')
      let pos = 0
      let row = 0
      while (pos < bytes.length) {
        const page = parseVectorPage(bytes, pos, f.dim, f.precision, `${fileName(this.source)}: vector column ${f.column}, page at byte ${start + pos}`,
          (end) => this.checks.check(start + pos, bytes.subarray(pos, end), `vector column ${f.column}, page header`))
        if (page === undefined) return false
        if (row + page.numRows > groupRows) throw corrupt(`vector pages of row group ${g} hold more rows than its ${groupRows}`)
        if (page.valuesStart + page.numRows * rb > bytes.length) throw corrupt('vector page values run past the column chunk')
        take(bytes, page.valuesStart, page.numRows, this.groupStarts[g]! + row)
        row += page.numRows
        pos = page.end
      }
      if (row !== groupRows) throw corrupt(`vector pages of row group ${g} hold ${row} rows, the footer says ${groupRows}`)
    }
    return true
  }

  /**
   * Checks every page (header against the integrity table, sizes, body CRC) and offset index of
   * the file, with one read of everything before the footer.
   */
  async verifyPages(): Promise<void> {
    await this.maybeFacts()
    this.guard().check(await readRange(this.source, 0, this.footer.footerStart, 'data file'), 0)
  }

  /**
   * Throws CORRUPT_DATA unless the section's row count is the footer's and the vector column
   * chunks can hold that many rows: checked before anything is allocated from the count (a
   * hostile footer and section could claim 2^40 rows in a 30 KB file). Chunks of PLAIN values
   * without a dictionary (all that ailake writes) need `rowBytes` per row; other layouts are
   * decoded by hyparquet, which allocates per page from headers the page guard has checked.
   */
  private checkRowCount(f: VectorFacts): void {
    if (f.rowCount !== this.rowCount) throw corrupt(`ailake section says ${f.rowCount} rows but the Parquet footer says ${this.rowCount}`)
    const rb = rowBytes(f.precision, f.dim)
    this.footer.metadata.row_groups.forEach((rg, g) => {
      const md = this.chunk(g, f.column).meta_data!
      const plain = md.dictionary_page_offset === undefined && md.encodings.every((e) => e === 'PLAIN' || e === 'RLE' || e === 'BIT_PACKED' || e === 'BYTE_STREAM_SPLIT')
      const size = Number(md.total_compressed_size)
      if (md.codec === 'UNCOMPRESSED' && plain && Number(rg.num_rows) * rb > size) {
        throw corrupt(`${fileName(this.source)}: row group ${g} claims ${rg.num_rows} rows, but its ${size}-byte vector column chunk holds at most ${Math.floor(size / rb)}`, { group: g })
      }
    })
  }


  /** The general path for vector columns written by other engines (any encoding or codec). */
  private async readVectorsGeneral(f: VectorFacts, rowStart = 0, rowEnd = this.rowCount): Promise<Float32Array> {
    let rows: Record<string, unknown>[]
    try {
      rows = await parquetReadObjects({ file: asyncBuffer(this.source, this.guard()), metadata: this.footer.metadata, columns: [f.column], rowStart, rowEnd, useOffsetIndex: true, compressors: PARQUET_DECOMPRESSORS })
    } catch (err) {
      throw wrapHyparquet(err, `vector column ${f.column}`)
    }
    const n = rowEnd - rowStart
    if (rows.length !== n) throw corrupt(`vector column ${f.column}: read ${rows.length} rows, expected ${n}`)
    const out = new Float32Array(n * f.dim)
    const rb = rowBytes(f.precision, f.dim)
    for (let r = 0; r < n; r++) {
      const v = rows[r]![f.column]
      if (f.precision === 'f32') {
        if (!Array.isArray(v) || v.length !== f.dim) throw corrupt(`vector column ${f.column} row ${rowStart + r} does not hold ${f.dim} floats`)
        out.set(v as number[], r * f.dim)
      } else {
        if (!(v instanceof Uint8Array) || v.length !== rb) throw corrupt(`vector column ${f.column} row ${rowStart + r} does not hold ${rb} bytes`)
        decodeVectorValues(v, 0, 1, f.dim, f.precision, out, r)
      }
    }
    return out
  }

  private pages(group: number, c: ColumnChunk): Promise<Page[]> {
    // By the chunk's first page: each vector column of a row group has its own pages.
    const key = Number(c.meta_data!.data_page_offset)
    let p = this.pageCache.get(key)
    if (p === undefined) {
      p = this.loadPages(group, c)
      this.pageCache.set(key, p)
    }
    return p
  }

  private async loadPages(group: number, c: ColumnChunk): Promise<Page[]> {
    const md = c.meta_data!
    const groupRows = Number(this.footer.metadata.row_groups[group]!.num_rows)
    if (c.offset_index_offset === undefined || c.offset_index_length === undefined) {
      return [{ offset: Number(md.data_page_offset), size: Number(md.total_compressed_size), firstRow: 0 }]
    }
    const bytes = await readRange(this.source, Number(c.offset_index_offset), c.offset_index_length, 'offset index')
    this.guard().checkOffsetIndex(bytes, Number(c.offset_index_offset), md.path_in_schema.join('.'))
    const chunkStart = Number(md.data_page_offset)
    return decodePageLocations(bytes, chunkStart, chunkStart + Number(md.total_compressed_size), groupRows)
  }

  /**
   * The vectors of the given rows (any order, repeats allowed), reading only the pages that hold
   * them: each page once, pages close together in one ranged read, pages in `cache` not at all.
   */
  async readVectorsAt(rows: readonly number[], cache?: VectorPageCache, column?: string): Promise<Float32Array> {
    const f = await this.vectorFacts(column)
    this.checkRowCount(f)
    for (const r of rows) {
      if (!Number.isInteger(r) || r < 0 || r >= this.rowCount) throw invalid(`row ${r} is outside [0, ${this.rowCount})`, { row: r })
    }
    const dim = f.dim
    const out = new Float32Array(rows.length * dim)
    const rb = rowBytes(f.precision, dim)
    /** Rows (as [output slot, row in page]) wanted from each page, by page offset. */
    const wanted = new Map<number, { page: Page; slots: [number, number][] }>()
    const general: number[] = []
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as number
      const g = upperBound(this.groupStarts, row) - 1
      const c = this.chunk(g, f.column)
      if (c.meta_data!.codec !== 'UNCOMPRESSED') {
        general.push(i)
        continue
      }
      const pages = await this.pages(g, c)
      const inGroup = row - this.groupStarts[g]!
      const page = pageAt(pages, inGroup)
      let w = wanted.get(page.offset)
      if (w === undefined) {
        w = { page, slots: [] }
        wanted.set(page.offset, w)
      }
      w.slots.push([i, inGroup - page.firstRow])
    }
    const take = (vectors: Float32Array, slots: [number, number][], pageOffset: number): void => {
      for (const [i, at] of slots) {
        if ((at + 1) * dim > vectors.length) throw corrupt(`vector page at ${pageOffset} does not hold its row ${at}`)
        out.set(vectors.subarray(at * dim, (at + 1) * dim), i * dim)
      }
    }
    const toRead: { page: Page; slots: [number, number][] }[] = []
    for (const w of wanted.values()) {
      const hit = cache?.get(w.page.offset)
      if (hit !== undefined) take(hit, w.slots, w.page.offset)
      else toRead.push(w)
    }
    toRead.sort((a, b) => a.page.offset - b.page.offset)
    const runs = mergeRuns(toRead, this.source.requestCostBytes ?? COALESCE_GAP)
    await Promise.all(runs.map(async (run) => {
      const start = run[0]!.page.offset
      const end = run[run.length - 1]!.page.offset + run[run.length - 1]!.page.size
      const bytes = await readRange(this.source, start, end - start, 'vector pages')
      for (const { page: p, slots } of run) {
        const pb = bytes.subarray(p.offset - start, p.offset - start + p.size)
        const page = parseVectorPage(pb, 0, dim, f.precision, `${fileName(this.source)}: vector column ${f.column}, page at byte ${p.offset}`,
          (hEnd) => this.checks.check(p.offset, pb.subarray(0, hEnd), `vector column ${f.column}, page header`))
        if (page === undefined) {
          for (const [i] of slots) general.push(i)
          continue
        }
        if (page.valuesStart + page.numRows * rb > pb.length) throw corrupt(`vector page at ${p.offset} holds fewer values than its ${page.numRows} rows`)
        const vectors = new Float32Array(page.numRows * dim)
        decodeVectorValues(pb, page.valuesStart, page.numRows, dim, f.precision, vectors, 0)
        cache?.set(p.offset, vectors)
        take(vectors, slots, p.offset)
      }
    }))
    for (const i of general) {
      const row = rows[i] as number
      out.set(await this.readVectorsGeneral(f, row, row + 1), i * dim)
    }
    return out
  }

  /**
   * Rows as plain objects. `columns` (default: all) selects columns by name; `rows` (default: all)
   * selects rows by position, in the order given. The vector column comes back as a Float32Array.
   * With `schema` (a table schema the file may predate), columns are that schema's, found in the
   * file by field id (see `projectColumns`): renamed ones keep their data, ones the file lacks
   * read as null (or as their value in `identity`, the file's identity partition values by
   * field id), widened ones widen.
   */
  async readRows(options: { columns?: string[]; rows?: number[]; schema?: Schema; identity?: ReadonlyMap<number, unknown> } = {}): Promise<Record<string, unknown>[]> {
    checkOptions(options, { columns: true, rows: true, schema: true, identity: true }, 'readRows()')
    const read = options.schema
    if (read === undefined) return this.readFileRows(options.columns, options.rows)
    const plan = projectColumns(this.schema, read, options.columns ?? read.fields.map((x) => x.name), options.identity)
    const sources = [...new Set(plan.flatMap((c) => (c.source === undefined ? [] : [c.source])))]
    const got = await this.readFileRows(sources, options.rows)
    return got.map((o) => {
      const row: Record<string, unknown> = {}
      for (const c of plan) {
        const v = c.source === undefined ? c.constant ?? null : o[c.source]
        row[c.name] = c.widen === undefined || v === null || v === undefined ? v : c.widen(v)
      }
      return row
    })
  }

  /**
   * Every row of some scalar columns as one array per column, in row order, without building an
   * object per row (what filters over a whole file need). Columns are named and projected as by
   * `readRows` with `schema`: by field id, absent ones read as null, widened ones widen.
   */
  async readColumnValues(options: { columns: string[]; schema?: Schema; identity?: ReadonlyMap<number, unknown> }): Promise<Map<string, ArrayLike<unknown>>> {
    checkOptions(options, { columns: true, schema: true, identity: true }, 'readColumnValues()')
    const read = options.schema ?? this.schema
    const plan = projectColumns(this.schema, read, options.columns, options.identity)
    const f = await this.maybeFacts()
    if (f !== undefined) this.checkRowCount(f)
    const decoded = new Map<string, ArrayLike<unknown>>()
    for (const c of plan) {
      if (c.source === undefined || decoded.has(c.source)) continue
      if (c.source === f?.column || (f !== undefined && columnEntry(this.sectionList(), c.source) !== undefined)) throw invalid(`readColumnValues() reads scalar columns; ${c.source} is a vector column`, { column: c.source })
      decoded.set(c.source, await this.readScalarColumn(c.source))
    }
    // A column the file lacks is all null: as many rows as the data of another column backs.
    const rows = decoded.size > 0 ? (decoded.values().next().value as ArrayLike<unknown>).length : await this.countRows()
    const out = new Map<string, ArrayLike<unknown>>()
    for (const c of plan) {
      const values = c.source === undefined ? undefined : decoded.get(c.source)
      const widen = c.widen
      out.set(c.name, values === undefined ? new Array<unknown>(rows).fill(c.constant ?? null) : widen === undefined ? values : Array.from(values, (v) => (v === null || v === undefined ? v : widen(v))))
    }
    return out
  }

  /** One scalar column of every row through hyparquet (its reads go through the page guard), as decoded. */
  private async readScalarColumn(column: string): Promise<ArrayLike<unknown>> {
    const chunks: Array<{ rowStart: number; data: ArrayLike<unknown> }> = []
    try {
      await parquetRead({ file: asyncBuffer(this.source, this.guard()), metadata: this.rawMetadata(), columns: [column], useOffsetIndex: true, compressors: PARQUET_DECOMPRESSORS, utf8: false, onChunk: (c) => { chunks.push({ rowStart: c.rowStart, data: c.columnData }) } })
    } catch (err) {
      throw wrapHyparquet(err, 'reading rows')
    }
    chunks.sort((a, b) => a.rowStart - b.rowStart)
    let next = 0
    for (const c of chunks) {
      if (c.rowStart !== next) throw corrupt(`column ${column}: decoded rows start at ${c.rowStart}, expected ${next}`)
      next += c.data.length
    }
    if (next !== this.rowCount) throw corrupt(`read ${next} values of column ${column} for ${this.rowCount} rows`)
    const convert = rawConverters(this.schema).get(column)
    if (chunks.length === 1 && convert === undefined) return (chunks[0] as { data: ArrayLike<unknown> }).data
    const out = new Array<unknown>(next)
    let at = 0
    for (const c of chunks) for (let i = 0; i < c.data.length; i++) out[at++] = convert === undefined ? c.data[i] : convert(c.data[i])
    return out
  }

  /** `readRows` by the file's own column names. */
  private async readFileRows(columns: string[] | undefined, rowsWanted: number[] | undefined): Promise<Record<string, unknown>[]> {
    const options = { columns, rows: rowsWanted }
    const f = await this.maybeFacts()
    const names = options.columns ?? this.schema.fields.map((x) => x.name)
    for (const n of names) if (!this.schema.fields.some((x) => x.name === n)) throw new AilakeError('NOT_FOUND', `column ${n} is not in this data file; columns: ${this.schema.fields.map((x) => x.name).join(', ')}`)
    const vectors = await this.vectorColumnsIn(names, f)
    const scalar = names.filter((n) => !vectors.some((v) => v.column === n))
    if (options.rows === undefined) return this.readAllRows(names, scalar, f, vectors)
    const rows = options.rows
    for (const r of rows) if (!Number.isInteger(r) || r < 0 || r >= this.rowCount) throw invalid(`row ${r} is outside [0, ${this.rowCount})`, { row: r })
    const out: Record<string, unknown>[] = rows.map(() => ({}))
    if (scalar.length > 0) {
      const sorted = [...new Set(rows)].sort((a, b) => a - b)
      const byRow = new Map<number, Record<string, unknown>>()
      for (let i = 0; i < sorted.length;) {
        let j = i
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++
        const rowStart = sorted[i]!
        const got = await this.readScalarRange(scalar, rowStart, sorted[j]! + 1)
        got.forEach((o, k) => byRow.set(rowStart + k, o))
        i = j + 1
      }
      rows.forEach((r, k) => Object.assign(out[k]!, byRow.get(r)))
    }
    for (const v of vectors) {
      const vecs = await this.readVectorsAt(rows, undefined, v.column === f?.column ? undefined : v.column)
      rows.forEach((_, k) => { out[k]![v.column] = vecs.slice(k * v.dim, (k + 1) * v.dim) })
    }
    return out.map((o) => Object.fromEntries(names.map((n) => [n, o[n]])))
  }

  /** The facts of the vector columns among `names`: the primary one (`f`) and those with a column section. */
  private async vectorColumnsIn(names: readonly string[], f: VectorFacts | undefined): Promise<VectorFacts[]> {
    if (f === undefined) return []
    const out: VectorFacts[] = []
    for (const n of names) {
      if (n === f.column) out.push(f)
      else if (columnEntry(this.sectionList(), n) !== undefined) out.push(await this.vectorFacts(n))
    }
    return out
  }

  /** Every row: nothing is allocated from the footer's row count before the data backs it. */
  private async readAllRows(names: string[], scalar: string[], f: VectorFacts | undefined, vectors: readonly VectorFacts[]): Promise<Record<string, unknown>[]> {
    if (f !== undefined) this.checkRowCount(f)
    const vecs = new Map<string, { dim: number; values: Float32Array }>()
    for (const v of vectors) vecs.set(v.column, { dim: v.dim, values: await this.readVectors(v.column === f?.column ? undefined : v.column) })
    const out = scalar.length > 0 ? await this.readScalarRange(scalar, 0, this.rowCount)
      : Array.from({ length: vecs.size === 0 ? await this.countRows() : this.rowCount }, (): Record<string, unknown> => ({}))
    return out.map((o, k) => Object.fromEntries(names.map((n) => {
      const v = vecs.get(n)
      return [n, v === undefined ? o[n] : v.values.slice(k * v.dim, (k + 1) * v.dim)]
    })))
  }

  /** The row count, once the data backs it (for reads of no column). */
  private async countRows(): Promise<number> {
    const first = this.schema.fields[0]
    if (first === undefined) return 0
    return (await this.readScalarRange([first.name], 0, this.rowCount)).length
  }

  /** Rows [rowStart, rowEnd) of scalar columns through hyparquet (its reads go through the page guard). */
  private async readScalarRange(columns: string[], rowStart: number, rowEnd: number): Promise<Record<string, unknown>[]> {
    let got: Record<string, unknown>[]
    try {
      got = await parquetReadObjects({ file: asyncBuffer(this.source, this.guard()), metadata: this.rawMetadata(), columns, rowStart, rowEnd, useOffsetIndex: true, compressors: PARQUET_DECOMPRESSORS, utf8: false })
    } catch (err) {
      throw wrapHyparquet(err, 'reading rows')
    }
    if (got.length !== rowEnd - rowStart) throw corrupt(`read ${got.length} rows for [${rowStart}, ${rowEnd})`)
    for (const [name, convert] of rawConverters(this.schema)) {
      if (!columns.includes(name)) continue
      for (const row of got) row[name] = convert(row[name])
    }
    return got
  }
}

export async function openDataFileImpl(source: ByteSource, options: OpenDataFileOptions = {}): Promise<DataFileReader> {
  return new DataFileReader(source, await readFooter(source), options.section, options.vector)
}
