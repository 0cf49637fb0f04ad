/**
 * The send phase through the producer SDK (`npm run load -- --client sdk`): one EventFlow
 * instance (sdk/) with `--batch` events per request and `--connections` requests in flight,
 * fed as fast as it takes events (or at `--rate`). It measures what a producer sees: the
 * latency of an event is the time from handing it to the SDK to its receipt (queue wait,
 * batching, retries included), and an event counts as accepted when its receipt says
 * "queued". The SDK retries 429/503/5xx and network errors itself (same ids, so a retry is
 * never a second event); the raw mode (core/sender.ts, autocannon) stays the measure of the
 * gateway's own ceiling.
 *
 * Returns the same SendPhase as the raw sender, so accounting, verification and the
 * report are shared. Request-level figures come from the SDK's counters.
 */
import { performance } from "node:perf_hooks";
import { EventFlow, type Receipt } from "../../sdk/src/index.js";
import type { Ledger, SendOutcome } from "./accounting.js";
import type { EventFactory, GeneratedEvent } from "./events.js";
import type { Progress, SendConfig, SendPhase } from "./sender.js";
import { TimeSeries } from "./stats.js";

type Item = Pick<GeneratedEvent, "event" | "expected">;

const RING_SIZE = 1024;

export async function sendWithSdk(
  config: SendConfig & { eventsPerSecond?: number },
  factory: EventFactory,
  ledger: Ledger,
  onProgress: (p: Progress) => void,
): Promise<SendPhase> {
  const { batch, duplicates, random, count } = config;
  const client = new EventFlow({
    url: config.url.href,
    apiKey: config.apiKey ?? "",
    maxBatchEvents: batch,
    maxInFlight: config.connections,
    // Enough waiting events for every connection's next batch, and no more.
    maxQueueEvents: Math.max(batch * config.connections * 2, 1000),
    flushIntervalMs: 50,
    timeoutMs: config.timeoutSeconds * 1000,
  });
  const startedAtMs = Date.now();
  const requestSeries = new TimeSeries(startedAtMs);
  const acceptedSeries = new TimeSeries(startedAtMs);
  const latenciesMs: number[] = [];
  const statusCodes: Record<string, number> = {};
  const bump = (key: string, n = 1) => {
    statusCodes[key] = (statusCodes[key] ?? 0) + n;
  };
  const ring: Item[] = [];
  let ringNext = 0;
  let nextN = 1;
  let eventsSent = 0;
  let eventsAccepted = 0;
  let acceptedThisSecond = 0;
  let stopping = false;

  const sendSeconds = config.durationSeconds ?? config.maxDurationSeconds;
  const stopTimer = setTimeout(() => {
    stopping = true;
  }, sendSeconds * 1000);
  const progressTimer = setInterval(() => {
    onProgress({
      elapsedSeconds: (Date.now() - startedAtMs) / 1000,
      requests: client.stats().requests,
      eventsSent,
      eventsAccepted,
      acceptedLastSecond: acceptedThisSecond,
      errors: client.stats().retries,
    });
    acceptedThisSecond = 0;
  }, 1000);

  const nextEvents = (n: number): Item[] => {
    const items: Item[] = [];
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      if (duplicates > 0 && ring.length > 0 && random() < duplicates) {
        const original = ring[Math.floor(random() * ring.length)];
        if (original && !items.some((e) => e.event.id === original.event.id)) {
          items.push(original);
          continue;
        }
      }
      if (stopping || (count !== undefined && nextN > count)) break;
      items.push(factory.create(nextN++, now));
    }
    return items;
  };

  const record = (items: Item[], receipts: Receipt[], startedAt: number) => {
    const latency = performance.now() - startedAt;
    const now = Date.now();
    let queued = 0;
    receipts.forEach((r, i) => {
      const item = items[i] as Item;
      const e = item.event;
      const outcome: SendOutcome =
        r.status === "queued"
          ? { kind: "queued" }
          : r.status === "rejected"
            ? { kind: "rejected" }
            : r.error.status !== undefined
              ? { kind: "http", status: r.error.status }
              : { kind: "in_doubt" };
      ledger.outcome(e.id, outcome);
      if (r.status !== "queued") return;
      queued++;
      latenciesMs.push(latency);
      if (ledger.get(e.id)?.queued === 1 && ledger.get(e.id)?.sends === 1) {
        if (ring.length < RING_SIZE) ring.push(item);
        else ring[ringNext++ % RING_SIZE] = item;
      }
    });
    requestSeries.add(now, latency, items.length);
    if (queued > 0) acceptedSeries.add(now, undefined, queued);
    eventsAccepted += queued;
    acceptedThisSecond += queued;
  };

  /** One batch's worth handed to the SDK; resolves when every receipt is in. */
  const submit = async (n: number): Promise<boolean> => {
    const items = nextEvents(n);
    if (items.length === 0) return false;
    for (const { event, expected } of items) ledger.sent(event.id, event.type, expected);
    eventsSent += items.length;
    const startedAt = performance.now();
    record(items, await client.send(items.map((i) => i.event)), startedAt);
    return true;
  };

  try {
    if (config.eventsPerSecond) {
      // Paced: every 10 ms, the events due by then (the SDK batches them).
      const perTick = config.eventsPerSecond / 100;
      const pending: Promise<boolean>[] = [];
      let owed = 0;
      while (!stopping && (count === undefined || nextN <= count)) {
        owed += perTick;
        const n = Math.floor(owed);
        owed -= n;
        if (n > 0) pending.push(submit(n));
        await new Promise((r) => setTimeout(r, 10));
      }
      await Promise.all(pending);
    } else {
      // As fast as it takes them: two batches per connection always handed over.
      const lane = async () => {
        while (!stopping && (await submit(batch))) {}
      };
      await Promise.all(Array.from({ length: config.connections * 2 }, lane));
    }
    await client.close();
  } finally {
    clearTimeout(stopTimer);
    clearInterval(progressTimer);
  }
  // The SDK answers per event, not per request: its counters stand in for status codes.
  const s = client.stats();
  bump("sdk:requests", s.requests);
  bump("sdk:retried", s.retries);
  return {
    startedAtMs,
    finishedAtMs: Date.now(),
    statusCodes,
    requestsAnswered: s.requests,
    requestSeries,
    acceptedSeries,
    latenciesMs,
    autocannon: {
      // No autocannon here: the latencies above are per event, receipt included.
      latency: undefined as unknown as SendPhase["autocannon"]["latency"],
      errors: 0,
      timeouts: 0,
      non2xx: s.retries,
      resets: 0,
      requests: s.requests,
    },
  };
}
