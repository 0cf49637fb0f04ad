/**
 * The send phase, on autocannon's programmatic API: `setupRequest` builds a fresh batch
 * of unique events right before each request is written, `onResponse` reads the body
 * to learn which events were queued. One request in flight per connection
 * (pipelining 1), so a connection's context always belongs to its current request.
 *
 * Stopping is graceful: when the duration or the event count is reached, every
 * connection's request budget is set to what it has already written, so in-flight
 * requests finish (and are accounted) instead of being cut off, which autocannon's own
 * duration timer would do.
 */
import { performance } from "node:perf_hooks";
import autocannon, { type Client, type Context, type RequestParams, type Result } from "autocannon";
import type { Ledger, SendOutcome } from "./accounting.js";
import type { EventFactory, ExpectedStatus } from "./events.js";
import { TimeSeries } from "./stats.js";

export interface SendConfig {
  url: URL;
  apiKey?: string;
  batch: number;
  connections: number;
  requestsPerSecond?: number;
  /** With requestsPerSecond: "even" spaces the connections over each second (see paceEvenly). */
  pacing?: "burst" | "even";
  durationSeconds?: number;
  count?: number;
  maxDurationSeconds: number;
  duplicates: number;
  timeoutSeconds: number;
  random: () => number;
}

export interface Progress {
  elapsedSeconds: number;
  requests: number;
  eventsSent: number;
  eventsAccepted: number;
  /** Events accepted during the last second. */
  acceptedLastSecond: number;
  errors: number;
}

export interface SendPhase {
  startedAtMs: number;
  finishedAtMs: number;
  /** Requests answered, by status; "timeout" and "connection_error" for unanswered ones. */
  statusCodes: Record<string, number>;
  requestsAnswered: number;
  /** Per answered request: latency (ms) at completion time, weighted by events in the request. */
  requestSeries: TimeSeries;
  /** Events answered "queued", at completion time. */
  acceptedSeries: TimeSeries;
  latenciesMs: number[];
  autocannon: Pick<Result, "latency" | "errors" | "timeouts" | "non2xx" | "resets"> & {
    requests: number;
  };
}

interface PendingEvent {
  id: string;
  type: string;
  expected: ExpectedStatus;
  json: string;
}

interface InFlight {
  events: PendingEvent[];
  startedAt: number;
  single: boolean;
}

const RING_SIZE = 1024;
const HEALTH_PATH = "/v1/health";

export function apiPath(base: URL, path: string): string {
  return `${base.pathname.replace(/\/+$/, "")}${path}`;
}

/** Maps a POST /v1/events answer to one outcome per event of the request. */
export function outcomesOf(
  status: number,
  body: string,
  events: readonly { id: string }[],
  single: boolean,
): SendOutcome[] {
  if (status !== 202) return events.map(() => ({ kind: "http", status }));
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return events.map(() => ({ kind: "in_doubt" }));
  }
  if (single) {
    const r = parsed as { id?: unknown; status?: unknown };
    const ok = r?.status === "queued" && r.id === events[0]?.id;
    return [ok ? { kind: "queued" } : { kind: "in_doubt" }];
  }
  const results = (parsed as { results?: unknown })?.results;
  const byIndex = new Map<number, { id?: unknown; status?: unknown }>();
  if (Array.isArray(results)) {
    for (const r of results as { index?: unknown; id?: unknown; status?: unknown }[]) {
      if (typeof r?.index === "number") byIndex.set(r.index, r);
    }
  }
  return events.map((e, i): SendOutcome => {
    const r = byIndex.get(i);
    if (r?.status === "queued" && r.id === e.id) return { kind: "queued" };
    if (r?.status === "rejected") return { kind: "rejected" };
    if (r?.status === "failed") return { kind: "failed" };
    return { kind: "in_doubt" };
  });
}

/**
 * autocannon's rate limit lets each connection send its quota at the start of every
 * second, from the same instant for all connections: at 20 requests/s the API gets 20
 * requests at once, then nothing for most of the second. This shifts connection i's
 * one-second window by i/n of a second, so n connections at one request a second each
 * arrive every 1/n s. It replaces autocannon 9's own per-connection timer
 * (Client.rateInterval, in lib/httpClient.js) with the same logic, offset; setupClient
 * runs before that timer exists, hence setImmediate. autocannon builds and sends each
 * connection's first request at connect, before any slot: send() makes that one a
 * health check (its clock would otherwise include the wait for the slot).
 */
export function paceEvenly(client: Client, index: number, connections: number): void {
  const offsetMs = ((index % connections) * 1000) / connections;
  let start: NodeJS.Timeout | undefined;
  const tick = () => {
    if (client.destroyed) return;
    client.reqsMadeThisSecond = 0;
    if (client.paused) {
      client.paused = false;
      client._doRequest();
    }
  };
  setImmediate(() => {
    clearInterval(client.rateInterval);
    if (client.destroyed) return;
    // Nothing more until this connection's slot.
    client.reqsMadeThisSecond = Number.POSITIVE_INFINITY;
    start = setTimeout(() => {
      tick();
      client.rateInterval = setInterval(tick, 1000);
    }, offsetMs);
  });
  client.once("done", () => {
    clearTimeout(start);
    clearInterval(client.rateInterval);
  });
}

