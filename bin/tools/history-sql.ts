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
import { existsSync } from "node:fs";
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

const LATEST = (source: string) =>
  `SELECT * EXCLUDE (revision_rank) FROM (SELECT *, row_number() OVER (PARTITION BY tenant, id ORDER BY revision DESC) AS revision_rank FROM ${source}) WHERE revision_rank = 1`;

/** The DuckDB statements that define the views over an archive folder (objects' root). */
export function duckDbViews(objectsRoot: string, fileGlob = "*.data"): string[] {
  const glob = `${objectsRoot}/${ARCHIVE.eventsPrefix}tenant=*/day=*/${fileGlob}`.replace(
    /'/g,
    "''",
  );
  const hasFiles = existsSync(`${objectsRoot}/${ARCHIVE.eventsPrefix}`);
  const source = hasFiles
    ? `SELECT * FROM read_parquet('${glob}', hive_partitioning = true, hive_types = {'tenant': VARCHAR, 'day': VARCHAR}, union_by_name = true)`
    : `SELECT ${ARCHIVE_COLUMNS.map((c) => `CAST(NULL AS ${DUCK_TYPE[c.type]}) AS ${c.name}`).join(", ")}, CAST(NULL AS VARCHAR) AS tenant, CAST(NULL AS VARCHAR) AS day WHERE false`;
  return [
    `CREATE OR REPLACE VIEW ${ARCHIVE.glueTable} AS ${source}`,
    `CREATE OR REPLACE VIEW ${ARCHIVE.eventsView} AS ${LATEST(ARCHIVE.glueTable)}`,
  ];
}

export async function queryDuckDb(objectsRoot: string, sql: string): Promise<QueryResult> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const started = performance.now();
    // An empty archive folder has no files yet: the views then read an empty relation.
    let views = duckDbViews(objectsRoot);
    try {
      for (const statement of views) await connection.run(statement);
      await connection.run(`SELECT 1 FROM ${ARCHIVE.glueTable} LIMIT 0`);
    } catch (error) {
      if (!/No files found/i.test(String(error))) throw error;
      views = duckDbViews("/nonexistent-eventflow-archive");
      for (const statement of views) await connection.run(statement);
    }
    const reader = await connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    const rows = reader.getRowsJson() as unknown[][];
    return { columns, rows, engine: "duckdb", elapsedMs: performance.now() - started };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The user's SQL with `events` defined in front of it (Athena has no views from the stack). */
export function withEventsView(sql: string): string {
  const view = `${ARCHIVE.eventsView} AS (SELECT * FROM (SELECT a.*, row_number() OVER (PARTITION BY tenant, id ORDER BY revision DESC) AS revision_rank FROM ${ARCHIVE.glueTable} a) WHERE revision_rank = 1)`;
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
