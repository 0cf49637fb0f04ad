/**
 * Archived events (README "History"): the row an event becomes in the archive's Parquet
 * files (columns: lib/contracts/archive.ts), how a table item becomes one, which revision of
 * an event wins, and the filters exports, replays and erasure read the archive with.
 */
import { ARCHIVE, archivePartition } from "../../lib/contracts/archive.js";
import type { StoredEvent } from "./event.js";

/** One archived event: ARCHIVE_COLUMNS by name (tenant and day come from its object key). */
export interface ArchiveRow {
  id: string;
  type: string;
  source: string | null;
  subject: string | null;
  time: string | null;
  /** Epoch milliseconds (a Parquet TIMESTAMP_MILLIS). */
  received_at: number;
  status: string;
  correlation_id: string | null;
  attempts: number;
  processed_at: string | null;
  failed_at: string | null;
  failure_kind: string | null;
  failure_reason: string | null;
  replay_id: string | null;
  schema_version: number | null;
  ruleset_version: number | null;
  routes: string | null;
  rule_errors: string | null;
  data: string;
  enrichment: string | null;
  cloud_event: string | null;
  revision: string;
  archived_at: number;
}

/** A row of a staged file (every tenant of a stream batch in one file): it names its tenant. */
export interface StagedRow extends ArchiveRow {
  tenant: string;
}

/** An archived event with its partition, as readers get it. */
export interface ArchivedEvent extends ArchiveRow {
  tenant: string;
  day: string;
}

const text = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);
const jsonOf = (v: unknown): string | null =>
  v && typeof v === "object" ? JSON.stringify(v) : null;

/**
 * A revision that orders the versions of one event: the change's time (ms) then the stream
 * sequence number, both zero-padded so they compare as strings (Athena and DuckDB alike).
 */
export const revisionOf = (changedAtMs: number, sequence: string): string =>
  `${String(Math.max(0, Math.trunc(changedAtMs))).padStart(14, "0")}-${sequence.padStart(40, "0")}`;

/**
 * The archive row of a table item (the stream's NewImage, unmarshalled), or undefined for
 * items that are not finished events: statistics, and a failed event while a replay of it is
 * armed (its outcome comes as a later revision).
 */
export function archiveRowOf(
  item: Record<string, unknown>,
  revision: string,
  archivedAt: number,
): { tenant: string; day: string; row: ArchiveRow } | undefined {
  if (item.sk !== "EVENT" || typeof item.tenantId !== "string" || typeof item.id !== "string") {
    return undefined;
  }
  if (typeof item.replayToken === "string") return undefined;
  const receivedAt = typeof item.receivedAt === "string" ? item.receivedAt : undefined;
  if (!receivedAt || Number.isNaN(Date.parse(receivedAt))) return undefined;
  const failure = item.failure as { kind?: unknown; reason?: unknown } | undefined;
  const row: ArchiveRow = {
    id: item.id,
    type: String(item.type ?? ""),
    source: text(item.source),
    subject: text(item.subject),
    time: text(item.time),
    received_at: Date.parse(receivedAt),
    status: String(item.status ?? ""),
    correlation_id: text(item.correlationId),
    attempts: typeof item.attempts === "number" ? item.attempts : 1,
    processed_at: text(item.processedAt),
    failed_at: text(item.failedAt),
    failure_kind: text(failure?.kind),
    failure_reason: text(failure?.reason),
    replay_id: text(item.replayId),
    schema_version: typeof item.schemaVersion === "number" ? item.schemaVersion : null,
    ruleset_version: typeof item.rulesetVersion === "number" ? item.rulesetVersion : null,
    routes: Array.isArray(item.routes) ? JSON.stringify(item.routes) : null,
    rule_errors: Array.isArray(item.ruleErrors) ? JSON.stringify(item.ruleErrors) : null,
    data: JSON.stringify(item.data ?? {}),
    enrichment: jsonOf(item.enrichment),
    cloud_event: jsonOf(item.cloudEvent),
    revision,
    archived_at: archivedAt,
  };
  return { ...archivePartition(item.tenantId, receivedAt), row };
}

