/**
 * The per-file full-text index: for each indexed column, every row's length in terms and, per
 * term, its postings (rows, term frequencies and word positions). Built when a data file is
 * written and stored in the file's ailake section, so it is never stale. The bytes are
 * specified in docs/format.md ("Full-text index block"); a reader trusts no count or length
 * before the bytes that must back it are there.
 */
import { corrupt, invalid } from '../errors.js'
import { ByteReader, ByteWriter, utf8Decode, utf8Encode } from '../util/bytes.js'
import { compareUtf8 } from '../util/utf8-order.js'
import { analyze, TEXT_LANGUAGES, type TextLanguage } from './analyze.js'

export const TEXT_MAGIC = 0x54464941 // "AIFT" little-endian
export const TEXT_VERSION = 1
const COLUMN_HEADER_BYTES = 40

/** One column to index: its values (strings; null or anything else has no text) by row. */
export interface TextColumnInput {
  fieldId: number
  name: string
  values: ReadonlyArray<unknown>
}

/** The postings of one term in one column, rows ascending. */
export interface Postings {
  rows: Uint32Array
  tfs: Uint32Array
  /** positions[posStart[i] .. posStart[i + 1]) are the word positions in row rows[i], ascending. */
  posStart: Uint32Array
  positions: Uint32Array
}

interface TermEntry { df: number; offset: number; length: number }

/** Builds the index block of `rowCount` rows over `columns`. */
export function buildTextIndex(columns: readonly TextColumnInput[], rowCount: number, language: TextLanguage): Uint8Array {
  if (!Number.isInteger(rowCount) || rowCount < 0 || rowCount >= 2 ** 32) throw invalid(`text index: row count ${rowCount} is out of range`)
  const w = new ByteWriter(1024)
  w.u32(TEXT_MAGIC).u16(TEXT_VERSION).u8(TEXT_LANGUAGES.indexOf(language)).u8(0).u32(rowCount).u32(columns.length)
  for (const c of columns) {
    if (c.values.length !== rowCount) throw invalid(`text index: column ${c.name} has ${c.values.length} values for ${rowCount} rows`)
    // term -> flat [row, tf, positions...] runs: rows ascending as they are visited, and a row's
    // positions ascending as its tokens come; `tfAt` is where the current row's tf is counted.
    const byTerm = new Map<string, { run: number[]; row: number; tfAt: number }>()
    const lengths = new ByteWriter(rowCount + 16)
    let total = 0
    for (let row = 0; row < rowCount; row++) {
      const v = c.values[row]
      const tokens = typeof v === 'string' ? analyze(v, language) : []
      lengths.varint(tokens.length)
      total += tokens.length
      for (const t of tokens) {
        let acc = byTerm.get(t.term)
        if (acc === undefined) byTerm.set(t.term, acc = { run: [], row: -1, tfAt: 0 })
        if (acc.row !== row) {
          acc.row = row
          acc.tfAt = acc.run.length + 1
          acc.run.push(row, 0)
        }
        acc.run[acc.tfAt] = (acc.run[acc.tfAt] as number) + 1
        acc.run.push(t.position)
      }
    }
    const terms = [...byTerm.keys()].sort(compareUtf8)
    const dict = new ByteWriter(terms.length * 12 + 16)
    const postings = new ByteWriter(total * 3 + 16)
    for (const term of terms) {
      const run = (byTerm.get(term) as { run: number[] }).run
      const start = postings.length
      let df = 0
      let prevRow = -1
      for (let i = 0; i < run.length;) {
        const row = run[i++] as number
        const tf = run[i++] as number
        postings.varint(row - prevRow).varint(tf)
        prevRow = row
        let prevPos = -1
        for (let j = 0; j < tf; j++) {
          const p = run[i++] as number
          postings.varint(p - prevPos)
          prevPos = p
        }
        df++
      }
      const bytes = utf8Encode(term)
      dict.varint(bytes.length).bytes(bytes).varint(df).varint(postings.length - start)
    }
    const name = utf8Encode(c.name)
    w.u32(c.fieldId).u32(name.length).u32(terms.length).u32(lengths.length).u64(total).u64(dict.length).u64(postings.length)
    w.bytes(name).bytes(lengths.view8()).bytes(dict.view8()).bytes(postings.view8())
  }
  return w.finish()
}

/** One column of a decoded index. */
export class TextColumnIndex {
  private readonly cache = new Map<string, Postings>()

  constructor(
    readonly fieldId: number,
    readonly name: string,
    readonly rowCount: number,
    /** Terms per row. */
    readonly docLengths: Uint32Array,
    readonly totalTokens: number,
    private readonly terms: Map<string, TermEntry>,
    private readonly postingBytes: Uint8Array,
  ) {}

  get termCount(): number {
    return this.terms.size
  }

  /** Rows holding the term (0 when none). */
  df(term: string): number {
    return this.terms.get(term)?.df ?? 0
  }

