/**
 * `ailake scan`: a table's live rows without a query vector (any table, including ones other
 * engines wrote), filtered and projected, as an aligned table or as JSON.
 */
import type { Lakehouse, Row, ScanOptions } from '../index.js'
import { intOption, JSON_FLAG, type Command, type Io, type Values } from './command.js'
import { renderTable, toJson } from './format.js'
import { parseAsOf, run, splitList } from './search.js'
import { inWords, openTable } from './words.js'

const WORDS = { 'scan(): ': '', 'where(): ': '--where: ' } as const

export const scanCommand: Command = {
  positionals: ['table'],
  options: { where: { type: 'string' }, select: { type: 'string' }, 'as-of': { type: 'string' }, limit: { type: 'string', short: 'n' }, all: { type: 'boolean' }, ...JSON_FLAG },
  run: scan,
}

async function scan(lake: Lakehouse, [name]: string[], values: Values, io: Io): Promise<void> {
  const limit = values.all === true ? undefined : intOption(values, 'limit', 20)
  const options: ScanOptions = {
    ...(limit !== undefined && { limit }),
    ...(values.where !== undefined && { where: values.where as string }),
    ...(values.select !== undefined && { select: splitList(values.select as string) }),
    ...(values['as-of'] !== undefined && { asOf: parseAsOf(values['as-of'] as string) }),
  }
  const table = await openTable(lake, name as string)
  let rows: Row[]
  try {
    const query = inWords(WORDS, () => table.scan(options))
    rows = await run({ toArray: async () => { const out: Row[] = []; for await (const r of query) out.push(r); return out } }, table, values)
  } finally {
    await table.close()
  }
  if (values.json === true) {
    io.out(toJson(rows))
    return
  }
  if (rows.length === 0) {
    io.out('no rows')
    return
  }
  io.out(renderTable(rows, [...new Set(rows.flatMap((r) => Object.keys(r)))]))
  if (limit !== undefined && rows.length === limit) io.out(`(first ${limit} rows; --limit N or --all for more)`)
}
