/**
 * SQL over history (README "History"), in two engines with one vocabulary: `events` (one row
 * per event, its latest revision) and `events_archive` (every archived revision), with the
 * columns of ARCHIVE_COLUMNS plus `tenant` and `day` (YYYY-MM-DD text). Both read both
 * layouts: the by-tenant files (events/tenant=/day=/) and the staged batch files not yet
 * filed by the splitter (staging/day=/, every tenant's rows, a `tenant` column).
 *
 * - DuckDB, embedded: reads the archive's Parquet files where the local runtime's S3 keeps
 *   them (hive partitioning on tenant=/day= prunes files by the WHERE clause).
 * - Athena: the stack's two Glue tables (partition projection; in the by-tenant one tenant is
 *   injected, so a query must name its tenant) in the stack's workgroup (bytes-scanned limit).
 */
import { existsSync, readdirSync } from "node:fs";
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { DuckDBInstance } from "@duckdb/node-api";
import { ARCHIVE, ARCHIVE_COLUMNS, type ArchiveColumnType } from "../../lib/contracts/archive.js";

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
  engine: "duckdb" | "athena";
  elapsedMs: number;
  /** Athena: bytes the query scanned (what it costs). */
  scannedBytes?: number;
}

const DUCK_TYPE: Record<ArchiveColumnType, string> = {
  string: "VARCHAR",
  int: "INTEGER",
  timestamp: "TIMESTAMP",
  json: "VARCHAR",
};

/**
 * `events`: one row per event, its latest revision. Compaction leaves one row per event in a
 * day's `compact-` files, so only the rows of the other files (written since the last
 * compaction: `part-`) need ranking, and the latest of those wins over a compacted row of
 * the same event. The files are listed here and split by name, so the compacted ones are
 * scanned once with no ranking: ranking every row costs a sort of the whole archive (8.3 s
 * against 0.2 s for a plain count over 10 M rows: `npm run bench -- --only history`).
 */
const COMPACT_FILE = `/${ARCHIVE.compactFilePrefix}`;

const HIVE =
  "hive_partitioning = true, hive_types = {'tenant': VARCHAR, 'day': VARCHAR}, union_by_name = true";
/** Staged files: `day` from the key, `tenant` a column of the file. */
const HIVE_STAGED = "hive_partitioning = true, hive_types = {'day': VARCHAR}, union_by_name = true";

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

function filesUnder(dir: string, suffix: string, shape: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith(suffix) && shape.test(f))
    .map((f) => `${dir}${f}`)
    .sort();
}

function archiveFiles(
  objectsRoot: string,
  suffix: string,
): { compact: string[]; other: string[]; staged: string[] } {
  const files = filesUnder(
    `${objectsRoot}/${ARCHIVE.eventsPrefix}`,
    suffix,
    /^tenant=[^/]+\/day=[^/]+\/[^/]+$/,
  );
  return {
    compact: files.filter((f) => f.includes(COMPACT_FILE)),
    other: files.filter((f) => !f.includes(COMPACT_FILE)),
    staged: filesUnder(`${objectsRoot}/${ARCHIVE.stagingPrefix}`, suffix, /^day=[^/]+\/[^/]+$/),
  };
}

const EMPTY = `SELECT ${ARCHIVE_COLUMNS.map((c) => `CAST(NULL AS ${DUCK_TYPE[c.type]}) AS ${c.name}`).join(", ")}, CAST(NULL AS VARCHAR) AS tenant, CAST(NULL AS VARCHAR) AS day WHERE false`;

const readFiles = (files: string[], options = HIVE) =>
  files.length === 0
    ? EMPTY
    : `SELECT * FROM read_parquet([${files.map(quote).join(", ")}], ${options})`;

/**
 * The DuckDB statements that define the views over an archive folder (objects' root). Staged
 * rows (not yet filed by tenant) rank with the by-tenant `part-` files: both are "recent".
 */
export function duckDbViews(objectsRoot: string, fileSuffix = ".parquet.data"): string[] {
  const { compact, other, staged } = archiveFiles(objectsRoot, fileSuffix);
  const compacted = `${ARCHIVE.glueTable}_compacted`;
  const recent = `${ARCHIVE.glueTable}_recent`;
  const recentRows =
    staged.length === 0
      ? readFiles(other)
      : other.length === 0
        ? readFiles(staged, HIVE_STAGED)
        : `${readFiles(other)} UNION ALL BY NAME ${readFiles(staged, HIVE_STAGED)}`;
  return [
    `CREATE OR REPLACE VIEW ${compacted} AS ${readFiles(compact)}`,
    `CREATE OR REPLACE VIEW ${recent} AS ${recentRows}`,
    `CREATE OR REPLACE VIEW ${ARCHIVE.archiveView} AS SELECT * FROM ${compacted} UNION ALL BY NAME SELECT * FROM ${recent}`,
    other.length === 0 && staged.length === 0
      ? `CREATE OR REPLACE VIEW ${ARCHIVE.eventsView} AS SELECT * FROM ${compacted}`
      : `CREATE OR REPLACE VIEW ${ARCHIVE.eventsView} AS
    WITH latest AS (
      SELECT * FROM ${recent}
      QUALIFY row_number() OVER (PARTITION BY tenant, id ORDER BY revision DESC) = 1
    )
    SELECT c.* FROM ${compacted} c ANTI JOIN latest l ON l.tenant = c.tenant AND l.id = c.id
    UNION ALL BY NAME
    SELECT * FROM latest`,
  ];
}

