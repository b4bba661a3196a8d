/** The commands by name, in the order `ailake --help` lists them. */
import type { Command } from './command.js'
import { createCommand } from './create.js'
import { expireCommand } from './expire.js'
import { historyCommand, infoCommand, tablesCommand } from './info.js'
import { insertCommand } from './insert.js'
import { keysCommand } from './keys.js'
import { searchCommand } from './search.js'
import { mcpCommand, serveCommand } from './serve.js'

export const COMMANDS: Readonly<Record<string, Command>> = {
  create: createCommand,
  insert: insertCommand,
  search: searchCommand,
  info: infoCommand,
  history: historyCommand,
  expire: expireCommand,
  tables: tablesCommand,
  serve: serveCommand,
  keys: keysCommand,
  mcp: mcpCommand,
}
