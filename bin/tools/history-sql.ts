/**
 * SQL over history (README "History"), in two engines with one vocabulary: `events` (one row
 * per event, its latest revision) and `events_archive` (every archived revision), with the
 * columns of ARCHIVE_COLUMNS plus the partition columns `tenant` and `day` (YYYY-MM-DD text).
 *
 * - DuckDB, embedded: reads the archive's Parquet files where the local runtime's S3 keeps
 *   them (hive partitioning on tenant=/day= prunes files by the WHERE clause).
 * - Athena: the stack's Glue table (partition projection; tenant is injected, so a query must
 *   name its tenant) in the stack's workgroup (bytes-scanned limit).
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

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

function archiveFiles(objectsRoot: string, suffix: string): { compact: string[]; other: string[] } {
  const dir = `${objectsRoot}/${ARCHIVE.eventsPrefix}`;
  if (!existsSync(dir)) return { compact: [], other: [] };
  const files = (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith(suffix) && /^tenant=[^/]+\/day=[^/]+\/[^/]+$/.test(f))
    .map((f) => `${dir}${f}`)
    .sort();
  return {
    compact: files.filter((f) => f.includes(COMPACT_FILE)),
    other: files.filter((f) => !f.includes(COMPACT_FILE)),
  };
}

const EMPTY = `SELECT ${ARCHIVE_COLUMNS.map((c) => `CAST(NULL AS ${DUCK_TYPE[c.type]}) AS ${c.name}`).join(", ")}, CAST(NULL AS VARCHAR) AS tenant, CAST(NULL AS VARCHAR) AS day WHERE false`;

const readFiles = (files: string[]) =>
  files.length === 0
    ? EMPTY
    : `SELECT * FROM read_parquet([${files.map(quote).join(", ")}], ${HIVE})`;

/** The DuckDB statements that define the views over an archive folder (objects' root). */
export function duckDbViews(objectsRoot: string, fileSuffix = ".parquet.data"): string[] {
  const { compact, other } = archiveFiles(objectsRoot, fileSuffix);
  const compacted = `${ARCHIVE.glueTable}_compacted`;
  const recent = `${ARCHIVE.glueTable}_recent`;
  return [
    `CREATE OR REPLACE VIEW ${compacted} AS ${readFiles(compact)}`,
    `CREATE OR REPLACE VIEW ${recent} AS ${readFiles(other)}`,
    `CREATE OR REPLACE VIEW ${ARCHIVE.glueTable} AS SELECT * FROM ${compacted} UNION ALL BY NAME SELECT * FROM ${recent}`,
    other.length === 0
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

export async function queryDuckDb(objectsRoot: string, sql: string): Promise<QueryResult> {
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

/** The user's SQL with `events` defined in front of it (the same rule as duckDbEventsView). */
export function withEventsView(sql: string): string {
  const columns = [...ARCHIVE_COLUMNS.map((c) => c.name), "tenant", "day"].join(", ");
  const table = ARCHIVE.glueTable;
  const compact = `'%${COMPACT_FILE}%'`;
  const view = `latest_parts AS (SELECT ${columns} FROM (SELECT a.*, row_number() OVER (PARTITION BY tenant, id ORDER BY revision DESC) AS revision_rank FROM ${table} a WHERE "$path" NOT LIKE ${compact}) WHERE revision_rank = 1), ${ARCHIVE.eventsView} AS (SELECT ${columns} FROM ${table} c WHERE "$path" LIKE ${compact} AND NOT EXISTS (SELECT 1 FROM latest_parts p WHERE p.tenant = c.tenant AND p.id = c.id) UNION ALL SELECT ${columns} FROM latest_parts)`;
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
