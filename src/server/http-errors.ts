/**
 * Failures as HTTP responses. One table maps each `AilakeError` code to a status; the JSON API
 * answers `{ error: { code, message } }`, the Iceberg REST catalog its spec's
 * `{ error: { message, type, code } }`. A server-side failure (5xx) never shows its details or
 * stack to the client: they go to the server's log under a request id the client is given.
 */
import { isAilakeError, type AilakeErrorCode } from '../index.js'

/** HTTP status of each ailake error code. */
export const STATUS_OF_CODE: Readonly<Record<AilakeErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  DIMENSION_MISMATCH: 400,
  SCHEMA_MISMATCH: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  COMMIT_CONFLICT: 409,
  UNSUPPORTED: 406,
  CORRUPT_DATA: 500,
  INTERNAL: 500,
  STORE_ERROR: 503,
  CLOSED: 503,
}

/** A failure of the HTTP layer itself (auth, limits, routing), with its own code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

export interface ErrorBody {
  status: number
  code: string
  message: string
  headers: Record<string, string>
  /** Set on ailake errors: what the Iceberg error type is chosen by. */
  context?: Readonly<Record<string, unknown>>
}

let requestCounter = 0

/** What a failure shows a client; 5xx details are logged instead, under the id the message names. */
export function describeError(err: unknown, log: (line: string) => void): ErrorBody {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message, headers: err.headers }
  if (isAilakeError(err)) {
    const status = STATUS_OF_CODE[err.code] ?? 500
    const headers: Record<string, string> = status === 503 ? { 'Retry-After': '1' } : {}
    if (status < 500 || (err.code === 'STORE_ERROR' && err.context.outcomeUnknown === true)) {
      return { status, code: err.code, message: oneLine(err.message), headers, context: err.context }
    }
    const id = logged(err, log)
    return { status, code: err.code, message: `${err.code === 'CORRUPT_DATA' ? 'stored data failed its checks' : 'the server failed'} (request ${id}; details in the server log)`, headers, context: err.context }
  }
  const id = logged(err, log)
  return { status: 500, code: 'INTERNAL', message: `internal error (request ${id}; details in the server log)`, headers: {} }
}

function logged(err: unknown, log: (line: string) => void): string {
  const id = `${Date.now().toString(36)}-${(++requestCounter).toString(36)}`
  log(`ailake serve: request ${id} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
  return id
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim()
}

/** The JSON API's error body. */
export function apiErrorJson(e: ErrorBody): string {
  return JSON.stringify({ error: { code: e.code, message: e.message } })
}

/** Iceberg's exception type and status for a failure of a REST catalog request. */
export function icebergError(e: ErrorBody): { status: number; type: string } {
  const ctx = e.context ?? {}
  switch (e.code) {
    case 'NOT_FOUND': return { status: 404, type: ctx.namespaceMissing === true ? 'NoSuchNamespaceException' : 'NoSuchTableException' }
    case 'ALREADY_EXISTS': return { status: 409, type: 'AlreadyExistsException' }
    case 'COMMIT_CONFLICT': return { status: 409, type: 'CommitFailedException' }
    case 'INVALID_ARGUMENT':
      if (ctx.namespaceNotEmpty === true) return { status: 409, type: 'NamespaceNotEmptyException' }
      if (Array.isArray(ctx.both)) return { status: 422, type: 'UnprocessableEntityException' }
      return { status: 400, type: 'BadRequestException' }
    case 'UNSUPPORTED': return { status: 406, type: 'UnsupportedOperationException' }
    case 'STORE_ERROR':
      if (ctx.outcomeUnknown === true) return { status: 500, type: 'CommitStateUnknownException' }
      return { status: 503, type: 'ServiceUnavailableException' }
    case 'UNAUTHENTICATED': return { status: 401, type: 'NotAuthorizedException' }
    case 'FORBIDDEN': return { status: 403, type: 'ForbiddenException' }
    case 'NO_ROUTE': return { status: 404, type: 'NotFoundException' }
  }
  if (e.status === 503) return { status: 503, type: 'ServiceUnavailableException' }
  if (e.status >= 500) return { status: e.status, type: 'InternalServerError' }
  return { status: e.status, type: 'BadRequestException' }
}

/** The Iceberg REST error body. */
export function icebergErrorJson(e: ErrorBody): { status: number; body: string } {
  const { status, type } = icebergError(e)
  return { status, body: JSON.stringify({ error: { message: e.message, type, code: status } }) }
}
