/**
 * The `ailake` command line: argument parsing, dispatch, and the small commands (create, info,
 * history, tables). `run` never throws: it prints one line on stderr and returns an exit code.
 */
import { readFileSync } from 'node:fs'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { AilakeError, connect, createEmbedderByName, probeDim, type Embedder, type Lakehouse, type Metric, type Precision, type SchemaInput, type Table } from '../index.js'
import { exitCodeOf, messageOf, UsageError } from './exit-codes.js'
import { toJson } from './format.js'
import { GENERAL, HELP } from './help.js'
import { formatHistory, formatInfo, tableInfo } from './info.js'
import { insertCommand } from './insert.js'
import { searchCommand } from './search.js'

export interface Io {
  out(text: string): void
  err(text: string): void
  /** True when stderr is a terminal (progress lines are shown only then). */
  tty: boolean
  env: Record<string, string | undefined>
}

type Options = NonNullable<ParseArgsConfig['options']>
export type Values = Record<string, string | boolean | undefined>

export interface Command {
  options: Options
  positionals: string[]
  run(lake: Lakehouse, args: string[], values: Values, io: Io): Promise<void>
}

const COMMON: Options = { warehouse: { type: 'string' }, help: { type: 'boolean', short: 'h' } }
const JSON_FLAG: Options = { json: { type: 'boolean' } }

const COMMANDS: Record<string, Command> = {
  create: {
    positionals: ['table'],
    options: { dim: { type: 'string' }, metric: { type: 'string' }, precision: { type: 'string' }, column: { type: 'string' }, embedder: { type: 'string' }, columns: { type: 'string' } },
    run: createCommand,
  },
  insert: {
    positionals: ['table', 'file'],
    options: { format: { type: 'string' }, embed: { type: 'string' }, 'batch-size': { type: 'string' }, 'flush-rows': { type: 'string' } },
    run: insertCommand,
  },
  search: {
    positionals: ['table'],
    options: {
      vector: { type: 'string' }, text: { type: 'string' }, like: { type: 'string' }, limit: { type: 'string', short: 'k' },
      where: { type: 'string' }, 'as-of': { type: 'string' }, select: { type: 'string' }, 'id-column': { type: 'string' }, ef: { type: 'string' }, ...JSON_FLAG,
    },
    run: searchCommand,
  },
  info: {
    positionals: ['table'],
    options: JSON_FLAG,
    async run(lake, [name], values, io) {
      const info = await tableInfo(await lake.openTable(name as string))
      io.out(values.json === true ? toJson(info, 2) : formatInfo(info))
    },
  },
  history: {
    positionals: ['table'],
    options: JSON_FLAG,
    async run(lake, [name], values, io) {
      const table = await lake.openTable(name as string)
      io.out(values.json === true ? toJson(table.history(), 2) : formatHistory(table))
    },
  },
  expire: {
    positionals: ['table'],
    options: { 'older-than': { type: 'string' }, 'retain-last': { type: 'string' }, orphans: { type: 'boolean' }, ...JSON_FLAG },
    async run(lake, [name], values, io) {
      const table = await lake.openTable(name as string)
      const olderThan = values['older-than'] === undefined ? undefined : parseTime(values['older-than'] as string, 'older-than')
      const result = await table.expireSnapshots({
        ...(olderThan !== undefined && { olderThan }),
        ...(values['retain-last'] !== undefined && { retainLast: intOption(values, 'retain-last', 1) }),
      })
      const orphans = values.orphans === true ? await table.removeOrphanFiles(olderThan === undefined ? {} : { olderThan }) : []
      if (values.json === true) io.out(toJson({ ...result, orphanFiles: orphans.length }, 2))
      else {
        io.out(`expired ${result.expiredSnapshots} snapshot(s); deleted ${result.deletedDataFiles} data file(s), ${result.deletedManifests} manifest(s), ${result.deletedManifestLists} manifest list(s), ${result.deletedMetadataFiles} metadata file(s)`)
        if (values.orphans === true) io.out(`removed ${orphans.length} orphan file(s)`)
      }
    },
  },
  tables: {
    positionals: [],
    options: JSON_FLAG,
    async run(lake, _args, values, io) {
      const names = await lake.listTables()
      if (values.json === true) io.out(toJson(names))
      else if (names.length > 0) io.out(names.join('\n'))
    },
  },
}

/** An ISO date/time, epoch milliseconds, or an age such as `7d`, `12h`, `30m` (that long ago). */
function parseTime(raw: string, flag: string): Date {
  const age = /^(\d+)([dhm])$/.exec(raw)
  if (age !== null) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[age[2] as 'd' | 'h' | 'm']
    return new Date(Date.now() - Number(age[1]) * unit)
  }
  const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw)
  if (!Number.isFinite(t)) throw new UsageError(`--${flag} must be an ISO date, epoch milliseconds or an age like 7d / 12h / 30m, got ${JSON.stringify(raw)}`)
  return new Date(t)
}

