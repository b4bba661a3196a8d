/**
 * BM25 over a table split into segments (data files, write buffers). Statistics are summed over
 * the segments' visible rows before any row is scored, so a score depends on the table's rows,
 * never on how they are split into files or which of them are deleted later.
 *
 * Definitions (also in docs/full-text.md):
 * - N: visible rows of the table; avgdl(c) = terms of column c over visible rows / N.
 * - df(t, c): visible rows whose column c holds term t; idf = ln(1 + (N - df + 0.5) / (df + 0.5)).
 * - A term clause scores, per column, idf * tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl)).
 * - A phrase clause scores the same with tf the phrase's frequency in the column and idf the sum
 *   of its terms' idf (Lucene's PhraseQuery).
 * - A row's score sums its clauses over the searched columns. It matches when every required
 *   clause occurs in some searched column, and at least one clause occurs.
 */
import { analyze, type TextLanguage } from './analyze.js'
import type { Postings, TextIndex } from './text-index.js'

export const BM25_K1 = 1.2
export const BM25_B = 0.75

/** One query clause: a term (one entry) or a phrase (terms at word offsets from the first). */
export interface TextClause {
  terms: string[]
  offsets: number[]
  required: boolean
}

/**
 * Parses a query: words, "quoted phrases", and `+` before either to require it. Each word or
 * phrase goes through the index's analyser: stop words drop out (a phrase keeps their gap), and
 * an unquoted word that splits into several terms (`e-mail`) gives several term clauses.
 */
export function parseTextQuery(query: string, language: TextLanguage): TextClause[] {
  const out: TextClause[] = []
  for (const m of query.matchAll(/(\+?)"([^"]*)"?|(\+?)([^\s"]+)/g)) {
    const quoted = m[2] !== undefined
    const required = (quoted ? m[1] : m[3]) === '+'
    const tokens = analyze((quoted ? m[2] : m[4]) ?? '', language)
    if (tokens.length === 0) continue
    if (quoted && tokens.length > 1) {
      const first = (tokens[0] as { position: number }).position
      out.push({ terms: tokens.map((t) => t.term), offsets: tokens.map((t) => t.position - first), required })
    } else {
      for (const t of tokens) out.push({ terms: [t.term], offsets: [0], required })
    }
  }
  return out
}

/** A segment of the table: its index and which of its rows are visible (undefined: all). */
export interface TextSegment {
  index: TextIndex
  /** Bitset over rows; a clear bit hides the row from statistics and results. */
  visible: Uint8Array | undefined
}

/** Table-wide statistics, summed over segments. */
export interface TextStats {
  rows: number
  /** Terms per searched column. */
  tokens: Map<string, number>
  /** df by column then term. */
  df: Map<string, Map<string, number>>
}

const isSet = (bits: Uint8Array | undefined, i: number): boolean => bits === undefined || (((bits[i >> 3] as number) >> (i & 7)) & 1) === 1

export function emptyStats(columns: readonly string[]): TextStats {
  return { rows: 0, tokens: new Map(columns.map((c) => [c, 0])), df: new Map(columns.map((c) => [c, new Map()])) }
}

/** Adds one segment's visible rows to `stats` for the query's terms. */
export function addSegmentStats(stats: TextStats, seg: TextSegment, columns: readonly string[], terms: readonly string[]): void {
  const { index, visible } = seg
  let rows = 0
  for (let i = 0; i < index.rowCount; i++) if (isSet(visible, i)) rows++
  stats.rows += rows
  for (const c of columns) {
    const col = index.columns.get(c)
    if (col === undefined) continue
    let tokens = col.totalTokens
    if (visible !== undefined) {
      tokens = 0
      for (let i = 0; i < index.rowCount; i++) if (isSet(visible, i)) tokens += col.docLengths[i] as number
    }
    stats.tokens.set(c, (stats.tokens.get(c) ?? 0) + tokens)
    const dfs = stats.df.get(c) as Map<string, number>
    for (const t of terms) {
      let df = 0
      if (visible === undefined) df = col.df(t)
      else {
        const p = col.postings(t)
        if (p !== undefined) for (const row of p.rows) if (isSet(visible, row)) df++
      }
      dfs.set(t, (dfs.get(t) ?? 0) + df)
    }
  }
}

