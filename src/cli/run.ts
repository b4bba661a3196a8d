/**
 * The `ailake` command line: picks the command, parses and checks its flags, connects and runs
 * it. `run` never throws: it prints one line on stderr and returns an exit code.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { connect, type Lakehouse } from '../index.js'
import type { Command, Flags, Io, Values } from './command.js'
import { COMMANDS } from './commands.js'
import { exitCodeOf, messageOf, UsageError } from './exit-codes.js'
import { GENERAL, HELP } from './help.js'

export type { Io } from './command.js'

/** Flags every command takes. */
const COMMON: Flags = { warehouse: { type: 'string' }, help: { type: 'boolean', short: 'h' } }

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
  const options = { ...command.options, ...COMMON }
  let parsed: { values: Values; positionals: string[] }
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] }
  } catch (err) {
    throw flagError(args, options, name) ?? new UsageError(`${messageOf(err)} (ailake ${name} --help)`)
  }
  if (parsed.values.help === true) return parsed
  // A name ending in '?' is an optional positional (only last ones may be).
  const want = command.positionals
  if (parsed.positionals.length < want.filter((p) => !p.endsWith('?')).length) {
    throw new UsageError(`${name} needs ${want.map((p) => (p.endsWith('?') ? `[${p.slice(0, -1)}]` : `<${p}>`)).join(' ')}; run ailake ${name} --help`)
  }
  if (parsed.positionals.length > want.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[want.length])} for ${name}; run ailake ${name} --help`)
  }
  return parsed
}

/**
 * The first flag of `args` that strict parsing refused, explained in the CLI's words: a flag of
 * another command, an unknown flag (with the command's flags listed), a missing value or a
 * value given to an on/off flag.
 */
function flagError(args: string[], options: Flags, name: string): UsageError | undefined {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true })
  const help = `run ailake ${name} --help`
  for (const t of tokens) {
    if (t.kind !== 'option') continue
    const spec = options[t.name]
    if (spec === undefined) {
      const owners = Object.entries(COMMANDS).filter(([, c]) => Object.hasOwn(c.options, t.name)).map(([n]) => n)
      if (owners.length > 0) return new UsageError(`${t.rawName} is an option of ${owners.join(' and ')}, not of ${name}; ${help}`)
      return new UsageError(`unknown option ${t.rawName} for ${name}; it takes ${flagList(options)}`)
    }
    if (spec.type === 'boolean' && t.value !== undefined) return new UsageError(`${t.rawName} takes no value, got ${JSON.stringify(t.value)}; ${help}`)
    if (spec.type === 'string' && t.value === undefined) return new UsageError(`${t.rawName} needs a value; ${help}`)
    if (spec.type === 'string' && !t.inlineValue && t.value?.startsWith('-') === true) {
      return new UsageError(`${t.rawName} needs a value, got the option ${t.value}; a value that starts with '-' is written --${t.name}=${t.value}`)
    }
  }
  return undefined
}

function flagList(options: Flags): string {
  return Object.entries(options).map(([long, o]) => (o.short === undefined ? `--${long}` : `-${o.short}/--${long}`)).join(', ')
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
