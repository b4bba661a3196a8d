import { test } from 'node:test'
import assert from 'node:assert/strict'
import { csvToObjects, parseCsv } from '../../src/cli/csv.js'
import { isAilakeError } from '../../src/index.js'

test('parseCsv: quoted commas, escaped quotes, newlines inside quotes, CRLF', () => {
  const text = 'a,b,c\r\n1,"x, y","say ""hi"""\r\n2,"line1\nline2",\n'
  assert.deepEqual(parseCsv(text), [
    ['a', 'b', 'c'],
    ['1', 'x, y', 'say "hi"'],
    ['2', 'line1\nline2', ''],
  ])
})

test('parseCsv: BOM, no final newline, empty quoted field, lone CR line ends', () => {
  assert.deepEqual(parseCsv('\ufeffa,b\r1,""'), [['a', 'b'], ['1', '']])
  assert.deepEqual(parseCsv('"a"'), [['a']])
  assert.deepEqual(parseCsv(''), [])
})

test('parseCsv: malformed quoting fails with INVALID_ARGUMENT naming the line', () => {
  assert.throws(() => parseCsv('a\n"open\n'), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /not closed/.test(e.message))
  assert.throws(() => parseCsv('a,b\n1,x"y\n'), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /line 2/.test(e.message))
  assert.throws(() => parseCsv('a\n"x"y\n'), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /after a closing quote/.test(e.message))
})

test('csvToObjects: header width is enforced, blank lines skipped, duplicate names refused', () => {
  const { header, rows } = csvToObjects('id,t\n1,a\n\n2,b\n')
  assert.deepEqual(header, ['id', 't'])
  assert.deepEqual(rows, [{ id: '1', t: 'a' }, { id: '2', t: 'b' }])
  assert.throws(() => csvToObjects('id,t\n1\n'), /1 fields but the header has 2/)
  assert.throws(() => csvToObjects('id,id\n1,2\n'), /twice/)
  assert.throws(() => csvToObjects(''), /empty/)
})