export function idf(rows: number, df: number): number {
  return Math.log(1 + (rows - df + 0.5) / (df + 0.5))
}

export function termScore(idfValue: number, tf: number, dl: number, avgdl: number): number {
  return idfValue * (tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * dl / avgdl))
}

/** True when no required clause can match in this segment (a required term no searched column holds). */
export function segmentCannotMatch(seg: TextSegment, clauses: readonly TextClause[], columns: readonly string[]): boolean {
  return clauses.some((cl) => cl.required && !columns.some((c) => {
    const col = seg.index.columns.get(c)
    return col !== undefined && cl.terms.every((t) => col.df(t) > 0)
  }))
}

/** How often the phrase occurs in row `rows[at]` of the first term's postings. */
function phraseFrequency(lists: readonly Postings[], idx: readonly number[], offsets: readonly number[]): number {
  const first = lists[0] as Postings
  const i0 = idx[0] as number
  let count = 0
  for (let p = first.posStart[i0] as number; p < (first.posStart[i0 + 1] as number); p++) {
    const start = (first.positions[p] as number) - (offsets[0] as number)
    let all = true
    for (let k = 1; k < lists.length && all; k++) {
      const l = lists[k] as Postings
      const i = idx[k] as number
      const want = start + (offsets[k] as number)
      let found = false
      for (let q = l.posStart[i] as number; q < (l.posStart[i + 1] as number); q++) if (l.positions[q] === want) { found = true; break }
      all = found
    }
    if (all) count++
  }
  return count
}

/** Index of `row` in ascending `rows`, or -1. */
function find(rows: Uint32Array, row: number): number {
  let lo = 0
  let hi = rows.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const v = rows[mid] as number
    if (v === row) return mid
    if (v < row) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}

/**
 * Scores the segment's visible rows that match (see the module comment), restricted to `allow`
 * when given. Returns row -> score.
 */
export function scoreSegment(seg: TextSegment, clauses: readonly TextClause[], columns: readonly string[], stats: TextStats, allow?: Uint8Array): Map<number, number> {
  const hits = new Map<number, { score: number; matched: Uint8Array }>()
  const hit = (row: number): { score: number; matched: Uint8Array } => {
    let h = hits.get(row)
    if (h === undefined) hits.set(row, h = { score: 0, matched: new Uint8Array(clauses.length) })
    return h
  }
  const ok = (row: number): boolean => isSet(seg.visible, row) && isSet(allow, row)
  for (const c of columns) {
    const col = seg.index.columns.get(c)
    if (col === undefined) continue
    const avgdl = (stats.tokens.get(c) ?? 0) / stats.rows
    const dfs = stats.df.get(c)
    clauses.forEach((cl, ci) => {
      const lists: Postings[] = []
      for (const t of cl.terms) {
        const p = col.postings(t)
        if (p === undefined) return
        lists.push(p)
      }
      let w = 0
      for (const t of cl.terms) w += idf(stats.rows, dfs?.get(t) ?? 0)
      const first = lists[0] as Postings
      for (let i = 0; i < first.rows.length; i++) {
        const row = first.rows[i] as number
        if (!ok(row)) continue
        let tf = first.tfs[i] as number
        if (lists.length > 1) {
          const idx = [i]
          for (let k = 1; k < lists.length; k++) {
            const j = find((lists[k] as Postings).rows, row)
            if (j < 0) break
            idx.push(j)
          }
          if (idx.length < lists.length) continue
          tf = phraseFrequency(lists, idx, cl.offsets)
          if (tf === 0) continue
        }
        const h = hit(row)
        h.score += termScore(w, tf, col.docLengths[row] as number, avgdl)
        h.matched[ci] = 1
      }
    })
  }
  const out = new Map<number, number>()
  for (const [row, h] of hits) {
    if (clauses.every((cl, ci) => !cl.required || h.matched[ci] === 1)) out.set(row, h.score)
  }
  return out
}

/** The distinct terms of the clauses. */
export function clauseTerms(clauses: readonly TextClause[]): string[] {
  return [...new Set(clauses.flatMap((c) => c.terms))]
}
