/**
 * Reading the archive for exports, replays, erasure and a subject's export: the partitions a
 * selection touches (pruned by tenant and day from the keys), each event's latest revision.
 */
import { partitionPrefix, tenantPrefix } from "../../lib/contracts/archive.js";
import {
  type ArchivedEvent,
  type ArchiveSelection,
  dayOfKey,
  daysOf,
  latestRevisions,
  selects,
} from "../domain/archive.js";
import type { ArchiveStore } from "../ports/archive.js";

/** The days of a tenant's archive a selection needs, oldest first. */
export async function archiveDays(
  store: ArchiveStore,
  tenant: string,
  selection: ArchiveSelection,
): Promise<string[]> {
  const listed = (await store.listPrefixes(tenantPrefix(tenant)))
    .map(dayOfKey)
    .filter((d): d is string => d !== undefined);
  const wanted = daysOf(selection);
  if (!wanted) return listed.sort();
  const have = new Set(listed);
  return wanted.filter((d) => have.has(d));
}

/** The selected events of one day (latest revision of each), in receivedAt then id order. */
export async function readArchiveDay(
  store: ArchiveStore,
  tenant: string,
  day: string,
  selection: ArchiveSelection,
): Promise<ArchivedEvent[]> {
  const files = await store.list(partitionPrefix(tenant, day));
  const rows = [];
  for (const f of files) rows.push(...(await store.readEvents(f.key)));
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
): AsyncGenerator<ArchivedEvent[]> {
  for (const day of await archiveDays(store, tenant, selection)) {
    yield await readArchiveDay(store, tenant, day, selection);
  }
}
