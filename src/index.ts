/**
 * ailake's public API. Explicit named exports only.
 */
export { AilakeError, isAilakeError } from './errors.js'
export type { AilakeErrorCode, AilakeErrorOptions } from './errors.js'
export type { Metric, Precision } from './vector/types.js'
export type { ByteSource } from './util/byte-source.js'

export { connect, Lakehouse } from './api/lakehouse.js'
export type { ConnectOptions, CreateTableOptions } from './api/lakehouse.js'
export { Table } from './api/table.js'
export type { AddOptions, FileInfo, SnapshotInfo } from './api/table.js'
export type { ColumnSpec, SchemaInput } from './api/schema-input.js'
export type { AsOf } from './table/iceberg-table.js'
export type { RowsInput, Row } from './table/rows.js'
export type { VectorPolicy, VectorPolicyInput } from './table/vector-policy.js'
export type { Field, FieldType, Schema, PrimitiveType } from './format/schema.js'

export type { ObjectStore, ObjectInfo } from './store/object-store.js'
export { LocalStore } from './store/local-store.js'
export { MemoryStore } from './store/memory-store.js'
export { FileCatalog } from './catalog/file-catalog.js'

export { createUseLiteEmbedder, USE_LITE_DIM } from './embed/use-lite.js'
export type { UseLiteOptions } from './embed/use-lite.js'
export { createOpenAIEmbedder } from './embed/openai.js'
export type { OpenAIEmbedderOptions } from './embed/openai.js'
export { createEmbedderByName } from './embed/by-name.js'
export type { EmbedderByNameOptions } from './embed/by-name.js'
export { assertSameEmbedder, embedderIdentity, embedderFingerprint, probeDim } from './embed/embedder.js'
export type { Embedder, EmbedderIdentity } from './embed/embedder.js'
