/**
 * Accounting for the reliability suites (test/e2e/reliability-*.test.ts): what was sent,
 * what the API accepted, what the table holds, and what the pipeline did on the way, all
 * read over HTTP (the public API plus the local runtime's /_local/status and metrics).
 *
 *   lost       accepted (202) but not stored
 *   duplicated stored more than once: list rows beyond one per id, plus first writes
 *              (EventsProcessed + EventsFailed, each counted once per successful
 *              conditional write) beyond the ids stored
 *
 * Each test prints one `{"reliability": {...}}` line with its figures.
 */
import { type Api, type EventInput, type StoredEvent, waitFor } from "./client.js";

interface PollerStats {
  batches: number;
  records: number;
  deleted: number;
  retained: number;
  failedBatches: number;
}

interface Depth {
  visible: number;
  inFlight: number;
  delayed: number;
}

interface Status {
  queues: { queue: Depth; dlq: Depth };
  pollers: { process: PollerStats; dlq: PollerStats };
}

interface MetricsSnapshot {
  totals: Record<string, { sum: number } | undefined>;
}

/** What the pipeline has done so far (poller deliveries, metric sums). */
export interface Progress {
  processRecords: number;
  processFailedBatches: number;
  dlqRecords: number;
  metric: (name: string) => number;
}

export async function progress(api: Api): Promise<Progress> {
  const [status, metrics] = await Promise.all([
    api.request<Status>("GET", "/_local/status"),
    api.request<MetricsSnapshot>("GET", "/_local/metrics"),
  ]);
  const totals = metrics.body.totals;
  return {
    processRecords: status.body.pollers.process.records,
    processFailedBatches: status.body.pollers.process.failedBatches,
    dlqRecords: status.body.pollers.dlq.records,
    metric: (name) => totals[name]?.sum ?? 0,
  };
}

export async function queueDepths(api: Api): Promise<Status["queues"]> {
  return (await api.request<Status>("GET", "/_local/status")).body.queues;
}

/** Events of one type, each with a client-chosen id: `<prefix>-<n>`. */
export function events(type: string, prefix: string, count: number, from = 0): EventInput[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${from + i}`,
    type,
    data: { n: from + i },
  }));
}

/**
 * Sends `all` in batches from `clients` concurrent clients; answers the ids the API
 * accepted (202, status queued) and every other status it answered.
 */
export async function sendAll(
  api: Api,
  all: EventInput[],
  { batchSize = 100, clients = 4, pauseMs = 0 } = {},
): Promise<{ accepted: string[]; refused: number[] }> {
  const batches: EventInput[][] = [];
  for (let i = 0; i < all.length; i += batchSize) batches.push(all.slice(i, i + batchSize));
  const accepted: string[] = [];
  const refused: number[] = [];
  let next = 0;
  const client = async () => {
    for (let batch = batches[next++]; batch; batch = batches[next++]) {
      const answer = await api.request<{ results?: { id?: string; status: string }[] }>(
        "POST",
        "/v1/events",
        { events: batch },
      );
      if (answer.status !== 202) refused.push(answer.status);
      for (const r of answer.body?.results ?? []) {
        if (r.status === "queued" && r.id) accepted.push(r.id);
      }
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { accepted, refused };
}

/** Every stored event of a type (byType index, pages of 100). */
export async function storedOfType(api: Api, type: string): Promise<StoredEvent[]> {
  return (await api.listAll({ type, limit: "100" })).items;
}

/** Waits until the type holds `count` events (polls the list; tolerates 5xx). */
export async function waitStored(
  api: Api,
  type: string,
  count: number,
  timeoutMs = 120_000,
): Promise<StoredEvent[]> {
  return waitFor(
    async () => {
      const items = await storedOfType(api, type).catch(() => undefined);
      return items && items.length >= count ? items : undefined;
    },
    timeoutMs,
    `${count} events of ${type} to be stored`,
    500,
  );
}

export interface Figures {
  test: string;
  sent: number;
  /** Events the API answered 202 (queued) for; copies of one id each count. */
  answered202: number;
  /** Distinct ids among them. */
  acceptedIds: number;
  stored: number;
  storedOnce: number;
  lost: number;
  duplicated: number;
  /** Receives by the process function (every delivery of every message). */
  deliveries: number;
  /** Receives by the DLQ consumer. */
  dlqDeliveries: number;
  maxAttempts: number;
  [extra: string]: unknown;
}

/**
 * The figures of one run: `before` is the progress taken when the run started; the
 * queues must be empty (everything settled) when this is called.
 */
export async function figures(
  api: Api,
  input: {
    test: string;
    sent: number;
    accepted: string[];
    /** The run's event types (lists are read by type). */
    type: string | string[];
    before: Progress;
    /** Successful first writes, when the metrics do not cover the run (a restart). */
    firstWrites?: number;
    extra?: Record<string, unknown>;
  },
): Promise<Figures & { items: StoredEvent[] }> {
  const types = Array.isArray(input.type) ? input.type : [input.type];
  const items = (await Promise.all(types.map((t) => storedOfType(api, t)))).flat();
  const after = await progress(api);
  const rows = new Map<string, number>();
  for (const e of items) rows.set(e.id, (rows.get(e.id) ?? 0) + 1);
  const acceptedIds = new Set(input.accepted);
  const stored = [...acceptedIds].filter((id) => rows.has(id)).length;
  const storedOnce = [...acceptedIds].filter((id) => rows.get(id) === 1).length;
  const delta = (name: string) => after.metric(name) - input.before.metric(name);
  const firstWrites = input.firstWrites ?? delta("EventsProcessed") + delta("EventsFailed");
  const extraRows = [...rows.values()].reduce((n, c) => n + c - 1, 0);
  const figures: Figures = {
    test: input.test,
    sent: input.sent,
    answered202: input.accepted.length,
    acceptedIds: acceptedIds.size,
    stored,
    storedOnce,
    lost: acceptedIds.size - stored,
    duplicated: extraRows + Math.max(0, firstWrites - rows.size),
    deliveries: after.processRecords - input.before.processRecords,
    dlqDeliveries: after.dlqRecords - input.before.dlqRecords,
    maxAttempts: Math.max(0, ...items.map((e) => e.attempts)),
    firstWrites,
    duplicatesAbsorbed: delta("EventsDuplicate"),
    retried: delta("EventsRetried"),
    ...input.extra,
  };
  console.log(JSON.stringify({ reliability: figures }));
  return { ...figures, items };
}