/**
 * Runs `sql` over the local archive. The files are listed when the query starts: one the
 * splitter or compaction deleted in between (its rows already in a newer file) fails the
 * read, and the query runs once more over a fresh listing.
 */
export async function queryDuckDb(objectsRoot: string, sql: string): Promise<QueryResult> {
  try {
    return await queryDuckDbOnce(objectsRoot, sql);
  } catch (error) {
    if (!/No files found|No such file|could not open file/i.test(String(error))) throw error;
    return queryDuckDbOnce(objectsRoot, sql);
  }
}

async function queryDuckDbOnce(objectsRoot: string, sql: string): Promise<QueryResult> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const started = performance.now();
    for (const statement of duckDbViews(objectsRoot)) await connection.run(statement);
    const reader = await connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    const rows = reader.getRowsJson() as unknown[][];
    return { columns, rows, engine: "duckdb", elapsedMs: performance.now() - started };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * The user's SQL with `events_archive` (both Glue tables: by tenant and staged) and `events`
 * defined in front of it (the same rule as duckDbViews: staged rows rank with `part-` rows).
 * A query's `tenant = '...'` reaches the by-tenant table's injected partition through the
 * UNION ALL (predicate pushdown); in the staged table it is a column filter.
 */
export function withEventsView(sql: string): string {
  const columns = [...ARCHIVE_COLUMNS.map((c) => c.name), "tenant", "day"].join(", ");
  const compact = `'%${COMPACT_FILE}%'`;
  const files = `archive_files AS (SELECT ${columns}, "$path" AS file_path FROM ${ARCHIVE.glueTable} UNION ALL SELECT ${columns}, "$path" AS file_path FROM ${ARCHIVE.glueStagedTable})`;
  const archive = `${ARCHIVE.archiveView} AS (SELECT ${columns} FROM archive_files)`;
  const view = `${files}, ${archive}, latest_parts AS (SELECT ${columns} FROM (SELECT a.*, row_number() OVER (PARTITION BY tenant, id ORDER BY revision DESC) AS revision_rank FROM archive_files a WHERE file_path NOT LIKE ${compact}) WHERE revision_rank = 1), ${ARCHIVE.eventsView} AS (SELECT ${columns} FROM archive_files c WHERE file_path LIKE ${compact} AND NOT EXISTS (SELECT 1 FROM latest_parts p WHERE p.tenant = c.tenant AND p.id = c.id) UNION ALL SELECT ${columns} FROM latest_parts)`;
  const trimmed = sql.trim();
  return /^with\s/i.test(trimmed)
    ? `WITH ${view}, ${trimmed.replace(/^with\s+/i, "")}`
    : `WITH ${view} ${trimmed}`;
}

export async function queryAthena(
  athena: AthenaClient,
  target: { workGroup: string; database: string },
  sql: string,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<QueryResult> {
  const started = performance.now();
  const { QueryExecutionId } = await athena.send(
    new StartQueryExecutionCommand({
      QueryString: withEventsView(sql),
      WorkGroup: target.workGroup,
      QueryExecutionContext: { Database: target.database },
    }),
  );
  if (!QueryExecutionId) throw new Error("Athena returned no query execution id");
  let scannedBytes: number | undefined;
  for (let delay = 200; ; delay = Math.min(delay * 2, 2000)) {
    const { QueryExecution } = await athena.send(
      new GetQueryExecutionCommand({ QueryExecutionId }),
    );
    const state = QueryExecution?.Status?.State;
    scannedBytes = QueryExecution?.Statistics?.DataScannedInBytes;
    if (state === "SUCCEEDED") break;
    if (state === "FAILED" || state === "CANCELLED") {
      throw new Error(`Athena: ${state}: ${QueryExecution?.Status?.StateChangeReason ?? ""}`);
    }
    await sleep(delay);
  }
  const rows: unknown[][] = [];
  let columns: string[] = [];
  let token: string | undefined;
  let first = true;
  do {
    const page = await athena.send(
      new GetQueryResultsCommand({ QueryExecutionId, ...(token ? { NextToken: token } : {}) }),
    );
    columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? "");
    const data = page.ResultSet?.Rows ?? [];
    // The first row of the first page is the header.
    for (const row of first ? data.slice(1) : data) {
      rows.push((row.Data ?? []).map((d) => d.VarCharValue ?? null));
    }
    first = false;
    token = page.NextToken;
  } while (token);
  return {
    columns,
    rows,
    engine: "athena",
    elapsedMs: performance.now() - started,
    ...(scannedBytes === undefined ? {} : { scannedBytes }),
  };
}

export { AthenaClient };