export async function send(
  config: SendConfig,
  factory: EventFactory,
  ledger: Ledger,
  onProgress: (p: Progress) => void,
): Promise<SendPhase> {
  const { batch, duplicates, random, count } = config;
  const eventsPath = apiPath(config.url, "/v1/events");
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;

  const startedAtMs = Date.now();
  const requestSeries = new TimeSeries(startedAtMs);
  const acceptedSeries = new TimeSeries(startedAtMs);
  const latenciesMs: number[] = [];
  const statusCodes: Record<string, number> = {};
  const bump = (key: string) => {
    statusCodes[key] = (statusCodes[key] ?? 0) + 1;
  };
  const ring: PendingEvent[] = [];
  let ringNext = 0;
  let nextN = 1;
  let eventsSent = 0;
  let eventsAccepted = 0;
  let acceptedThisSecond = 0;
  let requestsAnswered = 0;
  let errors = 0;
  const inFlight = new Set<InFlight>();
  const clients: Client[] = [];
  let stopping = false;

  const stopAll = () => {
    stopping = true;
    for (const c of clients) c.responseMax = Math.max(1, c.reqsMade);
  };

  const nextEvents = (): PendingEvent[] => {
    const events: PendingEvent[] = [];
    const now = Date.now();
    for (let i = 0; i < batch; i++) {
      if (duplicates > 0 && ring.length > 0 && random() < duplicates) {
        const original = ring[Math.floor(random() * ring.length)];
        if (original && !events.some((e) => e.id === original.id)) {
          events.push(original);
          continue;
        }
      }
      if (stopping || (count !== undefined && nextN > count)) break;
      const { event, expected } = factory.create(nextN++, now);
      events.push({ id: event.id, type: event.type, expected, json: JSON.stringify(event) });
      if (count !== undefined && nextN > count) stopAll();
    }
    return events;
  };

  // Even pacing: the first request of each connection is built and sent at connect,
  // ahead of its slot (see paceEvenly); those are health checks.
  let atConnect = config.pacing === "even" && config.requestsPerSecond ? config.connections : 0;
  const setupRequest = (request: RequestParams, context: Context): RequestParams => {
    const events = stopping || atConnect-- > 0 ? [] : nextEvents();
    if (events.length === 0) {
      // autocannon cannot skip a request; a connection that is past its budget sends a
      // harmless health check, which the counters ignore.
      context.flight = undefined;
      return { ...request, method: "GET", path: apiPath(config.url, HEALTH_PATH), headers };
    }
    const single = batch === 1;
    const body = single
      ? (events[0]?.json ?? "")
      : `{"events":[${events.map((e) => e.json).join(",")}]}`;
    for (const e of events) ledger.sent(e.id, e.type, e.expected);
    eventsSent += events.length;
    const flight: InFlight = { events, startedAt: performance.now(), single };
    inFlight.add(flight);
    context.flight = flight;
    return { ...request, method: "POST", path: eventsPath, headers, body };
  };

  const onResponse = (status: number, body: string, context: Context) => {
    const flight = context.flight as InFlight | undefined;
    if (!flight || !inFlight.has(flight)) return;
    inFlight.delete(flight);
    const latency = performance.now() - flight.startedAt;
    const now = Date.now();
    requestsAnswered++;
    latenciesMs.push(latency);
    requestSeries.add(now, latency, flight.events.length);
    bump(String(status));
    const outcomes = outcomesOf(status, body, flight.events, flight.single);
    let queued = 0;
    flight.events.forEach((e, i) => {
      const outcome = outcomes[i] ?? { kind: "in_doubt" };
      ledger.outcome(e.id, outcome);
      if (outcome.kind !== "queued") return;
      queued++;
      // Only first-time events go to the duplicate pool, so a duplicate is one re-send.
      if (ledger.get(e.id)?.queued === 1 && ledger.get(e.id)?.sends === 1) {
        if (ring.length < RING_SIZE) ring.push(e);
        else ring[ringNext++ % RING_SIZE] = e;
      }
    });
    if (queued > 0) acceptedSeries.add(now, undefined, queued);
    eventsAccepted += queued;
    acceptedThisSecond += queued;
  };

  const sendSeconds = config.durationSeconds ?? config.maxDurationSeconds;
  const stopTimer = setTimeout(stopAll, sendSeconds * 1000);
  const progressTimer = setInterval(() => {
    onProgress({
      elapsedSeconds: (Date.now() - startedAtMs) / 1000,
      requests: requestsAnswered,
      eventsSent,
      eventsAccepted,
      acceptedLastSecond: acceptedThisSecond,
      errors,
    });
    acceptedThisSecond = 0;
  }, 1000);

  try {
    const result = await new Promise<Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: config.url.href,
          connections: config.connections,
          pipelining: 1,
          // A backstop only: the graceful stop above ends the run first.
          duration: sendSeconds + config.timeoutSeconds + 5,
          timeout: config.timeoutSeconds,
          bailout: 1000,
          ...(config.requestsPerSecond ? { overallRate: config.requestsPerSecond } : {}),
          requests: [{ setupRequest, onResponse }],
          setupClient: (client) => {
            clients.push(client);
            if (stopping) client.responseMax = Math.max(1, client.reqsMade);
            if (config.pacing === "even" && config.requestsPerSecond) {
              paceEvenly(client, clients.length - 1, config.connections);
            }
          },
        },
        (error, res) => (error ? reject(error) : resolve(res)),
      );
      instance.on("reqError", (error: Error) => {
        errors++;
        bump(/timed out/.test(error.message) ? "timeout" : "connection_error");
      });
    });
    // Requests cut off (timeouts, connection errors, the backstop) have no answer.
    for (const flight of inFlight) {
      for (const e of flight.events) ledger.outcome(e.id, { kind: "in_doubt" });
    }
    inFlight.clear();
    return {
      startedAtMs,
      finishedAtMs: Date.now(),
      statusCodes,
      requestsAnswered,
      requestSeries,
      acceptedSeries,
      latenciesMs,
      autocannon: {
        latency: result.latency,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        resets: result.resets,
        requests: result.requests.total,
      },
    };
  } finally {
    clearTimeout(stopTimer);
    clearInterval(progressTimer);
  }
}
