/**
 * Writing the archive (README "History"): a batch of the events table's changes becomes one
 * Parquet file per (tenant, day) it touches; the daily compaction merges a finished day's
 * files into few large ones, keeping each event's latest revision.
 */
import { randomUUID } from "node:crypto";
import { ARCHIVE, partitionPrefix, tenantPrefix } from "../../lib/contracts/archive.js";
import {
  type ArchiveRow,
  archiveFileKey,
  archiveRowOf,
  dayOfKey,
  latestRevisions,
  revisionOf,
} from "../domain/archive.js";
import type { ArchiveStore } from "../ports/archive.js";

/** One change of the events table, as a stream record carries it (NewImage unmarshalled). */
export interface TableChange {
  newImage: Record<string, unknown>;
  /** The stream's sequence number (or the local change feed's counter). */
  sequence: string;
  /** When the change happened, epoch ms. */
  changedAtMs: number;
}

export interface ArchiveOutcome {
  archived: number;
  skipped: number;
  files: number;
}

export async function archiveChanges(
  changes: readonly TableChange[],
  deps: { store: ArchiveStore; now?: () => number; unique?: () => string },
): Promise<ArchiveOutcome> {
  const now = deps.now ?? Date.now;
  const unique = deps.unique ?? randomUUID;
  const at = now();
  const groups = new Map<string, ArchiveRow[]>();
  let skipped = 0;
  for (const change of changes) {
    const archived = archiveRowOf(
      change.newImage,
      revisionOf(change.changedAtMs, change.sequence),
      at,
    );
    if (!archived) {
      skipped++;
      continue;
    }
    const prefix = partitionPrefix(archived.tenant, archived.day);
    const rows = groups.get(prefix) ?? [];
    rows.push(archived.row);
    groups.set(prefix, rows);
  }
  // One file per partition; a retried batch writes new files with the same revisions, which
  // readers (and compaction) collapse to one row per event.
  await Promise.all(
    [...groups].map(([prefix, rows]) =>
      deps.store.writeEvents(archiveFileKey(prefix, "part", at, unique()), rows),
    ),
  );
  return { archived: changes.length - skipped, skipped, files: groups.size };
}

export interface CompactOutcome {
  partitions: number;
  filesIn: number;
  filesOut: number;
  rows: number;
}

/**
 * Merges the files of every partition whose day is before `today` and that has more than one
 * file: one `compact-` file per `maxRowsPerFile` events (latest revision each), written
 * before the inputs are deleted, so a crash in between leaves duplicates that readers
 * collapse, never a loss.
 */
export async function compactArchive(deps: {
  store: ArchiveStore;
  now?: () => number;
  unique?: () => string;
  maxRowsPerFile?: number;
  /** Only this tenant (default: every tenant). */
  tenant?: string;
}): Promise<CompactOutcome> {
  const now = deps.now ?? Date.now;
  const unique = deps.unique ?? randomUUID;
  const maxRows = deps.maxRowsPerFile ?? 1_000_000;
  const today = new Date(now()).toISOString().slice(0, 10);
  const outcome: CompactOutcome = { partitions: 0, filesIn: 0, filesOut: 0, rows: 0 };
  const tenants = deps.tenant
    ? [tenantPrefix(deps.tenant)]
    : await deps.store.listPrefixes(ARCHIVE.eventsPrefix);
  for (const tenant of tenants) {
    for (const partition of await deps.store.listPrefixes(tenant)) {
      const day = dayOfKey(partition);
      if (!day || day >= today) continue;
      const files = await deps.store.list(partition);
      if (files.length < 2) continue;
      const rows: ArchiveRow[] = [];
      for (const f of files) rows.push(...(await deps.store.readEvents(f.key)));
      const latest = latestRevisions(rows);
      const at = now();
      for (let i = 0; i < latest.length; i += maxRows) {
        await deps.store.writeEvents(
          archiveFileKey(partition, "compact", at, unique()),
          latest.slice(i, i + maxRows),
        );
        outcome.filesOut++;
      }
      await deps.store.delete(files.map((f) => f.key));
      outcome.partitions++;
      outcome.filesIn += files.length;
      outcome.rows += latest.length;
    }
  }
  return outcome;
}
