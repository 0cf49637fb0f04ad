/**
 * Writing the archive (README "History"): a batch of the events table's changes becomes one
 * staged Parquet file per UTC day it touches, every tenant's rows in it (one S3 PUT per
 * batch however many tenants it holds); the splitter files staged rows by tenant into the
 * `events/tenant=/day=/` layout, a bounded chunk at a time; the daily compaction merges a
 * finished day's files into few large ones, keeping each event's latest revision.
 */
import { randomUUID } from "node:crypto";
import {
  ARCHIVE,
  partitionPrefix,
  stagingDayPrefix,
  tenantPrefix,
} from "../../lib/contracts/archive.js";
import {
  type ArchiveRow,
  archiveFileKey,
  archiveRowOf,
  dayOfKey,
  latestRevisions,
  revisionOf,
  type StagedRow,
} from "../domain/archive.js";
import type { ArchiveObject, ArchiveStore } from "../ports/archive.js";

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
  const groups = new Map<string, StagedRow[]>();
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
    const prefix = stagingDayPrefix(archived.day);
    const rows = groups.get(prefix) ?? [];
    rows.push({ tenant: archived.tenant, ...archived.row });
    groups.set(prefix, rows);
  }
  // One staged file per day (a batch touches one, two around midnight); a retried batch
  // writes new files with the same revisions, which readers (and compaction) collapse to one
  // row per event.
  await Promise.all(
    [...groups].map(([prefix, rows]) =>
      deps.store.writeEvents(archiveFileKey(prefix, "part", at, unique()), rows),
    ),
  );
  return { archived: changes.length - skipped, skipped, files: groups.size };
}

export interface SplitOptions {
  /** Staged files per chunk: a chunk's inputs are deleted once all its rows are filed. */
  chunkFiles: number;
  /**
   * Rows held in memory at most: beyond it the tenant with the most rows held is written out
   * early (a hot tenant may get several files per chunk; every other tenant gets one).
   */
  bufferRows: number;
  /** This run takes the staged files whose key hashes to `shard` of `shards` (default 0 of 1). */
  shard?: number;
  shards?: number;
  /** Start no chunk after this instant (epoch ms): what is left waits for the next run. */
  deadline?: number;
}

export interface SplitOutcome {
  chunks: number;
  filesIn: number;
  filesOut: number;
  rows: number;
  /** Chunks given back: an input vanished meanwhile (another run or an erasure took it). */
  withdrawn: number;
  /** Staged files left for the next run (the deadline came). */
  left: number;
}

/** FNV-1a of a key: which shard of the splitter takes a staged file. */
function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/**
 * The splitter: staged files (every tenant of a stream batch) -> one `part-` file per tenant
 * and day per chunk in `events/tenant=<t>/day=<d>/`, oldest files first, `chunkFiles` files
 * at a time and never more than `bufferRows` rows in memory. A chunk's inputs are deleted
 * only after its outputs are written, and only if every input is still there: a crash in
 * between leaves duplicates that readers collapse by `revision`, never a loss; an input that
 * vanished (a concurrent run split it, or an erasure rewrote it without a subject's rows)
 * makes the chunk withdraw its outputs and leave its other inputs for the next run, so an
 * erased row never comes back through a copy made before the erasure.
 */
export async function splitStaged(
  options: SplitOptions,
  deps: { store: ArchiveStore; now?: () => number; unique?: () => string },
): Promise<SplitOutcome> {
  const now = deps.now ?? Date.now;
  const shards = Math.max(1, options.shards ?? 1);
  const shard = options.shard ?? 0;
  const outcome: SplitOutcome = {
    chunks: 0,
    filesIn: 0,
    filesOut: 0,
    rows: 0,
    withdrawn: 0,
    left: 0,
  };
  for (const dayPrefix of await deps.store.listPrefixes(ARCHIVE.stagingPrefix)) {
    const day = dayOfKey(dayPrefix);
    if (!day) continue;
    const files = (await deps.store.list(dayPrefix)).filter(
      (f) => shards === 1 || shardOf(f.key, shards) === shard,
    );
    for (let i = 0; i < files.length; i += options.chunkFiles) {
      if (options.deadline !== undefined && now() >= options.deadline) {
        outcome.left += files.length - i;
        continue;
      }
      await splitChunk(day, files.slice(i, i + options.chunkFiles), options, deps, outcome);
    }
  }
  return outcome;
}

async function splitChunk(
  day: string,
  inputs: readonly ArchiveObject[],
  options: SplitOptions,
  deps: { store: ArchiveStore; now?: () => number; unique?: () => string },
  outcome: SplitOutcome,
): Promise<void> {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  const unique = deps.unique ?? randomUUID;
  const held = new Map<string, ArchiveRow[]>();
  let heldRows = 0;
  let rows = 0;
  const written: string[] = [];
  const flush = async (tenant: string) => {
    const tenantRows = held.get(tenant) ?? [];
    held.delete(tenant);
    heldRows -= tenantRows.length;
    const key = archiveFileKey(partitionPrefix(tenant, day), "part", now(), unique());
    await store.writeEvents(key, tenantRows);
    written.push(key);
  };
  const present: ArchiveObject[] = [];
  for (const input of inputs) {
    let staged: StagedRow[];
    try {
      staged = (await store.readEvents(input.key)) as StagedRow[];
    } catch (error) {
      // Gone since it was listed (another run, an erasure's rewrite): not this chunk's.
      if (!(await store.exists(input.key))) continue;
      throw error;
    }
    present.push(input);
    for (const { tenant, ...row } of staged) {
      const list = held.get(tenant);
      if (list) list.push(row);
      else held.set(tenant, [row]);
      heldRows++;
      rows++;
    }
    while (heldRows > options.bufferRows) {
      let largest = "";
      let size = -1;
      for (const [tenant, list] of held) {
        if (list.length > size) {
          largest = tenant;
          size = list.length;
        }
      }
      await flush(largest);
    }
  }
  for (const tenant of [...held.keys()]) await flush(tenant);
  for (const input of present) {
    if (!(await store.exists(input.key))) {
      await store.delete(written);
      outcome.withdrawn++;
      return;
    }
  }
  await store.delete(present.map((f) => f.key));
  outcome.chunks++;
  outcome.filesIn += present.length;
  outcome.filesOut += written.length;
  outcome.rows += rows;
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
  /** Partitions with fewer files are left alone (default 2; the bench times every row with 1). */
  minFiles?: number;
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
      if (files.length < (deps.minFiles ?? 2)) continue;
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