/** Runs one command line (without `node` and the script path); resolves to the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  let lake: Lakehouse | undefined
  try {
    const first = argv[0]
    if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
      const topic = first === 'help' ? argv[1] : undefined
      io.out(topic !== undefined && HELP[topic] !== undefined ? HELP[topic] : GENERAL)
      return 0
    }
    if (first === '-V' || first === '--version') {
      io.out(version())
      return 0
    }
    const { name, command, rest } = pickCommand(argv)
    const parsed = parse(command, rest, name)
    if (parsed.values.help === true) {
      io.out(HELP[name] ?? GENERAL)
      return 0
    }
    const warehouse = (parsed.values.warehouse as string | undefined) ?? io.env['AILAKE_WAREHOUSE'] ?? './warehouse'
    lake = await connect(warehouse)
    await command.run(lake, parsed.positionals, parsed.values, io)
    return 0
  } catch (err) {
    io.err(`ailake: ${messageOf(err)}\n`)
    if (io.env['AILAKE_DEBUG'] === '1' && err instanceof Error) io.err(`${err.stack ?? ''}\n`)
    return exitCodeOf(err)
  } finally {
    await lake?.close().catch(() => undefined)
  }
}

/** The command is the first argument that is not `--warehouse` or its value. */
function pickCommand(argv: string[]): { name: string; command: Command; rest: string[] } {
  const rest = [...argv]
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string
    if (a === '--warehouse') { i++; continue }
    if (a.startsWith('--warehouse=')) continue
    if (a.startsWith('-')) throw new UsageError(`unknown option ${a} before the command; run ailake --help`)
    const command = COMMANDS[a]
    if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(a)}; commands: ${Object.keys(COMMANDS).join(', ')} (ailake --help)`)
    rest.splice(i, 1)
    return { name: a, command, rest }
  }
  throw new UsageError('no command given; run ailake --help')
}

function parse(command: Command, args: string[], name: string): { values: Values; positionals: string[] } {
  let parsed: { values: Values; positionals: string[] }
  try {
    parsed = parseArgs({ args, options: { ...COMMON, ...command.options }, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] }
  } catch (err) {
    throw new UsageError(`${messageOf(err).replace(/\. To specify a positional.*$/, '')} (ailake ${name} --help)`)
  }
  if (parsed.values.help === true) return parsed
  const want = command.positionals
  if (parsed.positionals.length < want.length) {
    throw new UsageError(`${name} needs ${want.map((p) => `<${p}>`).join(' ')}; run ailake ${name} --help`)
  }
  if (parsed.positionals.length > want.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[want.length])} for ${name}; run ailake ${name} --help`)
  }
  return parsed
}

function version(): string {
  // dist/src/cli/run.js → package.json three levels up; the same relative path from src/cli in a checkout.
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'ailake' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // try the next location
    }
  }
  return 'unknown'
}

/** Parses a positive integer option; `UsageError` naming the flag otherwise. */
export function intOption(values: Values, flag: string, fallback: number): number {
  const raw = values[flag]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive integer, got ${JSON.stringify(raw)}`)
  return n
}

async function createCommand(lake: Lakehouse, [name]: string[], values: Values, io: Io): Promise<void> {
  const embedderName = values.embedder as string | undefined
  let dim = values.dim === undefined ? undefined : intOption(values, 'dim', 0)
  const embedder = embedderName === undefined ? undefined : await createEmbedderByName(embedderName)
  try {
    if (embedder !== undefined) {
      const edim = await probeDim(embedder)
      if (dim !== undefined && dim !== edim) {
        throw new AilakeError('DIMENSION_MISMATCH', `--dim ${dim} does not match the embedder ${embedder.name}, which makes ${edim}-d vectors; drop --dim or use ${edim}`)
      }
      dim = edim
    }
    await createTable(lake, name as string, values, dim, embedder, io)
  } finally {
    await embedder?.close?.()
  }
}

async function createTable(lake: Lakehouse, name: string, values: Values, dim: number | undefined, embedder: Embedder | undefined, io: Io): Promise<void> {
  if (dim === undefined) throw new UsageError('create needs --dim N (or --embedder, which knows its dimension); run ailake create --help')
  const vector = {
    dim,
    ...(values.metric !== undefined && { metric: values.metric as Metric }),
    ...(values.precision !== undefined && { precision: values.precision as Precision }),
    ...(values.column !== undefined && { column: values.column as string }),
  }
  const schema = values.columns === undefined ? undefined : parseColumns(values.columns as string)
  const table: Table = await lake.createTable(name, { vector, ...(embedder !== undefined && { embedder }), ...(schema !== undefined && { schema }) })
  const v = table.vector
  io.out(`created ${table.name}: ${v.column} ${v.dim}-d ${v.metric} ${v.precision}${table.embedder === undefined ? '' : `, embedder ${table.embedder.name}`}`)
}

function parseColumns(spec: string): SchemaInput {
  const out: Record<string, string> = {}
  for (const part of spec.split(',')) {
    const m = /^\s*([^:\s]+)\s*:\s*([a-z]+)\s*$/.exec(part)
    if (m === null) throw new UsageError(`--columns entry ${JSON.stringify(part)} must look like name:type, e.g. "id:long,title:string"`)
    out[m[1] as string] = m[2] as string
  }
  return out as SchemaInput
}
