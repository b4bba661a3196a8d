/**
 * ailake's public API. Explicit named exports only.
 */
export { AilakeError, isAilakeError } from './errors.js'
export type { AilakeErrorCode, AilakeErrorOptions } from './errors.js'
export type { Metric, Precision } from './vector/types.js'
export type { ObjectStore, ObjectInfo } from './store/object-store.js'
export type { ByteSource } from './util/byte-source.js'
