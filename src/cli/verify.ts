/**
 * `ailake verify`: read every live file, manifest and write-ahead log of a table and list what
 * cannot be read; `--quarantine` then commits a snapshot without the damaged files.
 */
import { AilakeError, type QuarantineResult, type VerifyProblem, type VerifyReport } from '../index.js'
import { JSON_FLAG, type Command } from './command.js'
import { count, toJson } from './format.js'
import { openTable } from './words.js'

export const verifyCommand: Command = {
  positionals: ['table'],
  options: { quarantine: { type: 'boolean' }, quick: { type: 'boolean' }, ...JSON_FLAG },
  async run(lake, [name], values, io) {
    const table = await openTable(lake, name as string)
    const report = await table.verify({ readData: values.quick !== true })
    if (values.quarantine !== true) {
      io.out(values.json === true ? toJson(report, 2) : formatReport(report))
      if (report.problems.length > 0) throw damaged(report.problems, table.name, true)
      return
    }
    if (report.problems.length === 0) {
      io.out(values.json === true ? toJson({ report, quarantine: null }, 2) : `${formatReport(report)}\nnothing to quarantine`)
      return
    }
    const result = await table.quarantine()
    io.out(values.json === true ? toJson({ report, quarantine: result }, 2) : `${formatReport(report)}\n${formatQuarantine(result)}`)
    if (result.unresolved.length > 0) throw damaged(result.unresolved, table.name, false)
  },
}

function damaged(problems: VerifyProblem[], table: string, canQuarantine: boolean): AilakeError {
  const wal = problems.filter((p) => p.kind === 'wal')
  const hints = [
    ...(canQuarantine && wal.length < problems.length ? [`ailake verify ${table} --quarantine removes the damaged files (their rows are lost)`] : []),
    ...wal.map((p) => `ailake wal ${table} --discard ${p.writerId ?? '<writer>'} drops the damaged log of ${p.writerId ?? 'a writer'}`),
  ]
  const what = canQuarantine ? `table ${table} has ${problems.length} damaged file(s)` : `quarantine left ${problems.length} problem(s) it cannot fix`
  return new AilakeError('CORRUPT_DATA', `${what}; ${hints.join('; ') || 'restore the table from a backup'}`)
}

/** One line per problem, after what was checked. */
export function formatReport(r: VerifyReport): string {
  const c = r.checked
  const lines = [`checked ${c.manifestLists} manifest list(s), ${count(c.manifests)} manifest(s), ${count(c.dataFiles)} data file(s), ${c.walWriters} write-ahead log(s) of ${r.table}`]
  if (r.problems.length === 0) lines.push('no problems found')
  for (const p of r.problems) lines.push(formatProblem(p))
  return lines.join('\n')
}

/** The problem's message (it names the file) and the rows that depend on the file. */
function formatProblem(p: VerifyProblem): string {
  const rows = p.rows === undefined ? '' : ` [${rowsText(p.rows)}${boundsText(p)}]`
  const who = p.kind === 'wal' ? `write-ahead log of ${p.writerId ?? '?'}: ` : ''
  return `${who}${p.message.replace(/\s*\n\s*/g, ' ')}${rows}`
}

function rowsText(n: number): string {
  return `${count(n)} row${n === 1 ? '' : 's'}`
}

/** The first column's value range, so a reader can tell which rows a damaged file held. */
function boundsText(p: VerifyProblem): string {
  const first = Object.entries(p.bounds ?? {})[0]
  if (first === undefined) return ''
  const [column, { min, max }] = first
  const show = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v))
  return `; ${column} ${show(min)}..${show(max)}`
}

function formatQuarantine(q: QuarantineResult): string {
  if (q.removed.length === 0) return 'quarantine removed nothing'
  const lines = [`quarantined ${q.removed.length} file(s) in snapshot ${String(q.snapshotId)}; ${rowsText(q.rowsLost)} lost:`]
  for (const p of q.removed) lines.push(`  ${p.kind.replace('-', ' ')} ${p.file}: ${rowsText(p.rows ?? 0)}${boundsText(p)}`)
  return lines.join('\n')
}

