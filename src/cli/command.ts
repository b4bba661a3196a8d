/**
 * What every command module shares: the I/O a command writes to, the shape of a command, and
 * flag values. Commands import this module, never `run.ts`, so the CLI's imports form a tree.
 */
import type { ParseArgsConfig } from 'node:util'
import type { Lakehouse } from '../index.js'
import { UsageError } from './exit-codes.js'

export interface Io {
  out(text: string): void
  err(text: string): void
  /** True when stderr is a terminal (progress lines are shown only then). */
  tty: boolean
  env: Record<string, string | undefined>
}

export type Flags = NonNullable<ParseArgsConfig['options']>
export type Values = Record<string, string | boolean | string[] | undefined>

export interface Command {
  /** The command's own flags (`--warehouse` and `--help` are every command's). */
  options: Flags
  /** Names of the positional arguments; a name ending in '?' is optional (last ones only). */
  positionals: string[]
  run(lake: Lakehouse, args: string[], values: Values, io: Io): Promise<void>
}

export const JSON_FLAG: Flags = { json: { type: 'boolean' } }

/** Parses a positive integer flag (at most `max`); `UsageError` naming the flag otherwise. */
export function intOption(values: Values, flag: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = values[flag]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new UsageError(`--${flag} must be ${max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer in [1, ${max}]`}, got ${JSON.stringify(raw)}`)
  }
  return n
}
