/** A search plan drawn: what happened to each file (a stacked bar), bytes read, time per phase. */
import { html } from 'htm/preact'
import type { VNode } from 'preact'
import { bytes, colourOf, count } from '../ui.js'

export interface VectorPlan {
  filesTotal: number
  filesPrunedByPartition: number
  filesPrunedByStats: number
  filesPrunedByBound: number
  filesSkippedByRouting: number
  filesSearchedByIndex: number
  filesSearchedByScan: number
  filesNoMatch: number
  bufferedRows: number
  candidates: number
  bytesRead: number
  reads: number
  timingsMs: Record<string, number>
  /** Each file in the order the search decided it (explain only). */
  files?: FileVisit[]
}

export interface FileVisit {
  path: string
  rows: number
  bound: number | null
  rank: number | null
  outcome: 'index' | 'scan' | 'no-match' | 'pruned-stats' | 'pruned-bound' | 'skipped-routing' | 'pruned-partition'
}

export interface TextPlan {
  filesTotal: number
  filesPrunedByStats: number
  filesSkippedByTerms: number
  filesScored: number
  matches: number
  bytesRead: number
  reads: number
  timingsMs: Record<string, number>
}

export interface HybridPlan {
  vector: VectorPlan
  text: TextPlan
  overlap: number
  timingsMs: { total: number }
}

type Part = [label: string, n: number]

/** One horizontal bar split into labelled parts, with a legend that says the numbers. */
function Bar({ title, parts, unit }: { title: string; parts: Part[]; unit: (n: number) => string }): VNode {
  const total = parts.reduce((s, [, n]) => s + n, 0)
  let at = 0
  return html`<figure class="bar">
    <figcaption>${title}</figcaption>
    <svg viewBox="0 0 400 18" width="400" height="18" role="img" aria-label=${`${title}: ${parts.map(([l, n]) => `${l} ${unit(n)}`).join(', ')}`}>
      <rect x="0" y="0" width="400" height="18" fill="#eee" />
      ${parts.map(([label, n], i) => {
        const w = total === 0 ? 0 : (n / total) * 400
        const r = html`<rect x=${at} y="0" width=${w} height="18" fill=${colourOf(i)}><title>${label}: ${unit(n)}</title></rect>`
        at += w
        return r
      })}
    </svg>
    <ul class="legend">${parts.map(([label, n], i) => html`<li><span class="swatch" style=${`background:${colourOf(i)}`}></span>${label}: <strong>${unit(n)}</strong></li>`)}</ul>
  </figure>`
}

const ms = (n: number): string => `${n.toFixed(1)} ms`

function timings(t: Record<string, number>): Part[] {
  return Object.entries(t).filter(([k]) => k !== 'total').map(([k, v]) => [k, v])
}

// One colour per outcome, shared by the bar and the file strip.
const OUTCOMES: [FileVisit['outcome'], string][] = [
  ['index', 'searched by index'], ['scan', 'searched by scan'], ['pruned-stats', 'pruned by stats'],
  ['pruned-bound', 'pruned by bound'], ['skipped-routing', 'skipped by routing'], ['no-match', 'no row matched the filter'],
  ['pruned-partition', 'pruned by partition'],
]
const outcomeColour = (o: FileVisit['outcome']): string => colourOf(OUTCOMES.findIndex(([k]) => k === o))
const LISTED = 12

/**
 * The files in the order the search decided them: a strip of one cell per file (nearest bound
 * first, so pruning shows as the tail turning one colour) and the first few listed.
 */
function FileStrip({ files }: { files: FileVisit[] }): VNode {
  const w = 400 / Math.max(1, files.length)
  const name = (p: string): string => p.slice(p.lastIndexOf('/') + 1)
  const bound = (b: number | null): string => (b === null ? '–' : b.toPrecision(4))
  return html`<figure class="bar files" data-testid="plan-files">
    <figcaption>Files in the order decided</figcaption>
    <svg viewBox="0 0 400 18" width="400" height="18" role="img" aria-label=${`${files.length} files in the order the search decided them`}>
      ${files.map((f, i) => html`<rect x=${i * w} y="0" width=${w} height="18" fill=${outcomeColour(f.outcome)}><title>${`${i + 1}. ${name(f.path)}: ${f.outcome}, ${f.rows} rows, bound ${bound(f.bound)}`}</title></rect>`)}
    </svg>
    <table class="visits">
      <thead><tr><th>#</th><th>file</th><th>rows</th><th>bound</th><th>route rank</th><th>outcome</th></tr></thead>
      <tbody>${files.slice(0, LISTED).map((f, i) => html`<tr>
        <td>${i + 1}</td><td title=${f.path}>${name(f.path)}</td><td>${count(f.rows)}</td><td>${bound(f.bound)}</td><td>${f.rank ?? '–'}</td>
        <td><span class="swatch" style=${`background:${outcomeColour(f.outcome)}`}></span>${f.outcome}</td>
      </tr>`)}</tbody>
    </table>
    ${files.length > LISTED ? html`<p>… and ${count(files.length - LISTED)} more</p>` : null}
  </figure>`
}

function VectorPlanView({ plan }: { plan: VectorPlan }): VNode {
  const n: Record<FileVisit['outcome'], number> = {
    index: plan.filesSearchedByIndex, scan: plan.filesSearchedByScan, 'pruned-stats': plan.filesPrunedByStats,
    'pruned-bound': plan.filesPrunedByBound, 'skipped-routing': plan.filesSkippedByRouting, 'no-match': plan.filesNoMatch,
    'pruned-partition': plan.filesPrunedByPartition ?? 0,
  }
  return html`<div class="plan" data-testid="plan">
    <${Bar} title=${`Files (${count(plan.filesTotal)})`} unit=${count} parts=${OUTCOMES.map(([k, label]) => [label, n[k]])} />
    ${plan.files !== undefined && plan.files.length > 0 ? html`<${FileStrip} files=${plan.files} />` : null}
    <${Bar} title=${`Time (${ms(plan.timingsMs.total ?? 0)} total)`} unit=${ms} parts=${timings(plan.timingsMs)} />
    <p>${bytes(plan.bytesRead)} read in ${count(plan.reads)} reads · ${count(plan.candidates)} candidates · ${count(plan.bufferedRows)} buffered rows</p>
  </div>`
}

function TextPlanView({ plan }: { plan: TextPlan }): VNode {
  return html`<div class="plan" data-testid="plan">
    <${Bar} title=${`Files (${count(plan.filesTotal)})`} unit=${count} parts=${[
      ['scored', plan.filesScored], ['pruned by stats', plan.filesPrunedByStats], ['skipped (no query term)', plan.filesSkippedByTerms],
    ]} />
    <${Bar} title=${`Time (${ms(plan.timingsMs.total ?? 0)} total)`} unit=${ms} parts=${timings(plan.timingsMs)} />
    <p>${bytes(plan.bytesRead)} read in ${count(plan.reads)} reads · ${count(plan.matches)} matching rows</p>
  </div>`
}

export function PlanView({ mode, plan }: { mode: string; plan: unknown }): VNode {
  if (mode === 'fulltext') return html`<${TextPlanView} plan=${plan as TextPlan} />`
  if (mode === 'hybrid') {
    const p = plan as HybridPlan
    return html`<div>
      <h4>Vector leg</h4><${VectorPlanView} plan=${p.vector} />
      <h4>Full-text leg</h4><${TextPlanView} plan=${p.text} />
      <p>${count(p.overlap)} rows in both legs · ${ms(p.timingsMs.total)} in all</p>
    </div>`
  }
  return html`<${VectorPlanView} plan=${plan as VectorPlan} />`
}
