/**
 * The archive's layout (README "History"): one definition read by the archive and jobs
 * functions (lambdas/), the stack (the Glue table's columns and partition projection, the
 * lifecycle rules' prefixes), `npm run history` (DuckDB locally, Athena on AWS) and the bench.
 *
 *   events/tenant=<tenant>/day=<YYYY-MM-DD>/<file>.parquet   archived events (hive-style)
 *   exports/tenant=<tenant>/<export id>.<jsonl|parquet>      export results
 *
 * `day` is the UTC day of the event's receivedAt, so a query engine prunes by tenant and date
 * from the key alone. Files written by the archive function are named `part-...`; the daily
 * compaction merges a day's files into `compact-...` ones.
 */

export const ARCHIVE = {
  eventsPrefix: "events/",
  exportsPrefix: "exports/",
  /** Athena's query results (the workgroup's output location; expire after 7 days). */
  athenaResultsPrefix: "athena-results/",
  partFilePrefix: "part-",
  compactFilePrefix: "compact-",
  /** Glue/Athena names (the stack defines them; `npm run history` queries them). */
  glueTable: "events_archive",
  /** What SQL over history calls the archive, one row per event (its latest revision). */
  eventsView: "events",
} as const;

/** Hive-style partition of an archived event: tenant and UTC day of receivedAt. */
export const archivePartition = (tenant: string, receivedAt: string) => ({
  tenant,
  day: receivedAt.slice(0, 10),
});

export const partitionPrefix = (tenant: string, day: string) =>
  `${ARCHIVE.eventsPrefix}tenant=${tenant}/day=${day}/`;

export const tenantPrefix = (tenant: string) => `${ARCHIVE.eventsPrefix}tenant=${tenant}/`;

export type ArchiveColumnType = "string" | "int" | "timestamp" | "json";

/**
 * The archived event's columns, in file order (partition columns tenant and day are in the
 * key only). `revision` orders the versions of one event (a failed event later replayed is
 * archived twice): the latest wins. JSON columns hold the JSON text of an object.
 */
export const ARCHIVE_COLUMNS: readonly { name: string; type: ArchiveColumnType }[] = [
  { name: "id", type: "string" },
  { name: "type", type: "string" },
  { name: "source", type: "string" },
  { name: "subject", type: "string" },
  { name: "time", type: "string" },
  { name: "received_at", type: "timestamp" },
  { name: "status", type: "string" },
  { name: "correlation_id", type: "string" },
  { name: "attempts", type: "int" },
  { name: "processed_at", type: "string" },
  { name: "failed_at", type: "string" },
  { name: "failure_kind", type: "string" },
  { name: "failure_reason", type: "string" },
  { name: "replay_id", type: "string" },
  { name: "schema_version", type: "int" },
  { name: "ruleset_version", type: "int" },
  { name: "routes", type: "json" },
  { name: "rule_errors", type: "json" },
  { name: "data", type: "json" },
  { name: "enrichment", type: "json" },
  { name: "cloud_event", type: "json" },
  { name: "revision", type: "string" },
  { name: "archived_at", type: "timestamp" },
];
