/**
 * An RFC 4180 CSV parser: comma-separated fields, optional double quotes around a field,
 * `""` for a quote inside a quoted field, CR/LF/CRLF line ends (also inside quotes, where they
 * are kept). A byte-order mark is skipped. Errors name the line so a user can fix the file.
 */
import { AilakeError } from '../index.js'

/** Parses `text` into records (arrays of fields). A final line end does not add an empty record. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let field = ''
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  let line = 1
  let quoted = false
  let fieldStarted = false
  const n = text.length
  const endField = (): void => {
    record.push(field)
    field = ''
    fieldStarted = false
  }
  const endRecord = (): void => {
    endField()
    records.push(record)
    record = []
  }
  while (i < n) {
    const c = text[i] as string
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
        i++
        const next = text[i]
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          throw bad(`line ${line}: unexpected character ${JSON.stringify(next)} after a closing quote; a quote inside a quoted field is written as ""`, line)
        }
        continue
      }
      if (c === '\n') line++
      field += c
      i++
      continue
    }
    if (c === '"') {
      if (fieldStarted || field.length > 0) {
        throw bad(`line ${line}: a quote in the middle of an unquoted field; quote the whole field and write the quote as ""`, line)
      }
      quoted = true
      fieldStarted = true
      i++
      continue
    }
    if (c === ',') {
      endField()
      i++
      continue
    }
    if (c === '\r' || c === '\n') {
      endRecord()
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1
      line++
      continue
    }
    field += c
    fieldStarted = true
    i++
  }
  if (quoted) throw bad(`line ${line}: a quoted field is not closed before the end of the file`, line)
  if (field.length > 0 || fieldStarted || record.length > 0) endRecord()
  return records
}

/** Parses CSV with a header line into objects of strings; every record must have the header's width. */
export function csvToObjects(text: string): { header: string[]; rows: Record<string, string>[] } {
  const records = parseCsv(text)
  const header = records[0]
  if (header === undefined) throw bad('the CSV file is empty; it needs a header line naming the columns', 1)
  const seen = new Set<string>()
  for (const h of header) {
    if (h === '') throw bad('the CSV header has an empty column name', 1)
    if (seen.has(h)) throw bad(`the CSV header names column ${JSON.stringify(h)} twice`, 1)
    seen.add(h)
  }
  const rows: Record<string, string>[] = []
  for (let r = 1; r < records.length; r++) {
    const rec = records[r] as string[]
    if (rec.length === 1 && rec[0] === '') continue // blank line
    if (rec.length !== header.length) {
      throw bad(`CSV record ${r} has ${rec.length} fields but the header has ${header.length}`, r + 1)
    }
    const o: Record<string, string> = {}
    header.forEach((h, j) => { o[h] = rec[j] as string })
    rows.push(o)
  }
  return { header, rows }
}

function bad(message: string, line: number): AilakeError {
  return new AilakeError('INVALID_ARGUMENT', `CSV ${message}`, { context: { line } })
}
