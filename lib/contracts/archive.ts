/**
 * The archive's layout (README "History"): one definition read by the archive and jobs
 * functions (lambdas/), the stack (the Glue table's columns and partition projection, the
 * lifecycle rules' prefixes), `npm run history` (DuckDB locally, Athena on AWS) and the bench.
 *
 *   staging/day=<YYYY-MM-DD>/part-<...>.parquet             a stream batch's events, every tenant
 *                                                            of one day in one file (a `tenant` column)
 *   events/tenant=<tenant>/day=<YYYY-MM-DD>/<file>.parquet   archived events by tenant (hive-style)
 *   exports/tenant=<tenant>/<export id>.<jsonl|parquet>      export results
 *
 * `day` is the UTC day of the event's receivedAt, so a query engine prunes by tenant and date
 * from the key alone. A stream batch writes one staged file per day it touches, whatever
 * its tenants (one S3 PUT per batch, not one per tenant: the cost goal with many tenants);
 * the splitter (a frequent schedule) files staged rows by tenant into `events/` as `part-`
 * files, and the daily compaction merges a day's files into `compact-...` ones. Every reader
 * reads both layouts: a staged event is visible from the moment its file is written.
 */

import type { EventFlowSettings } from "../config.js";

export const ARCHIVE = {
  eventsPrefix: "events/",
  /** Staged stream batches, one file per (batch, day), every tenant's rows (a tenant column). */
  stagingPrefix: "staging/",
  exportsPrefix: "exports/",
  /** Athena's query results (the workgroup's output location; expire after 7 days). */
  athenaResultsPrefix: "athena-results/",
  partFilePrefix: "part-",
  compactFilePrefix: "compact-",
  /** Glue tables (the stack defines them): the by-tenant layout and the staged files. */
  glueTable: "events_by_tenant",
  glueStagedTable: "events_staged",
  /** What SQL over history calls every archived row of both layouts (every revision). */
  archiveView: "events_archive",
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

/** The staged files of one day (every tenant's rows). */
export const stagingDayPrefix = (day: string) => `${ARCHIVE.stagingPrefix}day=${day}/`;

/** Whether an object key is a staged file (its rows carry their tenant in a column). */
export const isStagedKey = (key: string) => key.startsWith(ARCHIVE.stagingPrefix);

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

/** A staged file's columns: the tenant (a partition column elsewhere) and ARCHIVE_COLUMNS. */
export const STAGED_COLUMNS: readonly { name: string; type: ArchiveColumnType }[] = [
  { name: "tenant", type: "string" },
  ...ARCHIVE_COLUMNS,
];

/** The splitter's schedule input for one shard: the stack's rule and the local runtime send it. */
export const splitEvent = (settings: EventFlowSettings, shard: number) => ({
  split: true as const,
  chunkFiles: settings.archiveSplitChunkFiles,
  bufferRows: settings.archiveSplitBufferRows,
  shard,
  shards: settings.archiveSplitShards,
});
