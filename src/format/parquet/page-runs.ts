/**
 * Planning ranged reads of Parquet pages: which page holds a row, and which pages to fetch in
 * one request because the bytes between them cost less than another request.
 */

import type { PageSpan as Page } from './page-location.js'

/**
 * Pages to read that lie at most this far apart are read in one request, the bytes between
 * them included, unless the source says what a request costs (`requestCostBytes`): on a local
 * disk a request costs about what 16 KiB of transfer does.
 */
export const COALESCE_GAP = 16 * 1024

/** The number of entries of ascending `sorted` that are <= `x`. */
export function upperBound(sorted: readonly number[], x: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid]! <= x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The page of `pages` (ascending `firstRow`, the first at row 0) holding row `row` of its row group. */
export function pageAt(pages: readonly Page[], row: number): Page {
  let lo = 0
  let hi = pages.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (pages[mid]!.firstRow <= row) lo = mid + 1
    else hi = mid
  }
  return pages[lo - 1]!
}

/** `reads` (sorted by page offset) grouped into runs whose gaps are at most `gap` bytes: one request each. */
export function mergeRuns<T extends { page: Page }>(reads: readonly T[], gap: number): T[][] {
  const runs: T[][] = []
  for (const w of reads) {
    const run = runs[runs.length - 1]
    const last = run?.[run.length - 1]
    if (run !== undefined && last !== undefined && w.page.offset - (last.page.offset + last.page.size) <= gap) run.push(w)
    else runs.push([w])
  }
  return runs
}
