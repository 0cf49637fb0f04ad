/**
 * History jobs in memory for unit tests: the events table's change records the archive
 * function reads, and JobRunDeps over an in-memory job store and an archive store (each test
 * overrides what it watches: the queue, the eraser, the clock).
 */
import { encodeArchiveRows } from "../../lambdas/adapters/parquet-archive.js";
import type { Job } from "../../lambdas/domain/history-jobs.js";
import type { TableChange } from "../../lambdas/use-cases/archive-events.js";
import type { JobRunDeps } from "../../lambdas/use-cases/history-jobs.js";
import type { MemoryArchiveStore } from "./memory-archive.js";

let seq = 0;

/** A processed `purchase` event of a tenant and subject, as its change record carries it. */
export const tableChange = (
  tenantId: string,
  id: string,
  subject: string,
  receivedAt = "2026-12-06T10:00:00.000Z",
): TableChange => ({
  newImage: {
    sk: "EVENT",
    tenantId,
    id,
    type: "purchase",
    status: "processed",
    receivedAt,
    subject,
    attempts: 1,
    data: { n: id },
    correlationId: "c",
  },
  sequence: String(++seq),
  changedAtMs: Date.parse(receivedAt),
});

/** JobRunDeps with jobs kept in memory (copies, as a table would) and nothing else wired. */
export function memoryJobDeps(store: MemoryArchiveStore, overrides: Partial<JobRunDeps> = {}) {
  const jobs = new Map<string, Job>();
  const keyOf = (tenant: string, kind: string, id: string) => `${tenant}/${kind}/${id}`;
  const deps: JobRunDeps = {
    jobs: {
      put: async (job) => void jobs.set(keyOf(job.tenant, job.kind, job.id), structuredClone(job)),
      get: async (tenant, kind, id) => structuredClone(jobs.get(keyOf(tenant, kind, id))),
      list: async (tenant, kind) =>
        [...jobs.values()].filter((j) => j.tenant === tenant && j.kind === kind),
      requestCancel: async () => {},
    },
    queue: { send: async () => {} },
    store,
    eraser: { deleteEvents: async (_tenant, ids) => ids.length },
    events: { enqueue: async () => ({ failed: [] }) } as never,
    deliveries: {} as never,
    destinations: {} as never,
    declarations: { versions: async () => [] } as never,
    contributions: { erase: async () => 0 } as never,
    windowRetentionDays: 7,
    deliveryLog: { eraseEvents: async () => 0 },
    encodeParquet: (rows) => encodeArchiveRows(rows),
    now: () => new Date("2026-12-06T12:00:00Z"),
    replayMaxRate: 100,
    erasureSettleSeconds: 0,
    ...overrides,
  };
  return deps;
}
