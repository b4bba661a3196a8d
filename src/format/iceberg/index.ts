/** Iceberg v2 metadata codecs: one import point for the catalog and table layers. */
export * from './types.js'
export { encodeTableMetadata, decodeTableMetadata } from './table-metadata.js'
export { schemaToJson, schemaFromJson, parseFieldType, typeToJson, isPrimitiveType } from './schema-json.js'
export { encodeManifest, decodeManifest, manifestCounts, type EncodeManifestOptions, type DecodeManifestOptions, type ManifestCounts } from './manifest.js'
export { encodeManifestList, decodeManifestList, type EncodeManifestListOptions, type DecodeManifestListOptions } from './manifest-list.js'
export { encodeBound, decodeBound } from './bounds.js'
export { AILAKE_FIELD_ID } from './manifest-schema.js'
export { readOcf, writeOcf, type OcfContents, type OcfReadOptions, type OcfWriteOptions } from './avro-ocf.js'
