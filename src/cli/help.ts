/** `--help` texts, one per command, each with examples. */

export const GENERAL = `ailake — vector-native lakehouse tables (Iceberg v2 + Parquet with an embedded HNSW index)

Usage: ailake <command> [options]

Commands:
  create <table>           create a table with a vector column
  insert <table> <file>    add rows from CSV, JSON Lines or Parquet
  search <table>           nearest rows to a vector, a text or another row; full-text and hybrid
  scan <table>             live rows without a query vector: --where, --select, --as-of
  delete <table>           delete the rows matching --where
  update <table>           set columns of the rows matching --where
  upsert <table> <file>    replace rows by key (--on), insert the rest
  alter <table>            add, rename, drop, widen, reorder columns (no data rewritten)
  info <table>             snapshots, files, rows, index status, sizes, schema
  history <table>          one line per snapshot
  optimize <table>         cluster rows into files, drop deleted rows, expire old snapshots
  expire <table>           drop old snapshots and the files only they used
  verify <table>           read every file and log; --quarantine removes damaged files
  wal <table>              the write-ahead logs; --discard <writer> drops a damaged one
  relocate <table>         record a copied or moved table's new location (for other engines)
  tables                   list the tables of the warehouse
  serve                    HTTP server: JSON API, Iceberg REST catalog, MCP
  keys create|list|revoke  API keys for serve
  mcp                      MCP tools over stdio (for an agent that runs ailake)

Global options:
  --warehouse <uri>   warehouse directory or s3://bucket/prefix
                      (default: $AILAKE_WAREHOUSE, else ./warehouse)
  -h, --help          help for a command: ailake <command> --help
  -V, --version       print the version

Examples:
  ailake create docs --dim 512 --embedder use-lite
  ailake insert docs docs.jsonl --embed text
  ailake search docs --text "device for measuring temperature" -k 5

Exit codes: 0 ok, 1 other error, 2 usage/invalid argument, 3 not found/already exists,
4 dimension or schema mismatch, 5 corrupt data, 6 commit conflict, 7 storage error.
Set AILAKE_DEBUG=1 to print stack traces.`

