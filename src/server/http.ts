/**
 * Request and response plumbing shared by the routes: bounded body reading, JSON in (64-bit
 * integers kept exact) and out, and the scope checks.
 */
import type { Context } from 'hono'
import { AilakeError, isAilakeError, parseExactJson, toJsonText } from '../index.js'
import { allows, type Level, type Principal } from './auth.js'
import { HttpError } from './http-errors.js'

export interface Env {
  Variables: { principal: Principal }
}

export type Ctx = Context<Env>

/** The body, refused with 413 once it passes `max` bytes (before reading it all when the length is declared). */
export async function readBody(c: Ctx, max: number): Promise<Uint8Array> {
  const declared = c.req.header('content-length')
  if (declared !== undefined && Number(declared) > max) throw tooLarge(max)
  // A declared length is enforced by the HTTP parser, so the body can be read whole (the fast
  // path of the Node adapter); without one it is streamed and counted.
  if (declared !== undefined && /^\d+$/.test(declared)) {
    const whole = new Uint8Array(await c.req.raw.arrayBuffer())
    // A runtime that does not hold bodies to their declared length still cannot pass the limit.
    if (whole.length > max) throw tooLarge(max)
    return whole
  }
  const stream = c.req.raw.body
  if (stream === null) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge(max)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const ch of chunks) {
    out.set(ch, at)
    at += ch.byteLength
  }
  return out
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than the server's limit of ${max} bytes; send less per request`)
}

/** The media type of the request, lower case, without parameters. */
export function mediaType(c: Ctx): string {
  return (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

/**
 * The body as JSON, integers beyond 2^53 as bigint. Only `application/json` is taken: a browser
 * cannot send that cross-site without asking first, so pages on other sites cannot post here.
 */
export async function jsonBody(c: Ctx, max: number): Promise<unknown> {
  if (mediaType(c) !== 'application/json') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the body as application/json (got ${JSON.stringify(c.req.header('content-type') ?? 'none')})`)
  }
  const bytes = await readBody(c, max)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new AilakeError('INVALID_ARGUMENT', 'the request body is not UTF-8 text')
  }
  if (text.trim() === '') throw new AilakeError('INVALID_ARGUMENT', 'the request body is empty; send a JSON object')
  try {
    // The lossless parser is ~4x slower; it is needed only when a number may have more digits
    // than a double holds: an integer past 2^53 (kept as a bigint) or a longer fraction
    // (refused: a decimal sent as a bare number would lose digits silently).
    return LONG_NUMBER.test(text) ? parseExactJson(text, 'request body') : JSON.parse(text) as unknown
  } catch (err) {
    if (isAilakeError(err, 'INVALID_ARGUMENT')) throw err
    throw new AilakeError('INVALID_ARGUMENT', 'the request body is not valid JSON')
  }
}

/** 16 or more digits in a row, a point allowed among them (in JSON or anywhere): a number a double may not hold. */
const LONG_NUMBER = /\d[\d.]{15,}/

/** A JSON response: 64-bit integers as strings, bytes as base64. */
export function json(c: Ctx, value: unknown, status = 200): Response {
  return c.body(toJsonText(value), status as 200, { 'content-type': 'application/json; charset=utf-8' })
}

/** Fails with 403 unless the caller holds `level` on `ident`. */
export function need(c: Ctx, level: Level, ident: readonly string[]): void {
  if (!allows(c.get('principal'), level, ident)) {
    throw new HttpError(403, 'FORBIDDEN', `this key has no ${level} access to ${ident.join('.') || 'the catalog'}`)
  }
}

/** A table name from the path (`ns.table`, or `table` in namespace `default`) as identifier levels. */
export function tableLevels(name: string): string[] {
  const levels = name.split('.')
  return levels.length === 1 ? ['default', name] : levels
}
