/**
 * After sending: wait for the pipeline to drain, then collect what the query API shows
 * for the run's ids. Every loop here is bounded by a deadline and a count.
 */
import {
  type Ledger,
  mergeObservation,
  type Observation,
  observe,
  parseStats,
  type StatsSnapshot,
} from "./accounting.js";
import { type ApiClient, mapLimit, sleep } from "./api.js";

export interface StatsWindow {
  from: string;
  to: string;
}

/** /v1/stats for the window, or undefined when the endpoint is unavailable. */
export async function fetchStats(
  api: ApiClient,
  window: StatsWindow,
): Promise<StatsSnapshot | undefined> {
  try {
    const res = await api.get("/v1/stats", { from: window.from, to: window.to });
    if (res.status !== 200) return undefined;
    return parseStats(res.body);
  } catch {
    return undefined;
  }
}

export interface DrainResult {
  /** The stats showed every accepted event counted before the deadline. */
  drained: boolean;
  statsAvailable: boolean;
  waitedSeconds: number;
  polls: number;
}

/**
 * Polls /v1/stats until processed + failed for the mix's types has grown by the number
 * of accepted unique ids. Without stats it returns at once; the collection then retries
 * missing ids until the same deadline.
 */
export async function drain(
  api: ApiClient,
  window: StatsWindow,
  before: StatsSnapshot | undefined,
  types: readonly string[],
  expected: number,
  deadlineMs: number,
  onPoll: (stored: number, expected: number) => void,
): Promise<DrainResult> {
  const started = Date.now();
  let polls = 0;
  if (!before) return { drained: false, statsAvailable: false, waitedSeconds: 0, polls };
  const stored = (s: StatsSnapshot) =>
    types.reduce((n, t) => n + (s.get(t)?.processed ?? 0) + (s.get(t)?.failed ?? 0), 0);
  const base = stored(before);
  while (polls < 100_000) {
    polls++;
    const now = await fetchStats(api, window);
    if (now) {
      const done = stored(now) - base;
      onPoll(done, expected);
      if (done >= expected) {
        return { drained: true, statsAvailable: true, waitedSeconds: secs(started), polls };
      }
    }
    if (Date.now() + 500 > deadlineMs) break;
    await sleep(500);
  }
  return { drained: false, statsAvailable: true, waitedSeconds: secs(started), polls };
}

const secs = (since: number) => Math.round((Date.now() - since) / 100) / 10;

export interface CollectOptions {
  runId: string;
  types: readonly string[];
  mode: "list" | "get";
  /** receivedAt window of the list queries (server clock: keep a margin). */
  from: string;
  to: string;
  concurrency: number;
  /** Until when accepted ids still missing are fetched again (the drain deadline). */
  deadlineMs: number;
  /** When verification stops altogether; ids not fetched by then are unverified. */
  hardDeadlineMs: number;
}

export interface CollectResult {
  observations: Map<string, Observation>;
  listPages: number;
  getRequests: number;
  /** Rounds of GET for accepted ids still missing. */
  retryRounds: number;
  seconds: number;
  /** Non-200/404 answers of the query API, by status. */
  queryErrors: Record<string, number>;
  /** Ids that could not be looked up before the hard deadline (or only got errors). */
  unverified: Set<string>;
}

/**
 * list: pages GET /v1/events?type=T&from&to for each type and keeps the run's ids
 * (counting repeats, which is how a duplicate would show); then GETs by id whatever
 * accepted id the lists missed, and every id that was sent but not accepted.
 * get: GETs every sent id by id.
 * Accepted ids still missing are retried by id until the deadline.
 */
export async function collect(
  api: ApiClient,
  ledger: Ledger,
  options: CollectOptions,
): Promise<CollectResult> {
  const started = Date.now();
  const prefix = `${options.runId}-`;
  const observations = new Map<string, Observation>();
  const queryErrors: Record<string, number> = {};
  const error = (key: string) => {
    queryErrors[key] = (queryErrors[key] ?? 0) + 1;
  };
  let listPages = 0;
  let getRequests = 0;

  const unverified = new Set<string>();
  const getById = async (id: string): Promise<void> => {
    if (Date.now() > options.hardDeadlineMs) {
      unverified.add(id);
      return;
    }
    getRequests++;
    try {
      const res = await api.get(`/v1/events/${encodeURIComponent(id)}`);
      if (res.status === 404) return void unverified.delete(id);
      if (res.status !== 200) {
        unverified.add(id);
        return error(String(res.status));
      }
      unverified.delete(id);
      const o = observe(res.body);
      if (!o || o.id !== id) return error("bad_body");
      const seen = observations.get(id);
      if (seen) mergeObservation(seen, o);
      else observations.set(id, o);
    } catch {
      unverified.add(id);
      error("network");
    }
  };

  if (options.mode === "list") {
    const acceptedCount = ledger.counts().acceptedUnique;
    const maxPages = Math.ceil(acceptedCount / 100) * 2 + 100;
    await mapLimit(options.types, options.concurrency, async (type) => {
      let cursor: string | undefined;
      for (let page = 0; page < maxPages && Date.now() < options.hardDeadlineMs; page++) {
        listPages++;
        let res: Awaited<ReturnType<ApiClient["get"]>>;
        try {
          res = await api.get("/v1/events", {
            type,
            from: options.from,
            to: options.to,
            limit: "100",
            cursor,
          });
        } catch {
          error("network");
          return;
        }
        if (res.status !== 200) return error(String(res.status));
        const body = res.body as { items?: unknown; nextCursor?: unknown };
        if (!Array.isArray(body.items)) return error("bad_body");
        for (const item of body.items) {
          const o = observe(item);
          if (!o?.id.startsWith(prefix)) continue;
          const seen = observations.get(o.id);
          if (seen) {
            seen.listed++;
            mergeObservation(seen, o);
          } else {
            o.listed = 1;
            observations.set(o.id, o);
          }
        }
        if (typeof body.nextCursor !== "string" || body.nextCursor === "") return;
        cursor = body.nextCursor;
      }
    });
  }

  // Ids sent but never accepted must not be stored; in list mode the lists already
  // showed them if they were (under the mix's types), GET covers the rest.
  const toGet: string[] = [];
  for (const id of ledger.notAccepted()) if (!observations.has(id)) toGet.push(id);
  for (const [id] of ledger.accepted()) {
    const o = observations.get(id);
    // A list item without the end time cannot give end-to-end latency: fetch the event.
    if (!o || (o.processedAt === undefined && o.failedAt === undefined)) toGet.push(id);
  }
  await mapLimit(toGet, options.concurrency, getById);

  let retryRounds = 0;
  for (; retryRounds < 10_000; retryRounds++) {
    const missing: string[] = [];
    for (const [id] of ledger.accepted()) if (!observations.has(id)) missing.push(id);
    if (missing.length === 0 || Date.now() + 1000 > options.deadlineMs) break;
    await sleep(1000);
    await mapLimit(missing, options.concurrency, getById);
  }

  return {
    observations,
    listPages,
    getRequests,
    retryRounds,
    seconds: secs(started),
    queryErrors,
    unverified,
  };
}
