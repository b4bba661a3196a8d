// Iceberg's field-id rules, checked on a table's metadata files read as plain JSON (an oracle
// independent of ailake's metadata codec).
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

interface JsonField { id: number; name: string; type: string | { type: string; 'element-id'?: number } }
interface JsonMeta { 'last-column-id': number; schemas: { 'schema-id': number; fields: JsonField[] }[] }

/**
 * Checks every metadata version of a table, read as plain JSON: within and across all schemas,
 * one field id always names the same column (name and type), element ids included, and
 * last-column-id covers every id and never decreases.
 */
export async function checkFieldIds(dir: string, folder: string): Promise<void> {
  const metaDir = join(dir, folder, 'metadata')
  const versions = (await readdir(metaDir)).filter((f) => /^v\d+\.metadata\.json$/.test(f)).sort((a, b) => Number(a.slice(1, -14)) - Number(b.slice(1, -14)))
  const seen = new Map<number, string>()
  let lastColumnId = 0
  for (const v of versions) {
    const meta = JSON.parse(await readFile(join(metaDir, v), 'utf8')) as JsonMeta
    assert.ok(meta['last-column-id'] >= lastColumnId, `${v}: last-column-id went back from ${lastColumnId} to ${meta['last-column-id']}`)
    lastColumnId = meta['last-column-id']
    for (const s of meta.schemas) {
      for (const f of s.fields) {
        const ids: [number, string][] = [[f.id, `${f.name}:${JSON.stringify(typeof f.type === 'string' ? f.type : { ...f.type, 'element-id': undefined })}`]]
        if (typeof f.type === 'object' && f.type['element-id'] !== undefined) ids.push([f.type['element-id'], `${f.name}.element`])
        for (const [id, what] of ids) {
          assert.ok(id <= lastColumnId, `${v} schema ${s['schema-id']}: id ${id} above last-column-id ${lastColumnId}`)
          const before = seen.get(id)
          assert.ok(before === undefined || before === what, `${v} schema ${s['schema-id']}: field id ${id} names ${what}, but ${before} elsewhere`)
          seen.set(id, what)
        }
      }
    }
  }
}
