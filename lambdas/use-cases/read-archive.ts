/**
 * Reading the archive for exports, replays, erasure and a subject's export: the partitions a
 * selection touches (pruned by tenant and day from the keys), each event's latest revision.
 * Both layouts: the tenant's `events/tenant=/day=/` files, and the staged files of the day
 * (every tenant's rows: only the tenant's own are kept) not yet filed by the splitter.
 * A day with more staged files than the reader's bound (archiveStagedReadMaxFiles) is not
 * read from its staged files: the reader waits for the splitter instead (StagedBacklogError).
 */
import {
  ARCHIVE,
  partitionPrefix,
  stagingDayPrefix,
  tenantPrefix,
} from "../../lib/contracts/archive.js";
import {
  type ArchivedEvent,
  type ArchiveRow,
  type ArchiveSelection,
  dayOfKey,
  daysOf,
  latestRevisions,
  type StagedRow,
  selects,
  writtenAtOfKey,
} from "../domain/archive.js";
import type { ArchiveStore } from "../ports/archive.js";

const daysUnder = async (store: ArchiveStore, prefix: string) =>
  (await store.listPrefixes(prefix)).map(dayOfKey).filter((d): d is string => d !== undefined);

/** The days of a tenant's archive a selection needs, oldest first (staged days included). */
export async function archiveDays(
  store: ArchiveStore,
  tenant: string,
  selection: ArchiveSelection,
): Promise<string[]> {
  const listed = new Set([
    ...(await daysUnder(store, tenantPrefix(tenant))),
    ...(await daysUnder(store, ARCHIVE.stagingPrefix)),
  ]);
  const wanted = daysOf(selection);
  if (!wanted) return [...listed].sort();
  return wanted.filter((d) => listed.has(d));
}

/**
 * How a reader treats a day's staged files (README "History"). Every staged file holds all
 * tenants' rows of up to archiveSplitMinutes of traffic: at high rates far too many to read
 * for one tenant.
 */
export interface StagedReadPolicy {
  /** At or under this many staged files in the day they are read; above it they are not. */
  maxFiles: number;
  /**
   * The reader's snapshot (epoch ms, a job's start): once the day's oldest staged file was
   * written after it, everything staged before it is in the tenant's `events/` files (the
   * splitter takes staged files oldest first), and the staged files are skipped. Absent (a
   * synchronous read): a day over the bound always throws.
   */
  since?: number;
  /**
   * A synchronous read (the subject export) that cannot wait: a day over the bound and not
   * yet filed up to `since` is read from its `events/` files alone and reported here (its
   * staged files' rows are missing from the answer) instead of throwing.
   */
  unfiled?: (backlog: StagedBacklogError) => void;
}

/** A day's staged files are over the bound and not yet filed up to the reader's snapshot. */
export class StagedBacklogError extends Error {
  override name = "StagedBacklogError";
  constructor(
    readonly day: string,
    readonly files: number,
    /** When the oldest staged file of the day was written (epoch ms). */
    readonly oldestAt: number,
  ) {
    super(
      `the archive is filing its last minutes: ${files} staged file(s) of ${day}, the oldest from ${new Date(oldestAt).toISOString()}`,
    );
  }
}

/**
 * The tenant's rows of one day's staged files, read before its `events/` files: the
 * splitter writes a staged file's rows there before it deletes the file, so a file gone by
 * the time it is read has its rows in the `events/` listing made after (never missed).
 */
export async function readStagedDay(
  store: ArchiveStore,
  tenant: string,
  day: string,
  policy?: StagedReadPolicy,
): Promise<ArchiveRow[]> {
  const rows: ArchiveRow[] = [];
  const files = await store.list(stagingDayPrefix(day));
  if (policy && files.length > policy.maxFiles) {
    // A key without a timestamp counts as oldest: it is waited for, never skipped.
    const oldestAt = files.reduce((m, f) => Math.min(m, writtenAtOfKey(f.key) ?? 0), Infinity);
    if (policy.since !== undefined && oldestAt > policy.since) return rows;
    const backlog = new StagedBacklogError(day, files.length, oldestAt);
    if (!policy.unfiled) throw backlog;
    policy.unfiled(backlog);
    return rows;
  }
  for (const f of files) {
    let staged: StagedRow[];
    try {
      staged = (await store.readEvents(f.key)) as StagedRow[];
    } catch (error) {
      if (!(await store.exists(f.key))) continue;
      throw error;
    }
    // Tenant isolation: a staged file holds every tenant's rows of its batch.
    for (const { tenant: owner, ...row } of staged) if (owner === tenant) rows.push(row);
  }
  return rows;
}

/** The selected events of one day (latest revision of each), in receivedAt then id order. */
export async function readArchiveDay(
  store: ArchiveStore,
  tenant: string,
  day: string,
  selection: ArchiveSelection,
  policy?: StagedReadPolicy,
): Promise<ArchivedEvent[]> {
  const rows = await readStagedDay(store, tenant, day, policy);
  for (const f of await store.list(partitionPrefix(tenant, day))) {
    rows.push(...(await store.readEvents(f.key)));
  }
  // Dedupe before filtering: a later revision decides what the event is now.
  return latestRevisions(rows)
    .filter((row) => selects(selection, row))
    .map((row) => ({ ...row, tenant, day }));
}

/** Every selected event of the tenant, day by day. */
export async function* readArchive(
  store: ArchiveStore,
  tenant: string,
  selection: ArchiveSelection,
  policy?: StagedReadPolicy,
): AsyncGenerator<ArchivedEvent[]> {
  for (const day of await archiveDays(store, tenant, selection)) {
    yield await readArchiveDay(store, tenant, day, selection, policy);
  }
}