export const HELP: Record<string, string> = {
  alter: `Usage: ailake alter <table> [--add name:type] [--rename old=new] [--drop name] [--widen name:long|double]
                    [--optional name] [--order name,name,...] [--json]

Changes the table's columns the Iceberg way, in one atomic commit: a new schema, no data
rewritten. Files written before read through it by field id: a renamed column keeps its data,
a dropped one vanishes, an added one (always optional) reads as null in older rows, a widened
one (int to long, float to double) widens. --optional makes a required column optional;
--order puts the named columns first. Each flag may repeat or take a comma-separated list;
--rename, --drop, --widen and --optional name the columns as they are now, --add and --order
as they are after the change. The vector column cannot be dropped, renamed or retyped.
Searches of older snapshots (--as-of) use the columns those snapshots had.

Examples:
  ailake alter docs --add category:string --add score:double
  ailake alter docs --rename title=headline --drop draft
  ailake alter docs --widen views:long --optional author --order docId,headline`,

  optimize: `Usage: ailake optimize <table> [--target-rows N] [--full] [--no-cluster] [--keep-snapshots] [--json]

Lays the table out for search: rows are clustered by k-means into files of about N rows
(default 50000), each with its index, so a search visits only the files nearest the query;
deleted rows are dropped and small files merged. The first run trains the layout; later runs
add new rows to their clusters and rewrite only those files. Then snapshots older than 7 days
and orphan files are removed (--keep-snapshots skips that). Safe while others write.

Examples:
  ailake optimize docs
  ailake optimize docs --target-rows 20000 --full`,

  delete: `Usage: ailake delete <table> --where <filter> [--json]

Deletes the rows matching the filter in one snapshot, as Iceberg position delete files that
every engine applies. Older snapshots still hold the rows (ailake expire removes them for good).

Examples:
  ailake delete docs --where "id IN (3, 5, 8)"
  ailake delete docs --where "source = 'crawler' AND year < 2020"`,

  update: `Usage: ailake update <table> --where <filter> --set column=value [--set ...] [--json]

Sets columns of the rows matching the filter, in one snapshot (the old rows are deleted and the
new versions written). Values are typed by the column; the vector column takes a JSON array;
"null" sets null.

Examples:
  ailake update docs --where "id = 7" --set status=archived
  ailake update docs --where "id = 7" --set "embedding=[0.1, 0.2, 0.3, 0.4]"`,

  upsert: `Usage: ailake upsert <table> <file> --on <column> [--format csv|jsonl|parquet] [--json]

Writes the file's rows, each replacing the rows with the same value in the key column, the
others inserted, in one snapshot. Keys must be distinct within the file.

Examples:
  ailake upsert docs changed.jsonl --on docId`,

  create: `Usage: ailake create <table> --dim N [options]

Creates an empty table. <table> is "name" (namespace "default") or "namespace.name".

Options:
  --dim N                 vector dimension (optional with --embedder: taken from it)
  --metric M              cosine (default), euclidean or dot
  --precision P           on-disk vectors: f32 (default), f16 or i8
  --column NAME           vector column name (default: embedding)
  --codes sq8|pq          codes each file's index keeps for searching without the vectors:
                          sq8 (default, a byte per dimension) or pq (a byte per sub-vector,
                          8x smaller by default; for 384-d and wider embeddings)
  --subvectors N          PQ sub-vectors (default: one per 8 dimensions); needs --codes pq
  --embedder NAME         record the embedder that makes the vectors: use-lite
                          (offline, 512-d) or openai:<model> (OPENAI_BASE_URL, OPENAI_API_KEY);
                          enables insert --embed and search --text
  --columns SPEC          declare the other columns up front, e.g. "id:long,title:string";
                          types: boolean int long float double string date timestamp timestamptz.
                          Without it the columns come from the first insert.
  --fts COL,COL           full-text index these string columns (BM25: search --mode fulltext
                          or hybrid); every data file carries their index
  --fts-language L        english (default: stop words, Porter stems) or none (any language)
  --vectors SPEC          more vector columns, each with its own index: name:dim[:metric[:precision]],
                          e.g. "image:512:euclidean:f16"; search one with search --column
  --partition-by SPEC     partition new files, e.g. "tenant" or "tenant,day(ts),bucket(16, id)";
                          transforms: identity, year/month/day/hour(col), bucket(N, col),
                          truncate(W, col); needs --columns. A --where on these columns
                          skips other partitions' files unopened.

Examples:
  ailake create docs --dim 384 --metric cosine --precision f16
  ailake create wordnet --embedder use-lite --columns "id:string,gloss:string" --fts gloss
  ailake --warehouse /data/lake create images.clip --dim 512 --precision i8
  ailake create passages --dim 768 --codes pq --subvectors 96
  ailake create events --dim 64 --columns "tenant:string,ts:timestamp" --partition-by "tenant,day(ts)"`,

  insert: `Usage: ailake insert <table> <file> [options]

Adds the rows of a CSV (with a header line), JSON Lines or Parquet file. The vector column
holds the embedding: a JSON array string like "[0.1, 0.2]" in CSV, a number array in JSON
Lines and Parquet. The whole file is read and checked first; a bad row rejects the file and
leaves the table unchanged. Rows stream through the MemTableWriter and commit on completion.

Options:
  --format F              csv, jsonl or parquet (default: from the file extension)
  --embed COLUMN          compute the embeddings from this text column with the table's
                          recorded embedder (see create --embedder)
  --batch-size N          rows per write-ahead-logged insert (default 1000)
  --flush-rows N          rows per committed snapshot (default 100000)

Prints the new snapshot id and the table's row count. A progress line with rows/s is shown
on a terminal (stderr), never in pipes.

Examples:
  ailake insert docs vectors.parquet
  ailake insert docs rows.csv
  ailake insert wordnet glosses.jsonl --embed gloss`,

  search: `Usage: ailake search <table> (--vector '[...]' | --text "..." | --like ID) [options]

Finds the nearest rows. Exactly one query is required:
  --vector '[0.1, ...]'   a vector literal of the table's dimension
  --text "..."            text embedded with the table's recorded embedder
  --like ID               the vector of the row whose id column equals ID

With --mode fulltext, --text is a BM25 query over the table's full-text columns (see
create --fts): words, "quoted phrases", +required. With --mode hybrid, --text is searched
both ways (embedded, unless --vector or --like gives the vector) and the two rankings are
fused by reciprocal-rank fusion (k = 60).

Options:
  --mode M                vector (default), fulltext or hybrid
  --column NAME           the vector column to search, for tables with several (default:
                          the primary one; with --text, the column whose embedder embeds it)
  -k, --limit N           rows to return (default 10)
  --where "FILTER"        SQL-like filter: year >= 2020 AND tag IN ('a','b') AND note IS NULL
  --as-of SNAPSHOT        search an older snapshot: a snapshot id or an ISO date/time
  --select a,b            columns to show (default: all but the vector)
  --id-column NAME        the column --like matches (default: id)
  --ef N                  HNSW candidate list size per file (default: grows with the
                          file's rows, max(2k, 28 x (rows/10000)^0.6), at most 512)
  --json                  print one JSON array (64-bit integers as strings)

Examples:
  ailake search docs --vector '[0.12, -0.3, 0.5]' -k 5
  ailake search wordnet --text "feeling very sad" --where "pos = 'adj'"
  ailake search docs --like 42 --select id,title --json
  ailake search docs --vector '[...]' --as-of 2026-01-31T12:00:00Z
  ailake search wordnet --mode fulltext --text '+"hot water" kettle'
  ailake search wordnet --mode hybrid --text "device for boiling water" -k 5`,

  scan: `Usage: ailake scan <table> [--where FILTER] [--select a,b] [--as-of SNAPSHOT] [-n N | --all] [--json]

Prints a table's live rows, no query vector needed: deleted rows are left out (position and
equality deletes), files the filter's statistics rule out are not read. Works on every table,
including tables Spark, Trino or pyiceberg wrote.

Options:
  --where "FILTER"        SQL-like filter: year >= 2020 AND tag IN ('a','b')
  --select a,b            columns to show (default: all but the vector)
  --as-of SNAPSHOT        read an older snapshot: a snapshot id or an ISO date/time
  -n, --limit N           rows to print (default 20)
  --all                   print every matching row
  --json                  print one JSON array (64-bit integers as strings)

Examples:
  ailake scan docs --where "year >= 2020" --select id,title -n 5
  ailake scan mydb.events --all --json > events.json`,

  info: `Usage: ailake info <table> [--json]

Shows snapshots, the current snapshot, files and their index status, rows, bytes per vector
and per row, the vector policy, the recorded embedder and the schema. Exits 5 when a manifest
cannot be read or a data file is missing or has another size than recorded (ailake verify).

Examples:
  ailake info docs
  ailake info docs --json`,

  history: `Usage: ailake history <table> [--json]

One line per snapshot, oldest first: id, time, operation, rows added, total rows.
Any id can be passed to search --as-of.

Examples:
  ailake history docs`,

  expire: `Usage: ailake expire <table> [--older-than <ISO date | 7d | 12h>] [--retain-last N] [--orphans] [--json]

Drops snapshots committed before --older-than (default: 5 days ago), always keeping the newest
--retain-last (default 1), and deletes the data files, manifests and metadata files that only
those snapshots used (such as unindexed files replaced by background index builds). Time travel
ends at the oldest snapshot kept. --orphans also deletes files no snapshot references that are
older than --older-than (default: 3 days), left by crashed or failed writers.

Examples:
  ailake expire docs --older-than 7d
  ailake expire docs --older-than 2026-11-01 --retain-last 10 --orphans`,

  verify: `Usage: ailake verify <table> [--quarantine] [--quick] [--json]

Reads, bypassing every cache, the current snapshot's manifest list and manifests, every live
data file (its size against the metadata, the ailake section's checksums, the index, every
vector and value) and every write-ahead log, and lists what cannot be read with the rows that
depend on it. Exits 5 when something is damaged or missing.

Options:
  --quarantine            then commit a snapshot without the damaged data files and manifests
                          (rows lost are listed; the rest stays searchable). An unreadable
                          manifest list rolls the table back to the newest snapshot that reads.
                          Damaged write-ahead logs are left: see ailake wal --discard.
  --quick                 only check that data files exist with their recorded size
  --json                  print the report as JSON

Examples:
  ailake verify docs
  ailake verify docs --quarantine`,

  wal: `Usage: ailake wal <table> [--discard WRITER] [--json]

Lists the write-ahead logs of the table's streaming writers (MemTableWriter, ailake insert):
writer id, its lease (live or expired, process and host), segments and bytes, the sequence
number the table holds, rows logged but not yet committed, and damage that stops its replay.
A writer whose log is damaged fails on open, and so does every writer adopting the log.

Options:
  --discard WRITER        delete that writer's log, after taking its lease (refused while the
                          writer is live); its rows not yet committed are lost and counted
  --json                  print JSON

Examples:
  ailake wal docs
  ailake wal docs --discard auto-0`,

  relocate: `Usage: ailake relocate <table> [--json]

A copied or moved table (cp -r of a warehouse, a restored backup, another bucket) still
records the absolute locations it was written at. ailake reads it where it is anyway; other
engines (DuckDB, Spark, Trino, icebird) follow the recorded locations. relocate rewrites the
table's manifests, manifest lists and metadata (one new version) to record where it is now.
Data files are not touched. Nothing happens when the table already records its location.

Examples:
  ailake --warehouse /backup/lake relocate docs
  for t in $(ailake tables); do ailake relocate "$t"; done`,

  tables: `Usage: ailake tables [--json]

Lists the tables of the warehouse as namespace.name.

Examples:
  ailake tables
  AILAKE_WAREHOUSE=/data/lake ailake tables`,

  serve: `Usage: ailake serve [--host ADDR] [--port N] [--limit name=value,...]

Serves the warehouse over HTTP until SIGINT or SIGTERM (then it finishes requests in flight
and flushes buffered writers): the JSON API (/v1/tables...), an Iceberg REST catalog
(/iceberg/v1, for Spark, Trino, PyIceberg, DuckDB) and MCP (/mcp). See docs/server.md.

Without API keys it answers only on this machine; with keys every request needs
Authorization: Bearer <key>. Any --host but a loopback address needs keys.

Options:
  --host ADDR             address to bind (default 127.0.0.1)
  --port N                port (default 8080; 0 picks a free one)
  --limit name=value,...  maxBodyBytes, maxRowsPerRequest, maxLimit, maxEf, requestTimeoutMs,
                          maxConcurrentSearches, searchQueue
  --iceberg-prefix P      catalog prefix in Iceberg paths (default ailake)

Examples:
  ailake serve
  curl -s localhost:8080/v1/tables/docs/search -H 'content-type: application/json' -d '{"text":"tea","limit":3}'
  ailake keys create --grant admin:* && ailake serve --host 0.0.0.0 --limit maxConcurrentSearches=4`,

  keys: `Usage: ailake keys create --grant G[,G...] [--name LABEL] | keys list | keys revoke <id>

API keys for ailake serve, stored in the warehouse as hashes only. A grant is
<level>:<target>: level read, write (includes read) or admin (includes write: create, drop,
expire); target * , a namespace (sales: every table below it) or a table (sales.orders).
create prints the key once; list shows ids, names and grants; revoke takes effect on running
servers within a second.

Options:
  --grant G[,G...]        grants of a new key
  --name LABEL            a label to recognise the key by
  --json                  JSON output

Examples:
  ailake keys create --grant read:* --name dashboards
  ailake keys create --grant write:sales,read:*
  ailake keys revoke k3j9x0a1b2c4`,

  mcp: `Usage: ailake mcp

Runs the MCP tools (list_tables, describe_table, search, add_documents) over stdio, for an
agent that starts ailake itself. With AILAKE_API_KEY set the tools act with that key's grants;
otherwise with the user's own access to the warehouse.

Examples:
  ailake --warehouse ./lake mcp
  AILAKE_API_KEY=ak_... ailake mcp`,
}
