/** The commands by name, in the order `ailake --help` lists them. */
import type { Command } from './command.js'
import { alterCommand } from './alter.js'
import { deleteCommand, updateCommand, upsertCommand } from './changes.js'
import { optimizeCommand } from './optimize.js'
import { createCommand } from './create.js'
import { expireCommand } from './expire.js'
import { historyCommand, infoCommand, tablesCommand } from './info.js'
import { insertCommand } from './insert.js'
import { keysCommand } from './keys.js'
import { relocateCommand } from './relocate.js'
import { scanCommand } from './scan.js'
import { searchCommand } from './search.js'
import { mcpCommand, serveCommand } from './serve.js'
import { verifyCommand } from './verify.js'
import { walCommand } from './wal.js'

export const COMMANDS: Readonly<Record<string, Command>> = {
  create: createCommand,
  insert: insertCommand,
  search: searchCommand,
  scan: scanCommand,
  delete: deleteCommand,
  update: updateCommand,
  upsert: upsertCommand,
  alter: alterCommand,
  info: infoCommand,
  history: historyCommand,
  optimize: optimizeCommand,
  expire: expireCommand,
  verify: verifyCommand,
  wal: walCommand,
  relocate: relocateCommand,
  tables: tablesCommand,
  serve: serveCommand,
  keys: keysCommand,
  mcp: mcpCommand,
}
