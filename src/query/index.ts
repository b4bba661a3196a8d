/**
 * The query layer: vector search over a table snapshot with pruning, filters, caches and
 * read-your-writes over buffered rows.
 */
export { SearchBuilder, MAX_LIMIT, checkInt64As } from './builder.js'
export type { Int64As, SearchRow } from './builder.js'
export type { ArrowModule } from './to-arrow.js'
export { QueryCaches, QUERY_CACHES_OPTION_KEYS } from './caches.js'
export type { CacheCounters, FileVectors, QueryCachesOptions } from './caches.js'
export { executeSearch } from './search.js'
export type { BufferedRows, PruneMode, SearchContext, SearchPlan, SearchRequest, SearchResultRows } from './search.js'
export { parseFilter } from './filter-parse.js'
export { bindFilter } from './filter-bind.js'
export type { BoundFilter } from './filter-bind.js'
export type { CompareOp, Filter, FilterValue } from './filter-types.js'
export { deleteRows, planKeyed, updateRows, upsertRows } from './row-changes.js'
export type { ChangeContext, ChangeResult } from './row-changes.js'
export { liveRows } from './file-rows.js'
export { executeTextSearch } from './fulltext.js'
export type { TextSearchPlan, TextSearchRequest, TextSearchResult } from './fulltext.js'
export { FullTextSearch, HybridSearch, vectorLeg } from './hybrid.js'
export type { FullTextSearchOptions, HybridSearchOptions, HybridSearchPlan, HybridSearchRow, TextQueryOptions, TextSearchRow } from './hybrid.js'
export { sampleVectors, MAX_SAMPLE } from './vector-sample.js'
export type { VectorSample } from './vector-sample.js'
