/** Ingestion: batch writer, deferred index builds in worker threads, and the durable streaming MemTableWriter. */
export { TableWriter, SCHEMA_PENDING_PROPERTY, type TableWriterOptions, type CommitOptions } from './table-writer.js'
export { BuildPool, defaultWorkerCount } from './worker-pool.js'
export { IndexBuilder, INDEX_BUILDER_OPTION_KEYS, storeSource, type IndexBuilderOptions, type BuildOutcome, type BuildFailure } from './index-builder.js'
export { MemTableWriter, committedWalSeq, walSummaryKey, type MemTableWriterOptions, type InsertOptions, type BufferedRows } from './mem-table-writer.js'
export { decodeRecords, decodeSegment, encodeSegment, readWal, segmentKey, walPrefix, type WalSegment, type WalListing, type WalSegmentInfo } from './wal.js'
export { lastPerKey, type UpsertPlan, type UpsertPlanner } from './upsert-plan.js'
export { activeFlushes } from './ingest-activity.js'