  /** The term's postings, checked as they are decoded; undefined when no row holds it. */
  postings(term: string): Postings | undefined {
    const hit = this.cache.get(term)
    if (hit !== undefined) return hit
    const e = this.terms.get(term)
    if (e === undefined) return undefined
    const r = new ByteReader(this.postingBytes.subarray(e.offset, e.offset + e.length), `full-text postings of ${JSON.stringify(term)} in column ${this.name}`)
    const rows = new Uint32Array(e.df)
    const tfs = new Uint32Array(e.df)
    const posStart = new Uint32Array(e.df + 1)
    const positions: number[] = []
    let row = -1
    for (let i = 0; i < e.df; i++) {
      const d = r.varint('row delta')
      row += d
      if (d < 1 || row >= this.rowCount) throw corrupt(`${r.what}: row ${row} is out of order or outside the file's ${this.rowCount} rows`)
      const tf = r.varint('term frequency')
      if (tf < 1 || tf > (this.docLengths[row] as number)) throw corrupt(`${r.what}: row ${row} holds the term ${tf} times but has ${this.docLengths[row]} terms`)
      // Each position takes at least one byte: a count beyond the bytes left is corrupt, not allocated.
      r.need(tf, 'positions')
      let pos = -1
      for (let j = 0; j < tf; j++) {
        const d = r.varint('position delta')
        if (d < 1) throw corrupt(`${r.what}: positions of row ${row} are not ascending`)
        pos += d
        positions.push(pos)
      }
      rows[i] = row
      tfs[i] = tf
      posStart[i + 1] = positions.length
    }
    if (r.remaining !== 0) throw corrupt(`${r.what}: ${r.remaining} bytes left after ${e.df} postings`)
    const out = { rows, tfs, posStart, positions: Uint32Array.from(positions) }
    this.cache.set(term, out)
    return out
  }
}

/** A decoded index block: its columns by name. */
export interface TextIndex {
  rowCount: number
  language: TextLanguage
  columns: Map<string, TextColumnIndex>
  /** Approximate memory held. */
  bytes: number
}

function lessBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number)
  return a.length < b.length
}

/**
 * Decodes an index block, checking every length, count and order before anything is built from
 * it (postings are checked when first used). `rowCount` is the file's; a block for another count
 * is corrupt.
 */
export function decodeTextIndex(bytes: Uint8Array, rowCount: number): TextIndex {
  const r = new ByteReader(bytes, 'full-text index')
  if (r.u32('magic') !== TEXT_MAGIC) throw corrupt('full-text index: bad magic (expected "AIFT"); the file is corrupt')
  const version = r.u16('version')
  if (version !== TEXT_VERSION) throw corrupt(`full-text index: version ${version} is not known to this version of ailake; upgrade ailake`, { version })
  const language = TEXT_LANGUAGES[r.u8('language')]
  if (language === undefined) throw corrupt('full-text index: unknown language code')
  if (r.u8('reserved') !== 0) throw corrupt('full-text index: reserved byte is not zero')
  const rows = r.u32('row count')
  if (rows !== rowCount) throw corrupt(`full-text index covers ${rows} rows but the file has ${rowCount}`)
  const count = r.u32('column count')
  r.need(count * COLUMN_HEADER_BYTES, 'column headers')
  const columns = new Map<string, TextColumnIndex>()
  for (let c = 0; c < count; c++) {
    const fieldId = r.u32('field id')
    const nameLength = r.u32('name length')
    const termCount = r.u32('term count')
    const lengthBytes = r.u32('doc-length bytes')
    const totalTokens = r.u64('total terms')
    const dictBytes = r.u64('dictionary bytes')
    const postingBytes = r.u64('postings bytes')
    const name = utf8Decode(r.bytesView(nameLength, 'column name'), 'full-text index column name')
    if (columns.has(name)) throw corrupt(`full-text index: column ${name} appears twice`)
    // Every doc length takes at least one byte, every dictionary entry at least three.
    if (lengthBytes < rows || dictBytes < 3 * termCount) throw corrupt(`full-text index: column ${name} declares more entries than its bytes can hold`)
    const lr = new ByteReader(r.bytesView(lengthBytes, 'doc lengths'), `full-text doc lengths of column ${name}`)
    const docLengths = new Uint32Array(rows)
    let sum = 0
    for (let i = 0; i < rows; i++) sum += docLengths[i] = lr.varint('doc length')
    if (lr.remaining !== 0 || sum !== totalTokens) throw corrupt(`full-text index: doc lengths of column ${name} do not add up to its ${totalTokens} terms`)
    const dr = new ByteReader(r.bytesView(dictBytes, 'dictionary'), `full-text dictionary of column ${name}`)
    const terms = new Map<string, TermEntry>()
    let prev: Uint8Array | undefined
    let offset = 0
    for (let i = 0; i < termCount; i++) {
      const tb = dr.bytesView(dr.varint('term length'), 'term')
      if (tb.length === 0 || (prev !== undefined && !lessBytes(prev, tb))) throw corrupt(`full-text dictionary of column ${name}: terms are empty or out of order`)
      prev = tb
      const df = dr.varint('document frequency')
      const length = dr.varint('postings length')
      // A posting is at least three bytes (row delta, tf, one position).
      if (df < 1 || df > rows || length < 3 * df) throw corrupt(`full-text dictionary of column ${name}: term entry ${i} declares ${df} rows in ${length} bytes`)
      terms.set(utf8Decode(tb, 'full-text term'), { df, offset, length })
      offset += length
    }
    if (dr.remaining !== 0 || offset !== postingBytes) throw corrupt(`full-text dictionary of column ${name} does not match its postings`)
    const postings = r.bytesView(postingBytes, 'postings')
    columns.set(name, new TextColumnIndex(fieldId, name, rows, docLengths, totalTokens, terms, postings))
  }
  if (r.remaining !== 0) throw corrupt(`full-text index: ${r.remaining} bytes after its last column`)
  return { rowCount: rows, language, columns, bytes: bytes.length + 4 * rows * count + 64 * [...columns.values()].reduce((n, c) => n + c.termCount, 0) }
}
