/** `ailake relocate`: rewrite a copied or moved table's metadata to record where it is now. */
import { JSON_FLAG, type Command } from './command.js'
import { toJson } from './format.js'
import { openTable } from './words.js'

export const relocateCommand: Command = {
  positionals: ['table'],
  options: JSON_FLAG,
  async run(lake, [name], values, io) {
    const table = await openTable(lake, name as string)
    const r = await table.relocate()
    if (values.json === true) io.out(toJson(r, 2))
    else if (!r.relocated) io.out(`${table.name} already records its location ${r.to}; nothing to do`)
    else io.out(`relocated ${table.name} from ${r.from} to ${r.to}: wrote ${r.manifests} manifest(s) and ${r.manifestLists} manifest list(s)`)
  },
}