/** The event as the query API returns it (GET /v1/events/{id}), from its archived row. */
export function storedEventOf(row: ArchivedEvent): StoredEvent & { replayId?: string } {
  const parse = (v: string | null) => (v ? (JSON.parse(v) as Record<string, unknown>) : undefined);
  const event: StoredEvent & { replayId?: string } = {
    id: row.id,
    tenantId: row.tenant,
    type: row.type,
    data: parse(row.data) ?? {},
    status: row.status === "failed" ? "failed" : "processed",
    receivedAt: new Date(Number(row.received_at)).toISOString(),
    correlationId: row.correlation_id ?? "",
    attempts: Number(row.attempts),
  };
  if (row.source) event.source = row.source;
  if (row.subject) event.subject = row.subject;
  if (row.time) event.time = row.time;
  if (row.processed_at) event.processedAt = row.processed_at;
  if (row.failed_at) event.failedAt = row.failed_at;
  if (row.failure_kind) {
    event.failure = {
      kind: row.failure_kind as "business_rule",
      reason: row.failure_reason ?? "",
    };
  }
  const enrichment = parse(row.enrichment);
  if (enrichment) event.enrichment = enrichment;
  const cloudEvent = parse(row.cloud_event);
  if (cloudEvent) event.cloudEvent = cloudEvent as unknown as StoredEvent["cloudEvent"];
  if (row.replay_id) event.replayId = row.replay_id;
  if (row.schema_version !== null && row.schema_version !== undefined) {
    event.schemaVersion = Number(row.schema_version);
  }
  if (row.ruleset_version !== null && row.ruleset_version !== undefined) {
    event.rulesetVersion = Number(row.ruleset_version);
  }
  if (row.routes) event.routes = JSON.parse(row.routes) as StoredEvent["routes"];
  if (row.rule_errors) event.ruleErrors = JSON.parse(row.rule_errors) as StoredEvent["ruleErrors"];
  return event;
}

/** The latest revision of each event id, in receivedAt then id order. */
export function latestRevisions<T extends ArchiveRow>(rows: Iterable<T>): T[] {
  const latest = new Map<string, T>();
  for (const row of rows) {
    const seen = latest.get(row.id);
    if (!seen || seen.revision < row.revision) latest.set(row.id, row);
  }
  return [...latest.values()].sort(
    (a, b) => Number(a.received_at) - Number(b.received_at) || (a.id < b.id ? -1 : 1),
  );
}

/** What exports, replays and erasure select (one tenant always; the rest optional). */
export interface ArchiveSelection {
  /** ISO instants on receivedAt, from inclusive, to exclusive. */
  from?: string;
  to?: string;
  type?: string;
  subject?: string;
}

export function selects(selection: ArchiveSelection, row: ArchiveRow): boolean {
  const at = Number(row.received_at);
  if (selection.from && at < Date.parse(selection.from)) return false;
  if (selection.to && at >= Date.parse(selection.to)) return false;
  if (selection.type && row.type !== selection.type) return false;
  if (selection.subject && row.subject !== selection.subject) return false;
  return true;
}

/**
 * The UTC days a selection touches (partition pruning), or undefined for "every day"
 * (no range: the caller lists the tenant's partitions). At most `max` days.
 */
export function daysOf(selection: ArchiveSelection, max = 3660): string[] | undefined {
  if (!selection.from || !selection.to) return undefined;
  const days: string[] = [];
  const end = Date.parse(selection.to);
  for (
    let t = Date.parse(selection.from.slice(0, 10));
    t < end && days.length < max;
    t += 86_400_000
  ) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** The object key of a new archive file (`part-` from the stream, `compact-` from compaction). */
export function archiveFileKey(
  prefix: string,
  kind: "part" | "compact",
  at: number,
  unique: string,
): string {
  const name = kind === "part" ? ARCHIVE.partFilePrefix : ARCHIVE.compactFilePrefix;
  return `${prefix}${name}${new Date(at).toISOString().replace(/[-:.]/g, "")}-${unique}.parquet`;
}

/**
 * When an archive file was first written, from its key (archiveFileKey's timestamp), epoch ms.
 * Kept by an erasure's rewrite (`-e.parquet` beside the original name), unlike the object's
 * LastModified: what was staged before an instant stays "before" until the splitter files it.
 */
export function writtenAtOfKey(key: string): number | undefined {
  const m = /(?:part|compact)-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-/.exec(key);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m;
  return Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
}

/** The day an archive key's partition names (`.../day=2026-12-06/...`), if any. */
export const dayOfKey = (key: string): string | undefined => /\/day=([0-9-]{10})\//.exec(key)?.[1];
